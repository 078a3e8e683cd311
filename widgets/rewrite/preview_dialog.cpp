#include "rewrite/preview_dialog.h"

#include "format.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>

#include <set>

#include "canvas/graph_canvas.h"

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
  auto overlayFor = [&](const ModelDocument* doc, bool isBefore) {
    auto ov = std::make_shared<CanvasOverlay>();
    if (!doc) return ov;
    doc->model->graph().forEachNode([&](const Node& n) {
      const QString key = QString::fromStdString(MatchContext::label(&n));
      QColor c;
      QString note;
      if ((isBefore ? changedFrom : changed_).contains(key)) {
        c = changedColor();
        note = tr("changed by the rewrite");
      } else if (isBefore && removed_.contains(key)) {
        c = removedColor();
        note = tr("removed by the rewrite");
      } else if (!isBefore && added_.contains(key)) {
        c = addedColor();
        note = tr("added by the rewrite");
      } else {
        return;  // kept as it was
      }
      ov->outlines[n.id()].push_back({c, Qt::SolidLine});
      ov->notes[n.id()] = note;
    });
    return ov;
  };

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

  auto* split = new QSplitter(Qt::Horizontal, this);
  auto side = [&](const QString& heading, std::shared_ptr<ModelDocument> doc, bool isBefore) {
    auto* box = new QWidget(split);
    auto* v = new QVBoxLayout(box);
    v->setContentsMargins(0, 0, 0, 0);
    int count = doc ? static_cast<int>(doc->model->graph().nodeCount()) : 0;
    auto* label = new QLabel(QStringLiteral("<b>%1</b> · %2").arg(heading.toHtmlEscaped(), tr("%n node(s)", nullptr, count)), box);
    v->addWidget(label);
    auto* canvas = new GraphCanvas(box);
    canvas->setObjectName(isBefore ? QStringLiteral("previewBefore") : QStringLiteral("previewAfter"));
    canvas->setDocument(doc);
    canvas->setOverlay(overlayFor(doc.get(), isBefore));
    v->addWidget(canvas, 1);
    split->addWidget(box);
    return canvas;
  };
  before_ = side(tr("Before"), beforeDoc_, true);
  after_ = side(tr("After"), afterDoc_, false);
  layout->addWidget(split, 1);

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
  resize(1000, 620);
}

int RewritePreviewDialog::beforeNodeCount() const {
  return beforeDoc_ ? static_cast<int>(beforeDoc_->model->graph().nodeCount()) : 0;
}

int RewritePreviewDialog::afterNodeCount() const {
  return afterDoc_ ? static_cast<int>(afterDoc_->model->graph().nodeCount()) : 0;
}

}  // namespace graft
