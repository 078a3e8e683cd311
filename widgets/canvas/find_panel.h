// Find (Ctrl+F) in the graph: a search field and the list of matching nodes; the canvas
// does the searching and brings a chosen result into view.
#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QListWidget;
class QTimer;

namespace graft {

class FindPanel : public QWidget {
  Q_OBJECT

 public:
  explicit FindPanel(QWidget* parent = nullptr);

  QLineEdit* field() const { return field_; }
  QListWidget* results() const { return list_; }
  void setResults(const QStringList& rows, int total);
  void open();  // shows the panel and focuses the field

 signals:
  void queryChanged(const QString& text);  // after a short pause in typing
  void resultActivated(int row);
  void closed();

 protected:
  void keyPressEvent(QKeyEvent* event) override;

 private:
  QLineEdit* field_;
  QListWidget* list_;
  QLabel* count_;
  QTimer* debounce_;
};

}  // namespace graft
