// Hand edits and recipes in the studio: each edit is one command in the document's history
// (the rewrite session's QUndoStack), the history exports as a recipe, and a recipe replays as
// one command with a report.
#pragma once

#include <QObject>
#include <QString>
#include <QUndoCommand>

#include <vector>

#include "graft/edit.h"
#include "graft/recipe.h"

namespace graft {

class RewriteSession;

class EditSession : public QObject {
  Q_OBJECT

 public:
  explicit EditSession(RewriteSession* rewrite, QObject* parent = nullptr);

  // Applies an edit to the open document (checked on the touched nodes with the cached types)
  // as one undo command. False with `error` saying what and why when refused or busy.
  bool apply(const Edit& edit, QString* error = nullptr);
  // The history up to its current state as a recipe (steps of undone commands are left out).
  Recipe historyRecipe() const;
  // Replays a recipe on the open document as one undo command; the report says what each step did.
  Result<ReplayReport> applyRecipe(const Recipe& recipe);

  RewriteSession* rewrite() const { return rewrite_; }

 signals:
  void edited(const QString& description);

 private:
  RewriteSession* rewrite_;
};

}  // namespace graft
