// The main window's quantization part: the Quantize dock beside the Rewrite dock, its heatmap on
// the canvas, clicking nodes to keep them in float, and Save As for the quantized result.
#include <QCheckBox>
#include <QDockWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QScrollArea>

#include "canvas/graph_canvas.h"
#include "main_window.h"
#include "quant/quant_panel.h"
#include "rewrite/rewrite_session.h"

namespace graft {

void MainWindow::createQuant() {
  quantPanel_ = new QuantPanel(rewrite_, this);
  quantPanel_->setObjectName(QStringLiteral("quantPanel"));
  quantDock_ = new QDockWidget(tr("Quantize"), this);
  quantDock_->setObjectName(QStringLiteral("quantDock"));
  // Scrolled: the form is taller than a small window, and a dock's minimum height would grow it.
  auto* scroll = new QScrollArea(quantDock_);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setWidget(quantPanel_);
  quantDock_->setWidget(scroll);
  addDockWidget(Qt::LeftDockWidgetArea, quantDock_);
  if (rewriteDock_) tabifyDockWidget(rewriteDock_, quantDock_);
  if (modelDock_) modelDock_->raise();

  connect(quantPanel_, &QuantPanel::overlayChanged, this, [this](std::shared_ptr<CanvasOverlay> overlay) {
    if (canvas_) canvas_->setOverlay(overlay);
  });
  connect(quantPanel_, &QuantPanel::saveRequested, this, &MainWindow::saveAs);
  connect(quantPanel_, &QuantPanel::failed, this, [this](const QString& message) {
    if (options_.errorDialogs) QMessageBox::warning(this, tr("Quantization failed"), message);
  });
  // With scores shown, a click on a node keeps it in float (or quantizes it again) and re-scores.
  connect(canvas_, &GraphCanvas::nodeSelected, this, [this](const Node* node) {
    if (!node || !quantPanel_->result() || !quantPanel_->clickToExcludeBox()->isChecked() || !quantDock_->isVisible()) return;
    QString name = QString::fromStdString(node->name());
    if (!name.isEmpty()) quantPanel_->toggleExclusion(name);
  });
  viewMenu_->addAction(quantDock_->toggleViewAction());
}

}  // namespace graft
