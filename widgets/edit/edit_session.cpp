#include "edit/edit_session.h"

#include <QUndoStack>

#include <spdlog/spdlog.h>

#include "rewrite/rewrite_session.h"

namespace graft {

EditSession::EditSession(RewriteSession* rewrite, QObject* parent) : QObject(parent), rewrite_(rewrite) {}

bool EditSession::apply(const Edit& edit, QString* error) {
  auto doc = rewrite_->document();
  if (!doc || !doc->model) {
    if (error) *error = tr("There is no model to edit: open one first.");
    return false;
  }
  if (rewrite_->isBusy()) {
    if (error) *error = tr("The model is being analysed or rewritten; try again when that has finished.");
    return false;
  }
  // The step is taken before the edit: its anchors describe the model the edit starts from.
  RecipeStep step = recipeStepForEdit(*doc->model, edit);
  EditOptions options;
  options.check = EditOptions::Check::Local;
  options.types = &doc->inference;
  auto rec = graft::applyEdit(*doc->model, edit, options);
  if (!rec) {
    if (error) *error = QString::fromStdString(rec.message());
    spdlog::warn("{}", rec.message());
    return false;
  }
  for (const auto& w : rec->warnings) spdlog::info("{}", w);
  const QString text = QString::fromStdString(describeEdit(edit));
  rewrite_->commit(std::move(*rec), text, {std::move(step)});
  emit edited(text);
  return true;
}

Recipe EditSession::historyRecipe() const {
  Recipe recipe;
  const QUndoStack* stack = rewrite_->undoStack();
  for (int i = 0; i < stack->index(); ++i)
    if (const auto* source = dynamic_cast<const RecipeSource*>(stack->command(i)))
      for (const auto& s : source->recipeSteps()) recipe.steps.push_back(s);
  auto doc = rewrite_->document();
  if (doc) recipe.description = "recorded in Graft on " + doc->path;
  return recipe;
}

Result<ReplayReport> EditSession::applyRecipe(const Recipe& recipe) {
  auto doc = rewrite_->document();
  if (!doc || !doc->model) return Status(ErrorCode::InvalidArgument, tr("There is no model to edit: open one first.").toStdString());
  if (rewrite_->isBusy())
    return Status(ErrorCode::InvalidArgument,
                  tr("The model is being analysed or rewritten; try again when that has finished.").toStdString());
  ReplayOptions options;
  options.inPlace = true;
  options.edit.check = EditOptions::Check::Full;
  std::optional<ReplayReport> report;
  Status failed;
  // The whole replay is one journal, so it undoes as one command.
  auto rec = recordChange(*doc->model, [&](ChangeRecord&) -> Status {
    auto r = graft::applyRecipe(doc->model, recipe, options);
    if (!r) return r.status();
    report = std::move(*r);
    return Status::ok();
  });
  if (!rec) return rec.status();
  rec->applied = report->applied;
  if (report->applied > 0) {
    std::vector<RecipeStep> steps;
    for (size_t i = 0; i < recipe.steps.size() && i < report->steps.size(); ++i)
      if (report->steps[i].outcome == StepOutcome::Applied) steps.push_back(recipe.steps[i]);
    rewrite_->commit(std::move(*rec), tr("Apply recipe (%n step(s))", nullptr, static_cast<int>(report->applied)),
                     std::move(steps));
  }
  return std::move(*report);
}

}  // namespace graft
