#include "canvas/find_panel.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace graft {

FindPanel::FindPanel(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("findPanel"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 4, 6, 4);
  layout->setSpacing(4);
  auto* row = new QHBoxLayout;
  field_ = new QLineEdit(this);
  field_->setObjectName(QStringLiteral("findField"));
  field_->setPlaceholderText(tr("Find a node by name, op type or tensor name"));
  field_->setClearButtonEnabled(true);
  count_ = new QLabel(this);
  auto* close = new QToolButton(this);
  close->setText(QStringLiteral("\u2715"));
  close->setToolTip(tr("Close (Esc)"));
  close->setAutoRaise(true);
  row->addWidget(field_, 1);
  row->addWidget(count_);
  row->addWidget(close);
  layout->addLayout(row);
  list_ = new QListWidget(this);
  list_->setObjectName(QStringLiteral("findResults"));
  list_->setMaximumHeight(160);
  list_->setUniformItemSizes(true);
  list_->hide();
  layout->addWidget(list_);

  debounce_ = new QTimer(this);
  debounce_->setSingleShot(true);
  debounce_->setInterval(150);
  connect(field_, &QLineEdit::textChanged, debounce_, qOverload<>(&QTimer::start));
  connect(debounce_, &QTimer::timeout, this, [this] { emit queryChanged(field_->text()); });
  connect(field_, &QLineEdit::returnPressed, this, [this] {
    debounce_->stop();
    emit queryChanged(field_->text());
    if (list_->count() > 0) {
      int row = list_->currentRow() < 0 ? 0 : (list_->currentRow() + 1) % list_->count();
      list_->setCurrentRow(row);
      emit resultActivated(row);
    }
  });
  connect(list_, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) { emit resultActivated(list_->row(item)); });
  connect(list_, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) { emit resultActivated(list_->row(item)); });
  connect(close, &QToolButton::clicked, this, [this] {
    hide();
    emit closed();
  });
  hide();
}

void FindPanel::setResults(const QStringList& rows, int total) {
  list_->clear();
  list_->addItems(rows);
  list_->setVisible(!rows.isEmpty());
  if (field_->text().isEmpty())
    count_->clear();
  else if (total > rows.size())
    count_->setText(tr("%1 of %2").arg(rows.size()).arg(total));
  else
    count_->setText(tr("%n match(es)", nullptr, total));
}

void FindPanel::open() {
  show();
  field_->setFocus();
  field_->selectAll();
}

void FindPanel::keyPressEvent(QKeyEvent* event) {
  if (event->key() == Qt::Key_Escape) {
    hide();
    emit closed();
    return;
  }
  if (event->key() == Qt::Key_Down && field_->hasFocus() && list_->count() > 0) {
    list_->setFocus();
    list_->setCurrentRow(0);
    return;
  }
  QWidget::keyPressEvent(event);
}

}  // namespace graft
