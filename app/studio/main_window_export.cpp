// File → Export Graph: the graph canvas as SVG or PNG, for the whole graph, the part the view
// shows, or the selected node or group. The drawing is the canvas's own (GraphCanvas::exportGraph).
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QStatusBar>

#include <spdlog/spdlog.h>

#include "canvas/graph_canvas.h"
#include "main_window.h"

namespace graft {

void MainWindow::createExportMenu(QMenu* file) {
  QMenu* menu = file->addMenu(tr("&Export Graph"));
  menu->setObjectName(QStringLiteral("exportGraphMenu"));
  struct Item {
    QString text;
    GraphCanvas::ExportArea area;
    const char* name;
  };
  const Item items[] = {
      {tr("&Whole Graph…"), GraphCanvas::ExportArea::Whole, "actionExportWhole"},
      {tr("&Visible Part…"), GraphCanvas::ExportArea::Visible, "actionExportVisible"},
      {tr("&Selection…"), GraphCanvas::ExportArea::Selection, "actionExportSelection"},
  };
  for (const Item& item : items) {
    QAction* a = menu->addAction(item.text, this, [this, area = item.area] { exportGraphAs(area); });
    a->setObjectName(QString::fromLatin1(item.name));
    if (item.area == GraphCanvas::ExportArea::Whole) a->setShortcut(QKeySequence(tr("Ctrl+E")));
  }
  menu->setEnabled(false);
  exportMenu_ = menu;
}

QString MainWindow::exportGraphAs(GraphCanvas::ExportArea area, const QString& chosenPath) {
  if (!document_) return {};
  QString path = chosenPath;
  if (path.isEmpty()) {
    const QFileInfo model(QString::fromStdString(document_->path));
    const QString suggested = model.absolutePath() + QLatin1Char('/') + model.completeBaseName() + QStringLiteral(".svg");
    path = QFileDialog::getSaveFileName(this, tr("Export Graph"), suggested,
                                        tr("SVG image (*.svg);;PNG image (*.png)"));
    if (path.isEmpty()) return {};
    if (QFileInfo(path).suffix().isEmpty()) path += QStringLiteral(".svg");
  }
  QString error;
  if (!canvas_->exportGraph(path, area, &error)) {
    spdlog::warn("{}", error.toStdString());
    if (options_.errorDialogs) QMessageBox::warning(this, tr("Export Graph"), error);
    return {};
  }
  statusBar()->showMessage(tr("Exported the graph to %1").arg(QDir::toNativeSeparators(path)), 5000);
  spdlog::info("exported the graph to {}", path.toStdString());
  return path;
}

}  // namespace graft
