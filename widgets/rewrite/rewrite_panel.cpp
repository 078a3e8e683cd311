#include "rewrite/rewrite_panel.h"

#include <QCheckBox>
#include <QEvent>
#include <QGridLayout>
#include <QHeaderView>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyledItemDelegate>
#include <QTabWidget>
#include <QTreeWidget>
#include <QUrl>
#include <QVBoxLayout>

#include <map>
#include <tuple>

#include "rewrite/rewrite_session.h"

namespace graft {

namespace {

enum ItemKind { RuleItem = 1, MatchItem, FuseItem, FuseGroupItem, WhyNotItem, BlockItem, WhyNotGroupItem };
constexpr int kKindRole = Qt::UserRole;
constexpr int kIndexRole = Qt::UserRole + 1;
constexpr int kRuleRole = Qt::UserRole + 2;

const QColor kBlockColor(220, 38, 38);
const QColor kFuseColor(100, 116, 139);
const QColor kWhyNotColor(217, 119, 6);

QString nodeList(const std::vector<Node*>& nodes, int max = 4) {
  QStringList names;
  for (size_t i = 0; i < nodes.size() && static_cast<int>(i) < max; ++i)
    names << QString::fromStdString(MatchContext::label(nodes[i]));
  if (static_cast<int>(nodes.size()) > max) names << QStringLiteral("…");
  return names.join(QStringLiteral(", "));
}

// Scope paths ("/encoder/layer.3/attention/self/MatMul") say the most at their end: elide
// them at the start, not in the middle.
class ElideStartDelegate : public QStyledItemDelegate {
 public:
  using QStyledItemDelegate::QStyledItemDelegate;

 protected:
  void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override {
    QStyledItemDelegate::initStyleOption(option, index);
    option->textElideMode = Qt::ElideLeft;
  }
};

QString delta(int d) { return d > 0 ? QStringLiteral("+%1").arg(d) : QString::number(d); }

QString chip(const QColor& c, const QString& glyph = QStringLiteral("\u25A0")) {
  return QStringLiteral("<span style=\"color:%1\">%2</span>").arg(c.name(), glyph);
}

}  // namespace

RewritePanel::RewritePanel(RewriteSession* session, QWidget* parent) : QWidget(parent), session_(session) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  summary_ = new QLabel(this);
  summary_->setObjectName(QStringLiteral("rewriteSummary"));
  summary_->setWordWrap(true);
  legend_ = new QLabel(this);
  legend_->setObjectName(QStringLiteral("rewriteLegend"));
  legend_->setWordWrap(true);
  legend_->setTextFormat(Qt::RichText);
  // Each legend entry is a link: a click shows or hides that rule's rings on the graph.
  legend_->setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
  legend_->setToolTip(tr("Click an entry to show or hide it on the graph"));
  connect(legend_, &QLabel::linkActivated, this, [this](const QString& link) {
    const std::string rule = QUrl::fromPercentEncoding(link.mid(5).toUtf8()).toStdString();  // "rule:<name>"
    setRuleShown(rule, filter_.hidden.count(rule) != 0);
  });
  overlaySwitch_ = new QCheckBox(tr("Show on graph"), this);
  overlaySwitch_->setObjectName(QStringLiteral("rewriteOverlaySwitch"));
  overlaySwitch_->setChecked(true);
  overlaySwitch_->setToolTip(tr("Rings around matches, blockers and near misses on the graph"));
  connect(overlaySwitch_, &QCheckBox::toggled, this, [this](bool on) {
    filter_.enabled = on;
    updateLegend();
    emit overlayFilterChanged();
  });
  layout->addWidget(summary_);
  layout->addWidget(overlaySwitch_);
  layout->addWidget(legend_);

