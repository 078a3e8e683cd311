#include "rewrite/preview_dialog.h"

#include "format.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include <set>

#include "canvas/graph_canvas.h"
#include "diff/diff_view.h"
#include "graft/diff.h"

namespace graft {

namespace {

// The region as a model of its own. Weights it reads are initializers (dims and dtype only:
// the canvas shows them as badges, and the bytes are not needed to draw; the engine lists them,
// the ones the rewrite made included), values get the types the open model's inference found,
// so edges carry their shapes.
std::shared_ptr<ModelDocument> regionDocument(const onnx::GraphProto& region, const ModelDocument& source) {
  onnx::ModelProto proto = source.model->shell();
  onnx::GraphProto& graph = *proto.mutable_graph();
  graph = region;
  graph.set_name("preview");
  const Graph& g = source.model->graph();
  google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> inputs;
  std::set<std::string> weights;
  for (const auto& t : region.initializer()) weights.insert(t.name());
  for (const auto& in : region.input()) {
    if (weights.count(in.name())) continue;  // described by the engine
    const Value* v = g.findValue(in.name());
    if (!v || v->isInitializer()) {
      onnx::TensorProto* t = graph.add_initializer();
      t->set_name(in.name());
      if (v) {
        t->set_data_type(v->initializer()->dataType());
        for (auto d : v->initializer()->proto().dims()) t->add_dims(d);
      } else {
        // Made by the rewrite, from an engine that does not describe it: shape unknown.
        t->set_data_type(onnx::TensorProto_DataType_FLOAT);
      }
      continue;
    }
    onnx::ValueInfoProto info = in;
    if (const onnx::TypeProto* type = source.typeOf(in.name())) *info.mutable_type() = *type;
    *inputs.Add() = std::move(info);
  }
  *graph.mutable_input() = std::move(inputs);
  for (auto& out : *graph.mutable_output())
    if (const onnx::TypeProto* type = source.typeOf(out.name())) *out.mutable_type() = *type;
  for (const auto& n : region.node())
    for (const auto& o : n.output()) {
      bool isOutput = false;
      for (const auto& out : graph.output()) isOutput |= out.name() == o;
      if (isOutput || o.empty()) continue;
      if (const onnx::TypeProto* type = source.typeOf(o)) {
        onnx::ValueInfoProto* vi = graph.add_value_info();
        vi->set_name(o);
        *vi->mutable_type() = *type;
      }
    }
  auto model = Model::fromProto(std::move(proto));
  if (!model) return nullptr;
  auto doc = std::make_shared<ModelDocument>();
  doc->model = std::move(*model);
  return doc;
}

QString chip(const QColor& c, const QString& text) {
  return QStringLiteral("<span style=\"color:%1\">\u25A0</span>&nbsp;%2").arg(c.name(), text.toHtmlEscaped());
}

}  // namespace

RewritePreviewDialog::RewritePreviewDialog(const Preview& preview, const ModelDocument& source,
                                           const QString& title, QWidget* parent)
    : QDialog(parent) {
  setObjectName(QStringLiteral("rewritePreviewDialog"));
  setWindowTitle(tr("Preview: %1").arg(title));
  setAttribute(Qt::WA_DeleteOnClose);

  // What the engine says the rewrite does to each node (by label): removed, added, or changed
  // (edited in place, or replaced by a node of the same op on the same data).
  auto list = [](const std::vector<std::string>& v) {
    QStringList out;
    for (const auto& s : v) out << QString::fromStdString(s);
    return out;
  };
  removed_ = list(preview.removed);
  added_ = list(preview.added);
  changed_ = list(preview.changed);
  const QStringList changedFrom = list(preview.changedFrom);
  beforeDoc_ = regionDocument(preview.before, source);
  afterDoc_ = regionDocument(preview.after, source);

  auto* layout = new QVBoxLayout(this);
  auto* legend = new QLabel(this);
  legend->setObjectName(QStringLiteral("previewLegend"));
  legend->setTextFormat(Qt::RichText);
  legend->setText(chip(removedColor(), tr("removed (%1)").arg(removed_.size())) + QStringLiteral(" &nbsp; ") +
                  chip(addedColor(), tr("added (%1)").arg(added_.size())) + QStringLiteral(" &nbsp; ") +
                  chip(changedColor(), tr("changed (%1)").arg(changed_.size())) + QStringLiteral(" &nbsp; ") +
                  tr("Nothing is committed until you apply."));
  layout->addWidget(legend);
  auto* verified = new QLabel(formatVerification(preview.verification), this);
  verified->setObjectName(QStringLiteral("previewVerification"));
  verified->setWordWrap(true);
  verified->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(verified);

  // The region before and after in the diff view: paired by structure (the boundary by name),
  // rings from what the engine says the rewrite does, the diff's change list below.
  view_ = new DiffView(this);
  view_->setNumericAvailable(false);
  view_->summaryLabel()->hide();  // the legend above says it in the rewrite's terms
  view_->canvasA()->setObjectName(QStringLiteral("previewBefore"));
  view_->canvasB()->setObjectName(QStringLiteral("previewAfter"));
  std::shared_ptr<const ModelDiff> diff;
  if (beforeDoc_ && afterDoc_)
    if (auto d = diffModels(*beforeDoc_->model, *afterDoc_->model)) diff = std::make_shared<const ModelDiff>(std::move(d.value()));
  view_->setDiff(beforeDoc_, afterDoc_, diff);
  std::unordered_map<const Node*, DiffView::StatusOverride> overrides;
  auto mark = [&](const ModelDocument* doc, bool isBefore) {
    if (!doc) return;
    doc->model->graph().forEachNode([&](const Node& n) {
      const QString key = QString::fromStdString(MatchContext::label(&n));
      if ((isBefore ? changedFrom : changed_).contains(key))
        overrides[&n] = {DiffStatus::Changed, tr("changed by the rewrite")};
      else if (isBefore && removed_.contains(key))
        overrides[&n] = {DiffStatus::Removed, tr("removed by the rewrite")};
      else if (!isBefore && added_.contains(key))
        overrides[&n] = {DiffStatus::Added, tr("added by the rewrite")};
    });
  };
  mark(beforeDoc_.get(), true);
  mark(afterDoc_.get(), false);
  view_->setStatusOverrides(std::move(overrides));
  auto heading = [&](const QString& text, const std::shared_ptr<ModelDocument>& doc) {
    int count = doc ? static_cast<int>(doc->model->graph().nodeCount()) : 0;
    return QStringLiteral("<b>%1</b> · %2").arg(text.toHtmlEscaped(), tr("%n node(s)", nullptr, count));
  };
  view_->setSideTitles(heading(tr("Before"), beforeDoc_), heading(tr("After"), afterDoc_));
  layout->addWidget(view_, 1);

  auto* buttons = new QDialogButtonBox(this);
  apply_ = buttons->addButton(tr("Apply This Rewrite"), QDialogButtonBox::AcceptRole);
  apply_->setObjectName(QStringLiteral("previewApply"));
  buttons->addButton(QDialogButtonBox::Close);
  connect(buttons, &QDialogButtonBox::accepted, this, [this] {
    emit applyRequested();
    accept();
  });
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  layout->addWidget(buttons);
  resize(1100, 760);
}

GraphCanvas* RewritePreviewDialog::beforeCanvas() const { return view_->canvasA(); }
GraphCanvas* RewritePreviewDialog::afterCanvas() const { return view_->canvasB(); }
QColor RewritePreviewDialog::removedColor() { return DiffView::statusColor(DiffStatus::Removed); }
QColor RewritePreviewDialog::addedColor() { return DiffView::statusColor(DiffStatus::Added); }
QColor RewritePreviewDialog::changedColor() { return DiffView::statusColor(DiffStatus::Changed); }

int RewritePreviewDialog::beforeNodeCount() const {
  return beforeDoc_ ? static_cast<int>(beforeDoc_->model->graph().nodeCount()) : 0;
}

int RewritePreviewDialog::afterNodeCount() const {
  return afterDoc_ ? static_cast<int>(afterDoc_->model->graph().nodeCount()) : 0;
}

}  // namespace graft
