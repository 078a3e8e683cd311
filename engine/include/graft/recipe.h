// Recipes: a versioned JSON list of engine operations (hand edits, single rewrites, whole
// profiles, opset conversions, ...) naming their targets by structural anchors, so a recipe
// recorded on one export replays on a re-export whose names all changed. Format: docs/recipes.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "graft/diff.h"
#include "graft/edit.h"
#include "graft/ir.h"
#include "graft/progress.h"
#include "graft/result.h"
#include "graft/rewrite.h"

namespace graft {

namespace quant {
struct QuantizeOptions;  // graft/quant.h
}

inline constexpr int kRecipeVersion = 1;

// One step as it stands in the file: {"kind": ..., parameters...}. Node and value references
// inside it are JSON objects (nodeRef / valueRef below).
struct RecipeStep {
  nlohmann::ordered_json json;
  std::string kind() const { return json.value("kind", std::string()); }
};

struct Recipe {
  int version = kRecipeVersion;
  std::string description;
  std::vector<RecipeStep> steps;
};

// Reads and checks the structure (version, kinds known, fields present and typed); mistakes say
// `file: step N: what is wrong`.
Result<Recipe> parseRecipe(const std::string& text, const std::string& fileName = "recipe");
Result<Recipe> readRecipe(const std::string& path);
std::string recipeToText(const Recipe& recipe);  // pretty JSON, as written
Status writeRecipe(const Recipe& recipe, const std::string& path);  // atomic
// "rewrite fuse.gelu at Mul '/h.0/mlp/Mul_1'", for listings.
std::string describeStep(const RecipeStep& step);

// ----------------------------------------------------------------------------- references

// Where references are resolved: the model and its structural hashes (computed on first use
// and again after every change, since a change moves the cones of the nodes after it).
class RecipeTargets {
 public:
  explicit RecipeTargets(const Model& model) : model_(&model) {}
  const Model& model() const { return *model_; }
  const StructuralHashes& hashes();
  void invalidate() { hashes_.reset(); }
  void setModel(const Model& model) {
    model_ = &model;
    hashes_.reset();
  }

  // {"op", "domain", "name" (a hint), "neighbourhood", "up", "down"} (hashes as hex strings).
  nlohmann::ordered_json nodeRef(const Node& node);
  // {"input": name} for graph inputs, {"node": ref, "output": k} for node outputs,
  // {"initializer": name, "reader": ref, "slot": k} for weights; "name" is always there as a hint.
  nlohmann::ordered_json valueRef(const Value& value);
  // Hand-written references may be a plain name string, or omit the hashes (then by name).
  Result<Node*> resolveNode(const nlohmann::json& ref, std::string* how = nullptr);
  Result<Value*> resolveValue(const nlohmann::json& ref);

 private:
  const Model* model_;
  std::optional<StructuralHashes> hashes_;
};

// ----------------------------------------------------------------------------- recording

// The step for an edit, with references taken on `model` as it is before the edit.
RecipeStep recipeStepForEdit(const Model& model, const Edit& edit);
RecipeStep recipeStepForRewrite(const Model& model, const Match& match, const std::string& profile);
RecipeStep recipeStepForProfile(const std::string& profile, const ApplyOptions& options);
RecipeStep recipeStepForOpset(std::int64_t version);
RecipeStep recipeStepForExtract(const Model& model, const std::vector<std::string>& inputs,
                                const std::vector<std::string>& outputs);
// Quantization with its settings: calibration from `calibrationFolder` ("" = the seeded random
// samples `graft-cli quantize` uses) with `holdout` samples held back (-1: the default), and the
// nodes options.exclude keeps in float as anchors taken on the float model.
RecipeStep recipeStepForQuantize(const Model& floatModel, const quant::QuantizeOptions& options,
                                 const std::string& calibrationFolder, int holdout);

// Collects steps in order. attach() makes a rewriter's apply calls record each rewrite they keep
// as its own anchored step (what `optimize --save-recipe` writes).
class RecipeRecorder {
 public:
  void add(RecipeStep step) { recipe_.steps.push_back(std::move(step)); }
  void attach(ApplyOptions& options, const std::string& profile);
  const Recipe& recipe() const { return recipe_; }
  Recipe& recipe() { return recipe_; }

 private:
  Recipe recipe_;
};

// ----------------------------------------------------------------------------- replay

enum class StepOutcome { Applied, AlreadyTrue, NotApplicable };
const char* stepOutcomeName(StepOutcome outcome);  // "applied", "already true", "not applicable"

struct StepReport {
  std::string kind;
  std::string description;
  StepOutcome outcome = StepOutcome::NotApplicable;
  std::string message;  // why not applicable; what else happened when applied
  std::string target;   // the node it was applied to, and how the anchor found it
};

struct ReplayOptions {
  ApplyOptions apply;  // verification of rewrite and profile steps (verify, seed, tolerances, dims)
  EditOptions edit;    // checks of edit steps
  std::vector<std::string> ruleFiles;  // extra rule files for rewrite/profile steps
  // Replay inside one journal (the studio's undo): steps that produce a new model (opset,
  // extract) are then not applicable.
  bool inPlace = false;
  ProgressFn progress;
};

struct ReplayReport {
  std::vector<StepReport> steps;
  std::size_t applied = 0, alreadyTrue = 0, notApplicable = 0;
  std::vector<std::string> verification;  // numeric checks made, per rewrite/profile step
  bool allApplied() const { return notApplicable == 0; }
};

// Replays on *model; opset and extract steps replace *model with the new one. Fails only on a
// malformed recipe or a cancel (then *model is as far as it got; in place: unchanged).
Result<ReplayReport> applyRecipe(std::unique_ptr<Model>& model, const Recipe& recipe,
                                 const ReplayOptions& options = {});

// ----------------------------------------------------------------------------- step kinds

// What a step kind does. Built in: edit, rewrite, profile, opset, extract, quantize. Others
// register here, with their JSON fields documented in docs/recipes.md.
struct StepContext {
  std::unique_ptr<Model>& model;
  RecipeTargets& targets;
  const ReplayOptions& options;
};
struct StepKind {
  // Checks the step's fields when a recipe is read: an error message, or "" when fine.
  std::function<std::string(const nlohmann::json& step)> validate;
  std::function<std::string(const nlohmann::json& step)> describe;
  // Replays it; on NotApplicable the model must be as before.
  std::function<StepReport(StepContext& ctx, const nlohmann::json& step)> apply;
};
void registerRecipeStepKind(const std::string& kind, StepKind handler);
std::vector<std::string> recipeStepKinds();

}  // namespace graft
