#include "node_details_panel.h"

#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QUrl>

#include <set>

#include "format.h"

namespace graft {

namespace {

QString esc(const QString& s) { return s.toHtmlEscaped(); }
QString esc(const std::string& s) { return QString::fromStdString(s).toHtmlEscaped(); }

}  // namespace

NodeDetailsPanel::NodeDetailsPanel(QWidget* parent) : QTextBrowser(parent) {
  setOpenLinks(false);
  setReadOnly(true);
  connect(this, &QTextBrowser::anchorClicked, this, [this](const QUrl& url) {
    if (url.scheme() == QLatin1String("tensor")) emit tensorClicked(url.path(QUrl::FullyDecoded));
  });
  showHint();
}

void NodeDetailsPanel::setDocument(std::shared_ptr<const ModelDocument> document) {
  document_ = std::move(document);
  showNode(nullptr);
}

void NodeDetailsPanel::showHint() {
  setHtml(QStringLiteral("<p style='margin:12px'><i>%1</i></p>")
              .arg(esc(document_ ? tr("Select a node in the graph or the table to see its inputs, outputs, attributes and "
                                      "the documentation of its op.")
                                 : tr("Open a model to see its nodes here."))));
}

void NodeDetailsPanel::showNode(const Node* node) {
  node_ = node;
  if (!node || !document_) {
    showHint();
    return;
  }
  const ModelDocument& doc = *document_;
  const NodeRow* row = doc.rowFor(node->id());
  OpDoc op = describeNode(*node);
  const std::int64_t opset = doc.model->opsetVersion(node->domain());

  QString html;
  html += QStringLiteral("<h2>%1</h2>").arg(esc(node->opType()));
  QString sub = esc(displayDomain(node->domain()));
  if (opset >= 0) sub += QStringLiteral(" · ") + esc(tr("opset %1").arg(opset));
  if (op.known && op.sinceVersion > 0) sub += QStringLiteral(" · ") + esc(tr("since version %1").arg(op.sinceVersion));
  if (op.deprecated) sub += QStringLiteral(" · <b>%1</b>").arg(esc(tr("deprecated")));
  html += QStringLiteral("<p>%1</p>").arg(sub);

  html += QStringLiteral("<table cellspacing='0' cellpadding='2'>");
  auto field = [&](const QString& name, const QString& valueHtml) {
    html += QStringLiteral("<tr><td><b>%1</b>&nbsp;&nbsp;</td><td>%2</td></tr>").arg(esc(name), valueHtml);
  };
  field(tr("Name"), node->name().empty() ? QStringLiteral("<i>%1</i>").arg(esc(tr("(unnamed)"))) : esc(node->name()));
  if (row) field(tr("Position"), esc(tr("%1 of %2 in topological order").arg(row->index + 1).arg(doc.rows.size())));
  if (row && row->cost.known) {
    field(tr("MACs"), esc(formatCountWithCompact(row->cost.macs)));
    field(tr("FLOPs"), esc(formatCountWithCompact(row->cost.flops)));
  }
  html += QStringLiteral("</table>");

  // Tensors with the schema's formal names beside them; variadic formals name every extra slot.
  auto tensors = [&](const QString& title, const std::vector<Value*>& values, const std::vector<OpDoc::Formal>& formals) {
    html += QStringLiteral("<h3>%1</h3>").arg(esc(title));
    if (values.empty()) {
      html += QStringLiteral("<p><i>%1</i></p>").arg(esc(tr("none")));
      return;
    }
    html += QStringLiteral("<table cellspacing='0' cellpadding='2'>");
    for (size_t i = 0; i < values.size(); ++i) {
      QString formal;
      if (i < formals.size()) formal = QString::fromStdString(formals[i].name);
      else if (!formals.empty() && formals.back().variadic) formal = QString::fromStdString(formals.back().name);
      const Value* v = values[i];
      QString name, type;
      if (!v) {
        name = QStringLiteral("<i>%1</i>").arg(esc(tr("omitted")));
      } else {
        // A link, so the tensor's values (weights, or the last run's) are one click away.
        QUrl url;
        url.setScheme(QStringLiteral("tensor"));
        url.setPath(QString::fromStdString(v->name()));
        name = QStringLiteral("<a href=\"%1\">%2</a>").arg(esc(url.toString(QUrl::FullyEncoded)), esc(v->name()));
        if (v->isInitializer()) name += QStringLiteral(" <i>(%1)</i>").arg(esc(tr("initializer")));
        else if (v->isGraphInput()) name += QStringLiteral(" <i>(%1)</i>").arg(esc(tr("graph input")));
        if (v->isGraphOutput()) name += QStringLiteral(" <i>(%1)</i>").arg(esc(tr("graph output")));
        const onnx::TypeProto* t = doc.typeOf(v->name());
        type = t ? esc(formatType(*t)) : QStringLiteral("<i>%1</i>").arg(esc(tr("unknown")));
      }
      // A type is one token: "float32[batch,sequence,768]" must not break at its commas.
      html += QStringLiteral("<tr><td>%1&nbsp;&nbsp;</td><td>%2&nbsp;&nbsp;</td><td style='white-space:nowrap'><tt>%3</tt></td></tr>")
                  .arg(esc(formal), name, type);
    }
    html += QStringLiteral("</table>");
  };
  tensors(tr("Inputs"), node->inputs(), op.inputs);
  tensors(tr("Outputs"), node->outputs(), op.outputs);

  html += QStringLiteral("<h3>%1</h3>").arg(esc(tr("Attributes")));
  std::set<std::string> set;
  QString rows;
  for (const auto& a : node->proto().attribute()) {
    set.insert(a.name());
    QString value = esc(formatAttributeValue(a));
    if (a.type() == onnx::AttributeProto::GRAPH || a.type() == onnx::AttributeProto::GRAPHS) {
      size_t count = 0, graphs = 0;
      for (const auto& sg : node->subgraphs())
        if (sg.attribute == a.name() && sg.graph) {
          ++graphs;
          count += sg.graph->nodeCount();
        }
      value += QLatin1Char(' ') + esc(tr("(%n node(s))", nullptr, static_cast<int>(count)));
      if (graphs > 1) value += QLatin1Char(' ') + esc(tr("in %1 graphs").arg(graphs));
    }
    rows += QStringLiteral("<tr><td><b>%1</b>&nbsp;&nbsp;</td><td><tt>%2</tt></td></tr>").arg(esc(a.name()), value);
  }
  // Defaults the node relies on: the schema's value applies when the attribute is absent.
  for (const OpDoc::Attr& a : op.attributes) {
    if (set.count(a.name)) continue;
    QString value = a.required ? QStringLiteral("<b>%1</b>").arg(esc(tr("required but missing")))
                    : a.defaultValue.empty() ? QStringLiteral("<i>%1</i>").arg(esc(tr("not set")))
                                             : QStringLiteral("<tt>%1</tt> <i>(%2)</i>").arg(esc(a.defaultValue), esc(tr("default")));
    rows += QStringLiteral("<tr><td>%1&nbsp;&nbsp;</td><td>%2</td></tr>").arg(esc(a.name), value);
  }
  if (rows.isEmpty()) html += QStringLiteral("<p><i>%1</i></p>").arg(esc(tr("none")));
  else html += QStringLiteral("<table cellspacing='0' cellpadding='2'>") + rows + QStringLiteral("</table>");

  if (!node->proto().doc_string().empty())
    html += QStringLiteral("<h3>%1</h3><p>%2</p>").arg(esc(tr("Node description")), esc(node->proto().doc_string()));

  setHtml(html);

  // ONNX op docs are Markdown; the heading goes with them so the text starts its own block.
  QString markdown = QStringLiteral("### ") + tr("Documentation") + QStringLiteral("\n\n");
  if (op.known && !op.doc.empty()) {
    markdown += QString::fromStdString(op.doc);
  } else {
    markdown += QLatin1Char('*') +
                (op.note.empty() ? tr("The bundled onnx library has no schema for this op.")
                                 : tr("No schema: %1.").arg(QString::fromStdString(op.note))) +
                QLatin1Char('*');
  }
  QTextCursor cursor(document());
  cursor.movePosition(QTextCursor::End);
  // Its own block: inserted into a non-empty one, the heading would run on after its text.
  if (!cursor.block().text().isEmpty()) cursor.insertBlock();
  // Without HTML: the docs write types as Tensor<T>, which HTML mode took for a tag and
  // swallowed with the rest of the text ("Relu takes one input data (Tensor").
  cursor.insertMarkdown(markdown, QTextDocument::MarkdownFeatures(QTextDocument::MarkdownDialectGitHub |
                                                                  QTextDocument::MarkdownNoHTML));
  moveCursor(QTextCursor::Start);
  ensureCursorVisible();
}

}  // namespace graft
