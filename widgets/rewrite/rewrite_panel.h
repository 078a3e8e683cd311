// The rewrite dock: what the chosen backend profile matches in the open model (by rule, with
// what each match becomes), what the backend fuses itself, what blocks it and why rules did not
// match ("why not"), plus the buttons that preview and apply; and the canvas overlay for it.
#pragma once

#include <QWidget>

#include <memory>
#include <set>
#include <vector>

#include "canvas/canvas_scene.h"
#include "graft/rewrite.h"

class QCheckBox;
class QLabel;
class QPushButton;
class QTabWidget;
class QTreeWidget;
class QTreeWidgetItem;

namespace graft {

class RewriteSession;

// What the graph shows of a match report: everything, or nothing (the switch), less the rules
// (or "@blocks", "@fuse", "@whynot") turned off in the legend.
struct RewriteOverlayFilter {
  bool enabled = true;
  std::set<std::string> hidden;
};

class RewritePanel : public QWidget {
  Q_OBJECT

 public:
  explicit RewritePanel(RewriteSession* session, QWidget* parent = nullptr);

  // Rings per rule, red for blockers, dashed for "backend will fuse", dotted for near misses,
  // and tooltip notes with the reasons. focusMatch (an index into report.matches) is drawn in
  // the selection colour on top.
  using OverlayFilter = RewriteOverlayFilter;
  static std::shared_ptr<CanvasOverlay> makeOverlay(const MatchReport& report, int focusMatch = -1,
                                                    const QColor& focusColor = QColor(),
                                                    const OverlayFilter& filter = OverlayFilter());
  const OverlayFilter& overlayFilter() const { return filter_; }
  QCheckBox* overlaySwitch() const { return overlaySwitch_; }
  // Shows or hides one rule's rings (as a click on its legend entry does).
  void setRuleShown(const std::string& rule, bool shown);

  // A model is open but still being analysed (large models): say so instead of "Open a model".
  void setAnalysing(bool analysing);

  int currentMatch() const;  // index into the report's matches, -1 if none is selected
  QString currentRule() const;
  bool selectMatch(int index);

  QTreeWidget* matchTree() const { return matches_; }
  QTreeWidget* whyNotTree() const { return whyNot_; }  // rule rows, their near misses as children
  QCheckBox* showAllNearMissesBox() const { return showAllNearMisses_; }
  QTreeWidget* blockTree() const { return blocks_; }
  QLabel* legend() const { return legend_; }
  QPushButton* previewButton() const { return preview_; }
  QPushButton* applyButton() const { return apply_; }
  QPushButton* applyRuleButton() const { return applyRule_; }
  QPushButton* applyAllButton() const { return applyAll_; }

 signals:
  void overlayFilterChanged();
  // A match, blocker or near miss was chosen: select these nodes and bring them into view.
  void nodesActivated(const std::vector<graft::NodeId>& nodes, int match);

 protected:
  bool event(QEvent* event) override;

 private:
  bool analysing_ = false;
  void fitLabels();
  void rebuild();
  void updateButtons();
  void onCurrentChanged(QTreeWidgetItem* item);

  void updateLegend();

  RewriteSession* session_;
  OverlayFilter filter_;
  QCheckBox* overlaySwitch_ = nullptr;
  QLabel* summary_ = nullptr;
  QLabel* legend_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  QTreeWidget* matches_ = nullptr;
  QTreeWidget* whyNot_ = nullptr;
  QCheckBox* showAllNearMisses_ = nullptr;
  QLabel* nearMissCount_ = nullptr;
  QTreeWidget* blocks_ = nullptr;
  QPushButton* preview_ = nullptr;
  QPushButton* apply_ = nullptr;
  QPushButton* applyRule_ = nullptr;
  QPushButton* applyAll_ = nullptr;
};

}  // namespace graft