  tabs_ = new QTabWidget(this);
  tabs_->setDocumentMode(true);
  auto makeTree = [this](const QStringList& headers, const char* name) {
    auto* t = new QTreeWidget(this);
    t->setObjectName(QString::fromLatin1(name));
    t->setHeaderLabels(headers);
    t->setRootIsDecorated(true);
    t->setUniformRowHeights(true);
    t->setAlternatingRowColors(true);
    t->setTextElideMode(Qt::ElideMiddle);
    t->header()->setStretchLastSection(true);
    connect(t, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) { onCurrentChanged(item); });
    return t;
  };
  matches_ = makeTree({tr("Rule / match"), tr("Δ nodes"), tr("Becomes"), tr("Nodes")}, "rewriteMatches");
  matches_->header()->resizeSection(0, 190);
  matches_->header()->resizeSection(1, 56);
  matches_->header()->resizeSection(2, 130);
  matches_->setTextElideMode(Qt::ElideRight);
  auto* elideStart = new ElideStartDelegate(this);
  matches_->setItemDelegateForColumn(3, elideStart);
  // Near misses grouped by rule; by default only what the engine's ranking keeps (a real part
  // matched, or only a condition failed), the rest behind "Show all".
  auto* whyNotPage = new QWidget(this);
  auto* whyNotLayout = new QVBoxLayout(whyNotPage);
  whyNotLayout->setContentsMargins(0, 2, 0, 0);
  showAllNearMisses_ = new QCheckBox(tr("Show all near misses"), whyNotPage);
  showAllNearMisses_->setObjectName(QStringLiteral("rewriteShowAllNearMisses"));
  showAllNearMisses_->setToolTip(tr("Also list attempts that failed at their first node or repeat a failure already shown"));
  connect(showAllNearMisses_, &QCheckBox::toggled, this, [this] { rebuild(); });
  whyNot_ = makeTree({tr("Rule / at"), tr("Why not")}, "rewriteWhyNot");
  whyNot_->setTextElideMode(Qt::ElideRight);
  whyNot_->setItemDelegateForColumn(0, elideStart);
  whyNot_->header()->resizeSection(0, 220);
  // The counts sit beside the box and wrap, so a long translation never widens the dock.
  nearMissCount_ = new QLabel(whyNotPage);
  nearMissCount_->setObjectName(QStringLiteral("rewriteNearMissCount"));
  nearMissCount_->setWordWrap(true);
  nearMissCount_->setForegroundRole(QPalette::PlaceholderText);
  auto* nearMissRow = new QHBoxLayout;
  nearMissRow->addWidget(showAllNearMisses_);
  nearMissRow->addWidget(nearMissCount_, 1);
  whyNotLayout->addLayout(nearMissRow);
  whyNotLayout->addWidget(whyNot_, 1);
  blocks_ = makeTree({tr("Node"), tr("Op"), tr("Why it blocks")}, "rewriteBlocks");
  blocks_->setTextElideMode(Qt::ElideRight);
  blocks_->setItemDelegateForColumn(0, elideStart);
  blocks_->setRootIsDecorated(false);
  blocks_->header()->resizeSection(0, 160);
  blocks_->header()->resizeSection(1, 90);
  tabs_->addTab(matches_, tr("Matches"));
  tabs_->addTab(whyNotPage, tr("Why not"));
  tabs_->addTab(blocks_, tr("Blocks"));
  layout->addWidget(tabs_, 1);

  auto* buttons = new QGridLayout;
  preview_ = new QPushButton(tr("Preview…"), this);
  preview_->setObjectName(QStringLiteral("rewritePreview"));
  preview_->setToolTip(tr("Before and after of the selected match, without changing the model"));
  apply_ = new QPushButton(tr("Apply"), this);
  apply_->setObjectName(QStringLiteral("rewriteApply"));
  apply_->setToolTip(tr("Apply the selected match (undoable)"));
  applyRule_ = new QPushButton(tr("Apply Rule"), this);
  applyRule_->setObjectName(QStringLiteral("rewriteApplyRule"));
  applyRule_->setToolTip(tr("Apply every match of the selected rule (undoable)"));
  applyAll_ = new QPushButton(tr("Apply Profile"), this);
  applyAll_->setObjectName(QStringLiteral("rewriteApplyAll"));
  applyAll_->setToolTip(tr("Apply the whole profile to a fixed point (undoable)"));
  // Two rows, so the dock stays narrow: the match on top, the rule and the profile below.
  buttons->addWidget(preview_, 0, 0);
  buttons->addWidget(apply_, 0, 1);
  buttons->addWidget(applyRule_, 1, 0);
  buttons->addWidget(applyAll_, 1, 1);
  layout->addLayout(buttons);

  connect(preview_, &QPushButton::clicked, this, [this] { session_->requestPreview(currentMatch()); });
  connect(apply_, &QPushButton::clicked, this,
          [this] { session_->apply(RewriteSession::Scope::Match, currentMatch()); });
  connect(applyRule_, &QPushButton::clicked, this,
          [this] { session_->apply(RewriteSession::Scope::Rule, -1, currentRule()); });
  connect(applyAll_, &QPushButton::clicked, this, [this] { session_->apply(RewriteSession::Scope::Profile); });
  connect(matches_, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* item) {
    if (item && item->data(0, kKindRole).toInt() == MatchItem) session_->requestPreview(currentMatch());
  });
  connect(session_, &RewriteSession::matchesChanged, this, &RewritePanel::rebuild);
  connect(session_, &RewriteSession::matchingStarted, this, [this] {
    if (!session_->report()) summary_->setText(tr("Matching…"));
  });
  connect(session_, &RewriteSession::busyChanged, this, &RewritePanel::updateButtons);
  connect(session_, &RewriteSession::documentChanged, this, &RewritePanel::updateButtons);
  rebuild();
}

