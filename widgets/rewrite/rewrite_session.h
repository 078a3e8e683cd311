// The studio's side of rewriting: the chosen backend profile, matching off the GUI thread, and
// previewing, applying and undoing rewrites of the open document as commands on a QUndoStack.
#pragma once

#include <QColor>
#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

#include "graft/recipe.h"
#include "graft/rewrite.h"
#include "model_document.h"

class QTimer;
class QUndoStack;

namespace graft {

// A command on the history that can say which recipe steps it stands for (File → Export Recipe).
class RecipeSource {
 public:
  virtual ~RecipeSource() = default;
  virtual const std::vector<RecipeStep>& recipeSteps() const = 0;
};

// Everything a worker job hands back to the GUI thread.
struct RewriteJobResult {
  enum class Kind { Match, Analysis, Apply, Preview, Save } kind = Kind::Match;
  Status status;
  std::uint64_t revision = 0;                // model revision the job saw (Match)
  std::shared_ptr<MatchReport> report;       // Match
  std::shared_ptr<ModelDocument> analysis;   // Analysis / Apply: the re-run analyses
  std::optional<ChangeRecord> record;        // Apply
  std::vector<RecipeStep> steps;             // Apply: each rewrite kept, as a recipe step
  std::optional<Preview> preview;            // Preview
  QString label;                             // Apply: the command's text; Preview: the match; Save: the path
  std::uint64_t revisionAfter = 0;            // Preview: the revision its apply+undo left
  bool cancelled = false;
  bool stoppedMidway = false;  // Apply: the engine saw the cancel and undid its partial work
};

class RewriteSession : public QObject {
  Q_OBJECT

 public:
  enum class Scope { Match, Rule, Profile };

  explicit RewriteSession(QObject* parent = nullptr);
  ~RewriteSession() override;

  QUndoStack* undoStack() const { return stack_; }
  // A newly opened document: clears the undo history and matches again.
  void setDocument(std::shared_ptr<ModelDocument> document);
  const std::shared_ptr<ModelDocument>& document() const { return document_; }

  // Backend profiles by name (graft::availableProfiles) or path; rule files add user rules.
  static QStringList availableProfiles();
  bool setProfile(const QString& nameOrPath, QString* error = nullptr);
  bool addRuleFile(const QString& path, QString* error = nullptr);
  QString profileName() const;
  QStringList ruleFiles() const { return ruleFiles_; }
  const Rewriter* rewriter() const { return rewriter_.get(); }

  // Matching runs on a worker; matchesChanged() tells when report() is current.
  void rematch();
  const MatchReport* report() const { return report_.get(); }
  bool reportCurrent() const;
  // A colour per rule name, readable on light and dark canvases, never the selection's blue
  // nor the red, orange and grey of blocks, near misses and backend fusions. With a report,
  // the rules it matched get distinct colours from a fixed palette (by sorted name); without,
  // a colour from the name's hash.
  static QColor colorOf(const std::string& rule, const MatchReport* report = nullptr);

  // Applies on a worker (the window blocks input meanwhile); ends in applied() or applyFailed().
  void apply(Scope scope, int matchIndex = -1, const QString& rule = {});
  // Another tool's edit of the document's model (quantization) as one undoable command: `edit` runs
  // on the worker inside a journal, like an apply, and ends in applied() or applyFailed(). A failing
  // or cancelled edit leaves the model as it was.
  using ModelEdit = std::function<Status(Model& model, const ProgressFn& progress)>;
  // `steps`: what the edit is as a recipe (File → Export Recipe), taken before it runs.
  void applyEdit(const QString& label, ModelEdit edit, std::vector<RecipeStep> steps = {});
  // Before/after of one match without committing it; ends in previewReady() or previewFailed().
  void requestPreview(int matchIndex);
  bool isBusy() const { return running_ != nullptr || !queue_.empty(); }
  bool isEditing() const { return editing_; }
  // Saves the model (atomically, graft::saveModel) on a worker, after the jobs queued before it;
  // ends in saveFinished. A failed or cancelled save leaves the file at `path` as it was.
  void save(const QString& path);
  // Also asked by every save's progress (tests cancel through it: return false).
  ProgressFn& saveProgressHook() { return saveHook_; }
  // Cancels the running job; an apply stops at the next match and undoes what it did.
  void cancel();
  ApplyOptions& applyOptions() { return options_; }

  // Called by the undo commands (GUI thread).
  void replay(const ChangeRecord& record, bool undo);
  // A change made on the GUI thread (a hand edit, a recipe) becomes one command on the stack;
  // the analyses follow on a worker as after an undo. `steps`: what it is as a recipe.
  void commit(ChangeRecord record, const QString& text, std::vector<RecipeStep> steps);

 signals:
  void profileChanged();
  void matchingStarted();
  void matchesChanged();
  void busyChanged(bool busy);
  // A job edits the model on a worker: views must not read or observe it until editFinished.
  void editStarted(const QString& what);
  void editFinished();
  // The analyses were re-run after an edit (apply, undo, redo): views show the new state.
  void documentChanged();
  void applied(const QString& summary);
  void applyFailed(const QString& message);
  void previewReady(const graft::Preview& preview, int matchIndex);
  void previewFailed(const QString& message);
  void progressChanged(double fraction, const QString& stage);
  // ok: written and the undo stack marked clean; else `message` says why (cancelled: the user's Cancel).
  void saveFinished(const QString& path, bool ok, bool cancelled, const QString& message);

 private:
  using Job = std::function<RewriteJobResult(const std::shared_ptr<std::atomic<bool>>& cancel,
                                             const std::shared_ptr<std::atomic<double>>& progress)>;
  struct Pending {
    Job job;
    bool edits = false;
    QString what;
    std::uint64_t generation = 0;  // setDocument() count when it started
  };
  void enqueue(Job job, bool edits, const QString& what);
  void startNext();
  void finished();
  void scheduleAnalysis();
  void rebuildRewriter();

  QUndoStack* stack_ = nullptr;
  std::shared_ptr<ModelDocument> document_;
  std::optional<Profile> profile_;
  QStringList ruleFiles_;
  std::shared_ptr<const Rewriter> rewriter_;
  std::shared_ptr<MatchReport> report_;
  std::uint64_t reportRevision_ = 0;
  ApplyOptions options_;
  ProgressFn saveHook_;

  QFutureWatcher<RewriteJobResult>* watcher_ = nullptr;
  std::unique_ptr<Pending> running_;
  std::vector<Pending> queue_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  std::shared_ptr<std::atomic<double>> progress_;
  bool editing_ = false;
  std::uint64_t generation_ = 0;
  bool analysisQueued_ = false;
  bool matchQueued_ = false;
  QTimer* progressTimer_ = nullptr;
};

}  // namespace graft

Q_DECLARE_METATYPE(graft::Preview)
