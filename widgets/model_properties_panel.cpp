#include "model_properties_panel.h"

#include <QApplication>
#include <QFileInfo>
#include <QHeaderView>
#include <QStyle>

#include <algorithm>

#include "format.h"

namespace graft {

namespace {

QString str(const std::string& s) { return QString::fromStdString(s); }

// Long values (doc strings, paths) stay on one line in the tree; the tooltip has all of it.
QString firstLine(const QString& s, int max = 160) {
  QString line = s.section(QLatin1Char('\n'), 0, 0).trimmed();
  if (line.size() > max) line = line.left(max) + QStringLiteral("…");
  else if (line.size() < s.trimmed().size()) line += QStringLiteral(" …");
  return line;
}

}  // namespace

ModelPropertiesPanel::ModelPropertiesPanel(QWidget* parent) : QTreeWidget(parent) {
  setColumnCount(2);
  setHeaderLabels({tr("Property"), tr("Value")});
  setRootIsDecorated(true);
  setUniformRowHeights(true);
  setAlternatingRowColors(true);
  setSelectionMode(QAbstractItemView::ExtendedSelection);
  setTextElideMode(Qt::ElideRight);
  header()->setStretchLastSection(true);
  header()->setSectionResizeMode(0, QHeaderView::Interactive);
  showEmpty();
}

QTreeWidgetItem* ModelPropertiesPanel::section(const QString& title) {
  auto* item = new QTreeWidgetItem(this, {title});
  QFont f = item->font(0);
  f.setBold(true);
  item->setFont(0, f);
  item->setFirstColumnSpanned(true);
  return item;
}

QTreeWidgetItem* ModelPropertiesPanel::add(QTreeWidgetItem* parent, const QString& name, const QString& value) {
  auto* item = new QTreeWidgetItem(parent, {name, firstLine(value)});
  item->setToolTip(0, name);
  item->setToolTip(1, value.size() > 2000 ? value.left(2000) + QStringLiteral("…") : value);
  return item;
}

void ModelPropertiesPanel::showEmpty() {
  clear();
  problemCount_ = 0;
  auto* item = new QTreeWidgetItem(this, {tr("No model open")});
  item->setFirstColumnSpanned(true);
  item->setForeground(0, palette().brush(QPalette::PlaceholderText));
}

void ModelPropertiesPanel::setDocument(std::shared_ptr<const ModelDocument> document) {
  document_ = std::move(document);
  setUpdatesEnabled(false);
  clear();
  problemCount_ = 0;
  if (!document_ || !document_->model) {
    showEmpty();
    setUpdatesEnabled(true);
    return;
  }
  const ModelDocument& doc = *document_;
  const Model& model = *doc.model;
  const onnx::ModelProto& shell = model.shell();
  const Statistics& stats = doc.statistics;

  QTreeWidgetItem* file = section(tr("File"));
  add(file, tr("Name"), QFileInfo(str(doc.path)).fileName());
  add(file, tr("Folder"), QFileInfo(str(doc.path)).absolutePath());
  add(file, tr("Size"), formatBytes(doc.fileBytes));
  QTreeWidgetItem* opened =
      add(file, tr("Opened in"), tr("%1 s").arg(QLocale().toString(doc.loadSeconds + doc.analysisSeconds, 'f', 2)));
  opened->setToolTip(1, tr("Loading %1 s, analysis %2 s")
                            .arg(QLocale().toString(doc.loadSeconds, 'f', 2), QLocale().toString(doc.analysisSeconds, 'f', 2)));

  QTreeWidgetItem* info = section(tr("Model"));
  add(info, tr("IR version"), QString::number(shell.ir_version()));
  QString producer = str(shell.producer_name());
  if (!shell.producer_version().empty()) producer += QLatin1Char(' ') + str(shell.producer_version());
  add(info, tr("Producer"), producer.isEmpty() ? tr("(not recorded)") : producer);
  if (!shell.domain().empty()) add(info, tr("Domain"), str(shell.domain()));
  if (shell.model_version() != 0) add(info, tr("Model version"), QString::number(shell.model_version()));
  if (!model.graph().name().empty()) add(info, tr("Graph name"), str(model.graph().name()));
  if (!shell.doc_string().empty()) add(info, tr("Description"), str(shell.doc_string()));
  if (shell.functions_size() > 0) add(info, tr("Local functions"), QString::number(shell.functions_size()));

  QTreeWidgetItem* opsets = section(tr("Opsets"));
  for (const auto& op : shell.opset_import()) {
    QString value = QString::number(op.version());
    int known = maxKnownOpset(op.domain());
    if (known > 0 && op.version() > known)
      value += QLatin1Char(' ') + tr("(newer than Graft knows, up to %1)").arg(known);
    else if (known <= 0 && !op.domain().empty() && op.domain() != "ai.onnx")
      value += QLatin1Char(' ') + tr("(custom domain)");
    add(opsets, displayDomain(op.domain()), value);
  }

  auto typeText = [&](const Value* v) {
    const onnx::TypeProto* t = doc.typeOf(v->name());
    return t ? str(formatType(*t)) : tr("(unknown type)");
  };
  std::vector<const Value*> inputs;
  for (const Value* v : model.graph().inputs())
    if (!v->isInitializer()) inputs.push_back(v);  // IR < 4 lists weights as inputs too
  QTreeWidgetItem* ins = section(tr("Inputs (%1)").arg(inputs.size()));
  for (const Value* v : inputs) add(ins, str(v->name()), typeText(v));
  QTreeWidgetItem* outs = section(tr("Outputs (%1)").arg(model.graph().outputs().size()));
  for (const Value* v : model.graph().outputs()) add(outs, str(v->name()), typeText(v));

  QTreeWidgetItem* meta = nullptr;
  if (shell.metadata_props_size() > 0) {
    meta = section(tr("Metadata (%1)").arg(shell.metadata_props_size()));
    for (const auto& p : shell.metadata_props()) add(meta, str(p.key()), str(p.value()));
  }

  QTreeWidgetItem* st = section(tr("Statistics"));
  if (doc.analysisPending) {
    // A large model is shown before inference, statistics and validation are done.
    add(st, tr("Nodes"), formatCount(model.graph().nodeCount()));
    add(st, tr("Analysis"), tr("analysing…"));
    for (QTreeWidgetItem* item : {file, info, opsets, ins, outs, meta, st})
      if (item) item->setExpanded(true);
    resizeColumnToContents(0);
    setColumnWidth(0, std::min(columnWidth(0), 220));
    setUpdatesEnabled(true);
    return;
  }
  QString nodes = formatCount(stats.nodeCount);
  if (stats.totalNodeCount > stats.nodeCount)
    nodes += QLatin1Char(' ') + tr("(%1 with subgraphs)").arg(formatCount(stats.totalNodeCount));
  add(st, tr("Nodes"), nodes);
  // Compact figures keep the column narrow; the tooltip has the exact count.
  auto counted = [&](QTreeWidgetItem* parent, const QString& name, std::uint64_t count, const QString& extra = {}) {
    QString value = formatCompact(count);
    if (!extra.isEmpty()) value = tr("%1 (%2)").arg(value, extra);
    QTreeWidgetItem* item = add(parent, name, value);
    item->setToolTip(1, extra.isEmpty() ? formatCount(count) : tr("%1 (%2)").arg(formatCount(count), extra));
    return item;
  };
  QTreeWidgetItem* params = counted(st, tr("Parameters"), stats.parameters, formatBytes(stats.parameterBytes));
  if (stats.parametersByType.size() > 1 ||
      (stats.parametersByType.size() == 1 && stats.parametersByType.begin()->first != "float32")) {
    for (const auto& [dtype, count] : stats.parametersByType) {
      auto bytes = stats.parameterBytesByType.find(dtype);
      counted(params, str(dtype), count, formatBytes(bytes == stats.parameterBytesByType.end() ? 0 : bytes->second));
    }
    params->setExpanded(true);
  }
  add(st, tr("Initializers"), tr("%1 (%2)").arg(formatCount(stats.initializerCount), formatBytes(stats.parameterBytes)));
  // A zero total with uncounted nodes means "not known" (e.g. a symbolic batch size), not "free".
  const bool costUnknown = stats.flops == 0 && stats.nodesWithUnknownCost > 0;
  if (costUnknown) {
    add(st, tr("MACs"), tr("unknown"));
    add(st, tr("FLOPs"), tr("unknown"));
  } else {
    counted(st, tr("MACs"), stats.macs);
    counted(st, tr("FLOPs"), stats.flops);
  }
  // Dynamic batch/sequence dims are counted as 1: the totals are per unit of each.
  if (stats.nodesWithSymbolicDims > 0) add(st, tr("Symbolic dims"), tr("counted as 1"));
  if (stats.nodesWithUnknownCost > 0) {
    QTreeWidgetItem* unknown = add(st, tr("Not counted"), tr("%n node(s)", nullptr, static_cast<int>(stats.nodesWithUnknownCost)));
    unknown->setToolTip(1, tr("Nodes whose cost is not in the totals: their shapes are not static or the op has no cost formula."));
  }
  add(st, tr("Activations"), formatBytes(stats.activationBytes))
      ->setToolTip(1, tr("Bytes of all intermediate tensors whose shape is static"));
  if (stats.externalFiles.empty()) {
    add(st, tr("External data"), tr("none"))->setToolTip(1, tr("All weights are inside the .onnx file."));
  } else {
    QTreeWidgetItem* ext = add(st, tr("External data"), tr("%1 in %n file(s)", nullptr, static_cast<int>(stats.externalFiles.size()))
                                                           .arg(formatBytes(stats.externalBytes)));
    for (const std::string& f : stats.externalFiles) add(ext, QString(), str(f));
  }

  std::vector<std::pair<std::string, std::size_t>> histogram(stats.opHistogram.begin(), stats.opHistogram.end());
  std::stable_sort(histogram.begin(), histogram.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  QTreeWidgetItem* ops = section(tr("Op histogram (%n op type(s))", nullptr, static_cast<int>(histogram.size())));
  for (const auto& [op, count] : histogram) add(ops, str(op), formatCount(count));

  // Problems: what inference and the checker could not accept, tied to nodes where possible.
  struct Problem {
    Diagnostic::Severity severity;
    QString where, message;
  };
  std::vector<Problem> problems;
  if (!doc.orderError.empty()) problems.push_back({Diagnostic::Severity::Error, tr("graph"), str(doc.orderError)});
  if (!doc.inferenceError.empty())
    problems.push_back({Diagnostic::Severity::Warning, tr("shape inference"), str(doc.inferenceError)});
  auto addDiagnostics = [&](const std::vector<Diagnostic>& list, const QString& source) {
    for (const Diagnostic& d : list) {
      QString where = d.node.empty() ? source : str(d.node);
      if (!d.opType.empty() && !d.node.empty() && d.node.find(d.opType) == std::string::npos)
        where += QStringLiteral(" (") + str(d.opType) + QLatin1Char(')');
      problems.push_back({d.severity, where, str(d.message)});
    }
  };
  addDiagnostics(doc.inference.problems, tr("shape inference"));
  addDiagnostics(doc.validation.problems, tr("checker"));
  problemCount_ = static_cast<int>(problems.size());
  QTreeWidgetItem* probs = section(problems.empty() ? tr("Problems (none)") : tr("Problems (%1)").arg(problems.size()));
  if (problems.empty()) {
    add(probs, tr("Checker"), doc.validation.valid ? tr("valid") : tr("not valid"));
    add(probs, tr("Shape inference"), doc.inference.complete ? tr("every output typed") : tr("some outputs untyped"));
  }
  QStyle* s = style();
  for (const Problem& p : problems) {
    QTreeWidgetItem* item = add(probs, p.where, p.message);
    QStyle::StandardPixmap icon = p.severity == Diagnostic::Severity::Error     ? QStyle::SP_MessageBoxCritical
                                  : p.severity == Diagnostic::Severity::Warning ? QStyle::SP_MessageBoxWarning
                                                                                : QStyle::SP_MessageBoxInformation;
    item->setIcon(0, s->standardIcon(icon));
  }

  for (QTreeWidgetItem* item : {file, info, opsets, ins, outs, meta, st, probs})
    if (item) item->setExpanded(true);
  ops->setExpanded(histogram.size() <= 24);
  resizeColumnToContents(0);
  setColumnWidth(0, std::min(columnWidth(0), 220));
  setUpdatesEnabled(true);
}

}  // namespace graft