std::shared_ptr<CanvasOverlay> RewritePanel::makeOverlay(const MatchReport& report, int focusMatch,
                                                         const QColor& focusColor, const OverlayFilter& filter) {
  auto ov = std::make_shared<CanvasOverlay>();
  if (!filter.enabled) return ov;
  auto shown = [&](const std::string& key) { return filter.hidden.count(key) == 0; };
  auto note = [&](NodeId id, const QString& html) {
    QString& n = ov->notes[id];
    if (!n.isEmpty()) n += QStringLiteral("<br>");
    n += html;
  };
  // The engine's ranking: the near misses worth reading (graft-cli match --explain shows the same).
  const RankedNearMisses ranked = shown("@whynot") ? rankNearMisses(report) : RankedNearMisses{};
  for (const auto& group : ranked.groups)
    for (size_t i : group.shown) {
      const NearMiss& nm = report.nearMisses[i];
      ov->outlines[nm.root].push_back({kWhyNotColor, Qt::DotLine});
      note(nm.root, tr("<b>Why not %1:</b> %2")
                        .arg(QString::fromStdString(nm.rule).toHtmlEscaped(), QString::fromStdString(nm.reason).toHtmlEscaped()));
    }
  for (const auto& m : report.backendFuses) {
    if (!shown("@fuse")) break;
    for (NodeId id : m.nodeIds) ov->outlines[id].push_back({kFuseColor, Qt::DashLine});
    if (!m.nodeIds.empty())
      note(m.root ? m.root->id() : m.nodeIds.front(),
           tr("<b>Backend will fuse:</b> %1 (left alone)").arg(QString::fromStdString(m.rule).toHtmlEscaped()));
  }
  for (size_t i = 0; i < report.matches.size(); ++i) {
    const Match& m = report.matches[i];
    if (!shown(m.rule) && static_cast<int>(i) != focusMatch) continue;
    QColor c = RewriteSession::colorOf(m.rule, &report);
    for (NodeId id : m.nodeIds) {
      auto& rings = ov->outlines[id];
      rings.insert(rings.begin(), NodeOutline{c, Qt::SolidLine});
      note(id, tr("<b>%1</b> → %2 (%3 nodes)")
                   .arg(QString::fromStdString(m.rule).toHtmlEscaped(),
                        QString::fromStdString(m.becomes.empty() ? std::string("?") : m.becomes).toHtmlEscaped(),
                        delta(m.nodeDelta)));
    }
  }
  for (const auto& b : report.blocks) {
    if (!shown("@blocks")) break;
    auto& rings = ov->outlines[b.node];
    rings.insert(rings.begin(), NodeOutline{kBlockColor, Qt::SolidLine});
    note(b.node, tr("<b><span style=\"color:%1\">Blocks:</span></b> %2")
                     .arg(kBlockColor.name(), QString::fromStdString(b.reason).toHtmlEscaped()));
  }
  if (focusMatch >= 0 && focusMatch < static_cast<int>(report.matches.size()))
    for (NodeId id : report.matches[static_cast<size_t>(focusMatch)].nodeIds) {
      auto& rings = ov->outlines[id];
      rings.insert(rings.begin(), NodeOutline{focusColor.isValid() ? focusColor : QColor(37, 99, 235), Qt::SolidLine});
    }
  // Three rings are as many as a box can carry and still be read.
  for (auto& [id, rings] : ov->outlines)
    if (rings.size() > 3) rings.resize(3);
  return ov;
}

void RewritePanel::setRuleShown(const std::string& rule, bool shown) {
  if (shown) filter_.hidden.erase(rule);
  else filter_.hidden.insert(rule);
  updateLegend();
  emit overlayFilterChanged();
}

