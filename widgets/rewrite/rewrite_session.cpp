#include "rewrite/rewrite_session.h"

#include "format.h"

#include <iterator>
#include <set>

#include <QCoreApplication>
#include <QFileInfo>
#include <QTimer>
#include <QUndoCommand>
#include <QUndoStack>
#include <QtConcurrent/QtConcurrentRun>

#include <spdlog/spdlog.h>

#include "graft/io.h"

#include <algorithm>

namespace graft {

namespace {

// One applied rewrite on the undo stack. The engine did it already (on a worker), so the
// first redo() is the push itself; later undo/redo replay the record's journal.
class RewriteCommand : public QUndoCommand, public RecipeSource {
 public:
  RewriteCommand(RewriteSession* session, ChangeRecord record, const QString& text, std::vector<RecipeStep> steps = {})
      : session_(session), record_(std::move(record)), steps_(std::move(steps)) {
    setText(text);
  }
  const std::vector<RecipeStep>& recipeSteps() const override { return steps_; }
  void undo() override { session_->replay(record_, true); }
  void redo() override {
    if (first_) {
      first_ = false;
      return;
    }
    session_->replay(record_, false);
  }

 private:
  RewriteSession* session_;
  ChangeRecord record_;
  std::vector<RecipeStep> steps_;
  bool first_ = true;
};

QString summaryOf(const ChangeRecord& rec) {
  const int applied = static_cast<int>(rec.applied);  // a cast as the count hides the call from lupdate
  QString s = QCoreApplication::translate("graft::RewriteSession", "%n rewrite(s)", nullptr, applied);
  s += QStringLiteral(" · ") +
       QCoreApplication::translate("graft::RewriteSession", "%1 nodes").arg(rec.nodeDelta > 0 ? QStringLiteral("+%1").arg(rec.nodeDelta)
                                                                                               : QString::number(rec.nodeDelta));
  if (!rec.rules.empty()) {
    QStringList rules;
    for (const auto& r : rec.rules) rules << QString::fromStdString(r);
    s += QStringLiteral(" · ") + rules.join(QStringLiteral(", "));
  }
  // The history says how each step was checked, as the preview did.
  if (rec.verification.numeric || rec.verification.structural) s += QStringLiteral(" · ") + formatVerification(rec.verification);
  return s;
}

}  // namespace

RewriteSession::RewriteSession(QObject* parent) : QObject(parent) {
  qRegisterMetaType<graft::Preview>();
  stack_ = new QUndoStack(this);
  watcher_ = new QFutureWatcher<RewriteJobResult>(this);
  connect(watcher_, &QFutureWatcher<RewriteJobResult>::finished, this, &RewriteSession::finished);
  progressTimer_ = new QTimer(this);
  progressTimer_->setInterval(100);
  connect(progressTimer_, &QTimer::timeout, this, [this] {
    if (running_ && progress_) emit progressChanged(progress_->load(), running_->what);
  });
}

RewriteSession::~RewriteSession() {
  queue_.clear();
  if (cancel_) cancel_->store(true);
  watcher_->waitForFinished();
  // Commands hold journals that keep removed nodes alive; drop them before the model goes.
  stack_->clear();
}

void RewriteSession::setDocument(std::shared_ptr<ModelDocument> document) {
  queue_.clear();
  if (cancel_) cancel_->store(true);
  watcher_->waitForFinished();
  stack_->clear();
  // The job that was running reports back later; its result belongs to the old document.
  ++generation_;
  matchQueued_ = false;
  analysisQueued_ = false;
  document_ = std::move(document);
  report_.reset();
  reportRevision_ = 0;
  emit matchesChanged();
  rematch();
}

QStringList RewriteSession::availableProfiles() {
  QStringList out;
  for (const auto& p : graft::availableProfiles()) out << QString::fromStdString(p);
  return out;
}

bool RewriteSession::setProfile(const QString& nameOrPath, QString* error) {
  auto profile = findProfile(nameOrPath.toStdString());
  if (!profile) {
    if (error) *error = QString::fromStdString(profile.message());
    return false;
  }
  auto rw = Rewriter::create(*profile, [this] {
    std::vector<std::string> files;
    for (const QString& f : ruleFiles_) files.push_back(f.toStdString());
    return files;
  }());
  if (!rw) {
    if (error) *error = QString::fromStdString(rw.message());
    return false;
  }
  profile_ = std::move(*profile);
  rewriter_ = std::make_shared<const Rewriter>(std::move(*rw));
  report_.reset();
  matchQueued_ = false;
  emit profileChanged();
  emit matchesChanged();
  rematch();
  return true;
}

bool RewriteSession::addRuleFile(const QString& path, QString* error) {
  // Checked on its own first, so a mistake names the user's file and line.
  auto rules = loadRuleFile(path.toStdString());
  if (!rules) {
    if (error) *error = QString::fromStdString(rules.message());
    return false;
  }
  QStringList files = ruleFiles_;
  if (!files.contains(path)) files << path;
  if (!profile_) {
    rewriter_ = std::make_shared<const Rewriter>(Rewriter::fromRules(std::move(*rules)));
    ruleFiles_ = files;
  } else {
    // The profile's rule list decides what runs; rules it does not name still run when
    // they come from a file the user loaded explicitly.
    Profile p = *profile_;
    for (const auto& r : *rules)
      if (std::none_of(p.rules.begin(), p.rules.end(), [&](const ProfileRule& pr) { return pr.name == r->name(); }))
        p.rules.push_back(ProfileRule{r->name(), false, {}});
    std::vector<std::string> extra;
    for (const QString& f : files) extra.push_back(f.toStdString());
    auto rw = Rewriter::create(p, extra);
    if (!rw) {
      if (error) *error = QString::fromStdString(rw.message());
      return false;
    }
    profile_ = std::move(p);
    rewriter_ = std::make_shared<const Rewriter>(std::move(*rw));
    ruleFiles_ = files;
  }
  report_.reset();
  matchQueued_ = false;
  emit profileChanged();
  emit matchesChanged();
  rematch();
  return true;
}

QString RewriteSession::profileName() const {
  return profile_ ? QString::fromStdString(profile_->name) : QString();
}

bool RewriteSession::reportCurrent() const {
  return report_ && document_ && document_->model && reportRevision_ == document_->model->revision();
}

QColor RewriteSession::colorOf(const std::string& rule, const MatchReport* report) {
  // Told apart at a glance, and away from blue (selection), red (blocks), orange (why not) and
  // slate (backend will fuse). A hash of the name gave two rules of one profile the same magenta.
  static const QColor kPalette[] = {
      QColor(44, 160, 44),   QColor(148, 103, 189), QColor(227, 119, 194), QColor(188, 189, 34),
      QColor(90, 90, 0),     QColor(140, 86, 75),   QColor(0, 128, 96),    QColor(75, 0, 130),
      QColor(230, 180, 0),   QColor(190, 0, 120),   QColor(120, 200, 120), QColor(0, 100, 140),
  };
  constexpr std::size_t kCount = sizeof kPalette / sizeof kPalette[0];
  std::size_t index = 0;
  bool found = false;
  if (report) {
    std::set<std::string> names;
    for (const auto& m : report->matches) names.insert(m.rule);
    if (auto it = names.find(rule); it != names.end()) {
      index = static_cast<std::size_t>(std::distance(names.begin(), it));
      found = true;
    }
  }
  if (!found) {
    std::uint32_t h = 2166136261u;
    for (unsigned char c : rule) h = (h ^ c) * 16777619u;
    index = h % kCount;
  }
  // Past the palette, the same hues a shade darker.
  const QColor c = kPalette[index % kCount];
  return index < kCount ? c : c.darker(100 + 35 * static_cast<int>(index / kCount));
}

void RewriteSession::rematch() {
  if (!document_ || !document_->model || !rewriter_) return;
  if (matchQueued_) return;
  matchQueued_ = true;
  emit matchingStarted();
  auto doc = document_;
  auto rw = rewriter_;
  enqueue(
      [doc, rw](const auto&, const auto&) {
        RewriteJobResult r;
        r.kind = RewriteJobResult::Kind::Match;
        r.revision = doc->model->revision();
        r.report = std::make_shared<MatchReport>(rw->match(*doc->model, MatchOptions{.nearMisses = true}));
        return r;
      },
      false, tr("Matching"));
}

void RewriteSession::applyEdit(const QString& label, ModelEdit edit, std::vector<RecipeStep> steps) {
  if (!document_ || !document_->model || !edit) return;
  auto doc = document_;
  enqueue(
      [doc, edit, label, steps](const std::shared_ptr<std::atomic<bool>>& cancel, const std::shared_ptr<std::atomic<double>>& progress) {
        RewriteJobResult r;
        r.kind = RewriteJobResult::Kind::Apply;
        r.label = label;
        r.steps = steps;
        Model& model = *doc->model;
        progress->store(-1);
        auto journal = std::make_shared<EditJournal>();
        if (auto s = model.beginJournal(journal.get()); !s) {
          r.status = s;
          return r;
        }
        const std::size_t before = model.graph().nodeCount();
        Status s = edit(model, [progress, cancel](double f, std::string_view) {
          progress->store(f);
          return !cancel->load();
        });
        model.endJournal();
        if (!s || cancel->load()) {
          model.undoJournal(*journal);
          r.status = s;
          r.cancelled = cancel->load() || s.code() == ErrorCode::Cancelled;
          r.stoppedMidway = r.cancelled;
          return r;
        }
        ChangeRecord rec;
        rec.rule = label.toStdString();
        rec.rules = {rec.rule};
        rec.applied = journal->empty() ? 0 : 1;
        rec.nodeDelta = static_cast<std::int64_t>(model.graph().nodeCount()) - static_cast<std::int64_t>(before);
        rec.journal = journal;
        r.record = std::move(rec);
        auto fresh = analyseModel(*doc, [progress](double f, std::string_view) {
          progress->store(f);
          return true;
        });
        if (fresh) r.analysis = std::move(*fresh);
        else r.status = fresh.status();
        return r;
      },
      true, label);
}

void RewriteSession::apply(Scope scope, int matchIndex, const QString& rule) {
  if (!document_ || !document_->model || !rewriter_) return;
  std::optional<Match> match;
  QString label;
  if (scope == Scope::Match) {
    if (!reportCurrent() || matchIndex < 0 || matchIndex >= static_cast<int>(report_->matches.size())) {
      emit applyFailed(tr("The list of matches is out of date; wait for matching to finish and try again."));
      return;
    }
    match = report_->matches[static_cast<size_t>(matchIndex)];
    label = tr("Apply %1 at %2")
                .arg(QString::fromStdString(match->rule),
                     QString::fromStdString(match->root ? MatchContext::label(match->root) : std::string()));
  } else if (scope == Scope::Rule) {
    label = tr("Apply all matches of %1").arg(rule);
  } else {
    label = tr("Apply profile %1").arg(profileName());
  }
  auto doc = document_;
  auto rw = rewriter_;
  const ApplyOptions baseOptions = options_;
  const std::string ruleName = rule.toStdString();
  const std::string profile = profile_ ? profile_->name : std::string();
  enqueue(
      [doc, rw, scope, match, ruleName, baseOptions, label, profile](const std::shared_ptr<std::atomic<bool>>& cancel,
                                                            const std::shared_ptr<std::atomic<double>>& progress) {
        RewriteJobResult r;
        r.kind = RewriteJobResult::Kind::Apply;
        r.label = label;
        Model& model = *doc->model;
        progress->store(-1);
        // The engine asks between matches, so Cancel stops it midway (and it undoes its edits).
        ApplyOptions options = baseOptions;
        // Each rewrite kept is recorded with its anchor, for File → Export Recipe.
        RecipeRecorder recorder;
        recorder.attach(options, profile);
        auto outer = baseOptions.progress;
        options.progress = [progress, cancel, outer](double f, std::string_view stage) {
          progress->store(f);
          return !cancel->load() && (!outer || outer(f, stage));
        };
        Result<ChangeRecord> rec = scope == Scope::Match  ? rw->applyMatch(model, *match, options)
                                   : scope == Scope::Rule ? rw->applyRule(model, ruleName, options)
                                                          : rw->applyAll(model, options);
        if (!rec) {
          r.status = rec.status();
          r.cancelled = rec.status().code() == ErrorCode::Cancelled;
          r.stoppedMidway = r.cancelled;
          return r;
        }
        if (cancel->load()) {
          (void)rec->undo(model);
          r.cancelled = true;
          return r;
        }
        r.record = std::move(*rec);
        r.steps = recorder.recipe().steps;
        // The views need the analyses of the new graph; done here, still off the GUI thread.
        auto fresh = analyseModel(*doc, [progress, cancel](double f, std::string_view) {
          progress->store(f);
          return true;
        });
        if (fresh) r.analysis = std::move(*fresh);
        else r.status = fresh.status();
        return r;
      },
      true, label);
}

void RewriteSession::requestPreview(int matchIndex) {
  if (!reportCurrent() || matchIndex < 0 || matchIndex >= static_cast<int>(report_->matches.size())) {
    emit previewFailed(tr("The list of matches is out of date; wait for matching to finish and try again."));
    return;
  }
  auto doc = document_;
  auto rw = rewriter_;
  Match match = report_->matches[static_cast<size_t>(matchIndex)];
  enqueue(
      [doc, rw, match, matchIndex](const auto&, const auto&) {
        RewriteJobResult r;
        r.kind = RewriteJobResult::Kind::Preview;
        r.revision = static_cast<std::uint64_t>(matchIndex);
        r.label = QString::number(doc->model->revision());
        auto pv = rw->preview(*doc->model, match);
        r.revisionAfter = doc->model->revision();
        if (pv) r.preview = std::move(*pv);
        else r.status = pv.status();
        return r;
      },
      true, tr("Preparing the preview"));
}

void RewriteSession::save(const QString& path) {
  if (!document_ || !document_->model) {
    emit saveFinished(path, false, false, tr("There is no model to save: open one first."));
    return;
  }
  auto doc = document_;
  ProgressFn hook = saveHook_;
  enqueue(
      [doc, path, hook](const std::shared_ptr<std::atomic<bool>>& cancel,
                        const std::shared_ptr<std::atomic<double>>& progress) {
        RewriteJobResult r;
        r.kind = RewriteJobResult::Kind::Save;
        r.label = path;
        r.revision = doc->model->revision();
        auto saved = saveModel(*doc->model, path.toStdString(), {}, [&](double f, std::string_view stage) {
          progress->store(f);
          return !cancel->load() && (!hook || hook(f, stage));
        });
        if (!saved) {
          r.status = saved.status();
          r.cancelled = saved.status().code() == ErrorCode::Cancelled;
        }
        return r;
      },
      false, tr("Saving %1").arg(QFileInfo(path).fileName()));
}

void RewriteSession::cancel() {
  if (cancel_) cancel_->store(true);
}

void RewriteSession::replay(const ChangeRecord& record, bool undo) {
  if (!document_ || !document_->model) return;
  emit editStarted(undo ? tr("Undoing") : tr("Redoing"));
  Status st = undo ? record.undo(*document_->model) : record.redo(*document_->model);
  if (!st) spdlog::error("{}", st.message());
  scheduleAnalysis();
}

void RewriteSession::commit(ChangeRecord record, const QString& text, std::vector<RecipeStep> steps) {
  if (!document_ || !document_->model) return;
  emit editStarted(text);
  stack_->push(new RewriteCommand(this, std::move(record), text, std::move(steps)));
  scheduleAnalysis();
}

void RewriteSession::scheduleAnalysis() {
  if (analysisQueued_) return;
  analysisQueued_ = true;
  auto doc = document_;
  enqueue(
      [doc](const std::shared_ptr<std::atomic<bool>>&, const std::shared_ptr<std::atomic<double>>& progress) {
        RewriteJobResult r;
        r.kind = RewriteJobResult::Kind::Analysis;
        auto fresh = analyseModel(*doc, [progress](double f, std::string_view) {
          progress->store(f);
          return true;
        });
        if (fresh) r.analysis = std::move(*fresh);
        else r.status = fresh.status();
        return r;
      },
      false, tr("Analysing the model"));
}

void RewriteSession::enqueue(Job job, bool edits, const QString& what) {
  const bool wasBusy = isBusy();
  queue_.push_back(Pending{std::move(job), edits, what});
  if (!running_) startNext();
  if (!wasBusy) emit busyChanged(true);
}

void RewriteSession::startNext() {
  if (running_ || queue_.empty()) return;
  running_ = std::make_unique<Pending>(std::move(queue_.front()));
  queue_.erase(queue_.begin());
  running_->generation = generation_;
  cancel_ = std::make_shared<std::atomic<bool>>(false);
  progress_ = std::make_shared<std::atomic<double>>(-1.0);
  if (running_->edits) {
    editing_ = true;
    emit editStarted(running_->what);
  }
  emit progressChanged(-1, running_->what);
  progressTimer_->start();
  watcher_->setFuture(QtConcurrent::run([job = running_->job, cancel = cancel_, progress = progress_] {
    return job(cancel, progress);
  }));
}

void RewriteSession::finished() {
  progressTimer_->stop();
  RewriteJobResult r = watcher_->result();
  std::unique_ptr<Pending> done = std::move(running_);
  const bool edited = done && done->edits;
  editing_ = false;
  if (done && done->generation != generation_) {
    // Started on a document that has been replaced since: only let the views go again.
    if (edited) emit editFinished();
    if (r.kind == RewriteJobResult::Kind::Save)
      emit saveFinished(r.label, false, true, tr("Another model was opened while saving."));
    if (!running_ && !queue_.empty()) startNext();
    if (!isBusy()) emit busyChanged(false);
    return;
  }
  switch (r.kind) {
    case RewriteJobResult::Kind::Match:
      matchQueued_ = false;
      // A report of an older graph is useless: another match is queued behind the edit.
      if (document_ && document_->model && r.revision == document_->model->revision()) {
        report_ = std::move(r.report);
        reportRevision_ = r.revision;
        for (const auto& w : report_->warnings) spdlog::warn("matching: {}", w);
        emit matchesChanged();
      }
      break;
    case RewriteJobResult::Kind::Analysis:
      analysisQueued_ = false;
      if (r.analysis && document_) adoptAnalysis(*document_, std::move(*r.analysis));
      else if (!r.status) spdlog::error("{}", r.status.message());
      emit editFinished();
      emit documentChanged();
      rematch();
      break;
    case RewriteJobResult::Kind::Apply:
      if (edited) emit editFinished();
      rematch();  // even a failed apply was undone, which leaves a new revision
      if (r.cancelled) {
        if (r.stoppedMidway) spdlog::info("{}", r.status.message());
        emit applyFailed(r.stoppedMidway ? tr("Cancelled midway; what was already rewritten is undone, the model is unchanged.")
                                         : tr("Cancelled; the model is unchanged."));
        break;
      }
      if (!r.record) {
        emit applyFailed(QString::fromStdString(r.status.message()));
        break;
      }
      if (r.analysis && document_) adoptAnalysis(*document_, std::move(*r.analysis));
      for (const auto& w : r.record->warnings) spdlog::warn("{}", w);
      if (r.record->applied == 0 || !r.record->journal || r.record->journal->empty()) {
        emit documentChanged();
        emit applied(tr("Nothing to apply: no match changed the graph."));
      } else {
        QString summary = summaryOf(*r.record);
        stack_->push(new RewriteCommand(this, std::move(*r.record), r.label, std::move(r.steps)));
        emit documentChanged();
        spdlog::info("{}: {}", r.label.toStdString(), summary.toStdString());
        emit applied(summary);
      }
      break;
    case RewriteJobResult::Kind::Save:
      // Edits wait in the queue behind a save, so the stack is still at what was written.
      if (r.status) stack_->setClean();
      emit saveFinished(r.label, r.status.isOk(), r.cancelled, QString::fromStdString(r.status.message()));
      break;
    case RewriteJobResult::Kind::Preview:
      if (edited) emit editFinished();
      // The preview applied and undid the rewrite: the graph is the one the matches were found on.
      if (report_ && QString::number(reportRevision_) == r.label) reportRevision_ = r.revisionAfter;
      if (r.preview) emit previewReady(*r.preview, static_cast<int>(r.revision));
      else emit previewFailed(QString::fromStdString(r.status.message()));
      break;
  }
  if (!running_ && !queue_.empty()) startNext();
  if (!isBusy()) emit busyChanged(false);
}

}  // namespace graft