void RewritePanel::updateLegend() {
  const MatchReport* report = session_->report();
  if (!report || !session_->rewriter()) {
    legend_->clear();
    return;
  }
  std::set<std::string> rules;
  for (const auto& m : report->matches) rules.insert(m.rule);
  QStringList legend;
  auto entry = [&](const std::string& key, const QColor& c, const QString& text, const QString& glyph) {
    const bool on = filter_.enabled && filter_.hidden.count(key) == 0;
    // Hidden entries are struck through and grey, and still clickable to bring them back.
    // One entry never breaks across lines: only the gaps between entries wrap.
    const QString escaped = text.toHtmlEscaped().replace(QLatin1Char(' '), QStringLiteral("&nbsp;"));
    const QString label = on ? escaped : QStringLiteral("<s>%1</s>").arg(escaped);
    legend << QStringLiteral("<a href=\"rule:%1\" style=\"text-decoration:none; color:%2\">%3&nbsp;%4</a>")
                  .arg(QString::fromLatin1(QUrl::toPercentEncoding(QString::fromStdString(key))),
                       on ? palette().color(QPalette::WindowText).name() : palette().color(QPalette::PlaceholderText).name(),
                       chip(on ? c : palette().color(QPalette::PlaceholderText), glyph), label);
  };
  for (const auto& rule : rules)
    entry(rule, RewriteSession::colorOf(rule, report), QString::fromStdString(rule), QStringLiteral("\u25A0"));
  entry("@blocks", kBlockColor, tr("blocks"), QStringLiteral("\u25A0"));
  entry("@fuse", kFuseColor, tr("backend will fuse"), QStringLiteral("\u2505"));
  entry("@whynot", kWhyNotColor, tr("why not (hover)"), QStringLiteral("\u2509"));
  legend_->setText(legend.join(QStringLiteral(" &nbsp; ")));
}

void RewritePanel::setAnalysing(bool analysing) {
  if (analysing_ == analysing) return;
  analysing_ = analysing;
  rebuild();
}

void RewritePanel::rebuild() {
  matches_->clear();
  whyNot_->clear();
  blocks_->clear();
  const MatchReport* report = session_->report();
  if (!session_->rewriter()) {
    summary_->setText(tr("Choose a backend in the toolbar to see what its rules match."));
    legend_->clear();
    updateButtons();
    return;
  }
  if (!report) {
    summary_->setText(session_->document() ? tr("Matching…")
                      : analysing_       ? tr("Analysing the model; %1 is matched when that is done.").arg(session_->profileName())
                                         : tr("Open a model to match %1.").arg(session_->profileName()));
    legend_->clear();
    updateButtons();
    return;
  }
  // Matches grouped by rule, rules by how much they remove.
  std::map<std::string, std::vector<int>> byRule;
  for (size_t i = 0; i < report->matches.size(); ++i) byRule[report->matches[i].rule].push_back(static_cast<int>(i));
  for (const auto& [rule, indices] : byRule) {
    const QColor c = RewriteSession::colorOf(rule, report);
    int total = 0;
    for (int i : indices) total += report->matches[static_cast<size_t>(i)].nodeDelta;
    auto* top = new QTreeWidgetItem(matches_);
    top->setText(0, QStringLiteral("%1 (%2)").arg(QString::fromStdString(rule)).arg(indices.size()));
    top->setText(2, QString::fromStdString(report->matches[static_cast<size_t>(indices.front())].becomes));
    top->setToolTip(2, top->text(2));
    top->setText(1, delta(total));
    top->setData(0, kKindRole, RuleItem);
    top->setData(0, kRuleRole, QString::fromStdString(rule));
    QPixmap swatch(12, 12);
    swatch.fill(c);
    top->setIcon(0, QIcon(swatch));
    if (const auto* r = session_->rewriter()->findRule(rule)) top->setToolTip(0, QString::fromStdString((*r)->description()));
    for (int i : indices) {
      const Match& m = report->matches[static_cast<size_t>(i)];
      auto* item = new QTreeWidgetItem(top);
      item->setText(0, QString::fromStdString(m.root ? MatchContext::label(m.root) : rule));
      item->setText(2, QString::fromStdString(m.becomes));
      item->setToolTip(2, item->text(2));
      item->setText(1, delta(m.nodeDelta));
      item->setText(3, nodeList(m.nodes));
      item->setToolTip(3, nodeList(m.nodes, 50));
      item->setData(0, kKindRole, MatchItem);
      item->setData(0, kIndexRole, i);
      item->setData(0, kRuleRole, QString::fromStdString(rule));
    }
  }
  if (!report->backendFuses.empty()) {
    auto* top = new QTreeWidgetItem(matches_);
    top->setText(0, tr("Backend will fuse (%1)").arg(report->backendFuses.size()));
    top->setText(2, tr("left alone"));
    top->setData(0, kKindRole, FuseGroupItem);
    top->setForeground(0, kFuseColor);
    for (size_t i = 0; i < report->backendFuses.size(); ++i) {
      const Match& m = report->backendFuses[i];
      auto* item = new QTreeWidgetItem(top);
      // Where, not only what: the node the fusion starts at (the rule is in the tooltip too).
      const QString where = QString::fromStdString(m.root ? MatchContext::label(m.root)
                                                          : (m.nodes.empty() ? std::string() : MatchContext::label(m.nodes.front())));
      item->setText(0, where.isEmpty() ? QString::fromStdString(m.rule)
                                       : tr("%1 at %2").arg(QString::fromStdString(m.rule), where));
      item->setToolTip(0, item->text(0));
      item->setToolTip(3, nodeList(m.nodes, 50));
      item->setText(2, QString::fromStdString(m.becomes));
      item->setText(3, nodeList(m.nodes));
      item->setData(0, kKindRole, FuseItem);
      item->setData(0, kIndexRole, static_cast<int>(i));
    }
  }
  const bool allNearMisses = showAllNearMisses_->isChecked();
  const RankedNearMisses ranked = rankNearMisses(*report, allNearMisses);
  const RankedNearMisses kept = allNearMisses ? rankNearMisses(*report) : ranked;
  for (const auto& group : ranked.groups) {
    auto* top = new QTreeWidgetItem(whyNot_);
    top->setText(0, group.shown.size() == group.total ? QStringLiteral("%1 (%2)").arg(QString::fromStdString(group.rule)).arg(group.total)
                                                      : tr("%1 (%2 of %3)")
                                                            .arg(QString::fromStdString(group.rule))
                                                            .arg(group.shown.size())
                                                            .arg(group.total));
    top->setData(0, kKindRole, WhyNotGroupItem);
    top->setData(0, kRuleRole, QString::fromStdString(group.rule));
    top->setForeground(0, kWhyNotColor);
    top->setFirstColumnSpanned(true);
    if (const auto* r = session_->rewriter()->findRule(group.rule)) top->setToolTip(0, QString::fromStdString((*r)->description()));
    for (size_t i : group.shown) {
      const NearMiss& nm = report->nearMisses[i];
      auto* item = new QTreeWidgetItem(top);
      item->setText(0, QString::fromStdString(nm.rootName));
      item->setToolTip(0, QString::fromStdString(nm.rootName));
      item->setText(1, QString::fromStdString(nm.reason));
      item->setToolTip(1, QString::fromStdString(nm.reason));
      item->setData(0, kKindRole, WhyNotItem);
      item->setData(0, kIndexRole, static_cast<int>(i));
    }
  }
  if (ranked.groups.size() <= 3) whyNot_->expandAll();
  nearMissCount_->setText(tr("%1 in all, %2 kept").arg(kept.total).arg(kept.shown));
  showAllNearMisses_->setEnabled(kept.total > kept.shown || allNearMisses);
  for (size_t i = 0; i < report->blocks.size(); ++i) {
    const BlockerHit& b = report->blocks[i];
    auto* item = new QTreeWidgetItem(blocks_);
    item->setText(0, QString::fromStdString(b.nodeName.empty() ? b.opType : b.nodeName));
    item->setText(1, QString::fromStdString(b.opType));
    item->setText(2, QString::fromStdString(b.reason));
    item->setToolTip(2, QString::fromStdString(b.reason));
    item->setForeground(0, kBlockColor);
    item->setData(0, kKindRole, BlockItem);
    item->setData(0, kIndexRole, static_cast<int>(i));
  }
  if (byRule.size() <= 3) matches_->expandAll();
  // Columns as wide as what they hold (within reason), so rule names and "Becomes" read whole.
  for (auto [tree, column, cap] : {std::tuple{matches_, 0, 300}, std::tuple{matches_, 2, 260}, std::tuple{whyNot_, 0, 260},
                                   std::tuple{blocks_, 0, 240}, std::tuple{blocks_, 1, 140}}) {
    tree->resizeColumnToContents(column);
    tree->setColumnWidth(column, std::min(tree->columnWidth(column), cap));
  }
  updateLegend();
  summary_->setText(tr("%1: %2 in %3 · %4 · %5 · %6")
                        .arg(session_->profileName(),
                             tr("%n match(es)", nullptr, static_cast<int>(report->matches.size())),
                             tr("%n rule(s)", nullptr, static_cast<int>(byRule.size())),
                             tr("%n block(s)", nullptr, static_cast<int>(report->blocks.size())),
                             tr("%n backend fusion(s)", nullptr, static_cast<int>(report->backendFuses.size())),
                             tr("%n near miss(es)", nullptr, static_cast<int>(kept.shown))));
  tabs_->setTabText(0, tr("Matches (%1)").arg(report->matches.size()));
  tabs_->setTabText(1, tr("Why not (%1)").arg(kept.shown));
  tabs_->setTabText(2, tr("Blocks (%1)").arg(report->blocks.size()));
  updateButtons();
}

// A dock does not give word-wrapped labels the height their wrapped text needs (it lays out
// without height-for-width), so a long summary (German, narrow dock) was cut off. Each label
// gets at least the height of its text at the current width.
void RewritePanel::fitLabels() {
  for (QLabel* label : {summary_, legend_}) {
    const int h = label->heightForWidth(label->width());
    if (h > 0 && label->minimumHeight() != h) label->setMinimumHeight(h);
  }
}

bool RewritePanel::event(QEvent* event) {
  if (event->type() == QEvent::LayoutRequest || event->type() == QEvent::Resize) fitLabels();
  return QWidget::event(event);
}

int RewritePanel::currentMatch() const {
  QTreeWidgetItem* item = matches_->currentItem();
  if (!item || item->data(0, kKindRole).toInt() != MatchItem) return -1;
  return item->data(0, kIndexRole).toInt();
}

QString RewritePanel::currentRule() const {
  QTreeWidgetItem* item = matches_->currentItem();
  return item ? item->data(0, kRuleRole).toString() : QString();
}

bool RewritePanel::selectMatch(int index) {
  for (int t = 0; t < matches_->topLevelItemCount(); ++t) {
    QTreeWidgetItem* top = matches_->topLevelItem(t);
    for (int c = 0; c < top->childCount(); ++c)
      if (top->child(c)->data(0, kKindRole).toInt() == MatchItem && top->child(c)->data(0, kIndexRole).toInt() == index) {
        top->setExpanded(true);
        matches_->setCurrentItem(top->child(c));
        return true;
      }
  }
  return false;
}

void RewritePanel::updateButtons() {
  const bool ready = session_->reportCurrent() && !session_->isEditing();
  const bool match = ready && currentMatch() >= 0;
  preview_->setEnabled(match);
  apply_->setEnabled(match);
  applyRule_->setEnabled(ready && !currentRule().isEmpty());
  applyAll_->setEnabled(ready && session_->report() && !session_->report()->matches.empty());
}

void RewritePanel::onCurrentChanged(QTreeWidgetItem* item) {
  updateButtons();
  const MatchReport* report = session_->report();
  if (!item || !report || !session_->reportCurrent()) return;
  const int index = item->data(0, kIndexRole).toInt();
  std::vector<NodeId> nodes;
  int match = -1;
  switch (item->data(0, kKindRole).toInt()) {
    case MatchItem:
      if (index < static_cast<int>(report->matches.size())) {
        const Match& m = report->matches[static_cast<size_t>(index)];
        if (m.root) nodes.push_back(m.root->id());
        for (NodeId id : m.nodeIds)
          if (!m.root || id != m.root->id()) nodes.push_back(id);
        match = index;
      }
      break;
    case FuseItem:
      if (index < static_cast<int>(report->backendFuses.size())) nodes = report->backendFuses[static_cast<size_t>(index)].nodeIds;
      break;
    case WhyNotItem:
      if (index < static_cast<int>(report->nearMisses.size())) {
        nodes.push_back(report->nearMisses[static_cast<size_t>(index)].root);
        for (NodeId id : report->nearMisses[static_cast<size_t>(index)].partial)
          if (id != nodes.front()) nodes.push_back(id);
      }
      break;
    case BlockItem:
      if (index < static_cast<int>(report->blocks.size())) nodes.push_back(report->blocks[static_cast<size_t>(index)].node);
      break;
    default:
      return;
  }
  if (!nodes.empty()) emit nodesActivated(nodes, match);
}

}  // namespace graft
