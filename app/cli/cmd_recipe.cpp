// `graft-cli recipe apply RECIPE IN OUT` and `graft-cli recipe show RECIPE`: replaying a recipe
// (graft/recipe.h, docs/recipes.md) with a per-step report, and listing one.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "graft/io.h"
#include "graft/recipe.h"

namespace graft::cli {
namespace {

const char* kUsage =
    "Usage: graft-cli recipe apply RECIPE IN OUT [--json] [--no-verify] [--rules FILE ...]\n"
    "                              [--through-symlink]\n"
    "       graft-cli recipe show RECIPE [--json]\n"
    "\n"
    "apply: replay the steps of RECIPE (a .json file, see docs/recipes.md) on IN and save the\n"
    "result as OUT. Steps find their nodes by structural anchor, so a recipe recorded on one\n"
    "export applies to a re-export whose names all changed. Each step is reported as applied,\n"
    "already true, or not applicable (with the reason); rewrite and profile steps are verified as\n"
    "optimize verifies them. OUT is written even when some steps did not apply.\n"
    "show: list the steps.\n"
    "\n"
    "Options:\n"
    "  --json          print the report as JSON\n"
    "  --no-verify     skip the numeric checks of rewrite and profile steps\n"
    "  --rules FILE    extra rule file for rewrite and profile steps (repeatable)\n"
    "  --through-symlink  OUT may be a symbolic link: replace the file it leads to\n"
    "  -h, --help      show this help\n"
    "\n"
    "Exit codes: 0 every step applied or was already true, 1 some step was not applicable,\n"
    "2 usage error (a malformed recipe included), 3 cannot read IN or RECIPE, or write OUT.\n";

}  // namespace

int runRecipe(std::vector<std::string> args) {
  CommandLine cl("recipe", kUsage);
  cl.flag("--json");
  cl.flag("--no-verify");
  cl.flag("--through-symlink");
  cl.repeated("--rules", true);
  if (auto stop = cl.parse(args, 2, 4)) return *stop;
  const auto& pos = cl.positionals();
  const std::string& action = pos[0];
  const bool json = cl.has("--json");
  if (action != "apply" && action != "show")
    return cl.usageError("unknown action '" + action + "' (use 'apply' or 'show')");
  if (action == "show" && pos.size() != 2) return cl.usageError("show takes one argument: RECIPE");
  if (action == "apply" && pos.size() != 4) return cl.usageError("apply takes three arguments: RECIPE IN OUT");
  auto recipe = readRecipe(pos[1]);
  if (!recipe) {
    if (recipe.status().code() == ErrorCode::Io) return reportError(recipe.status(), pos[1]);
    std::cerr << "graft-cli: recipe: " << oneLine(recipe.message()) << "\n";
    return kExitUsage;
  }
  if (action == "show") {
    if (json) {
      std::cout << recipeToText(*recipe);
      return kExitOk;
    }
    std::cout << "Recipe " << pos[1] << " (version " << recipe->version << ", " << recipe->steps.size() << " steps)\n";
    if (!recipe->description.empty()) std::cout << recipe->description << "\n";
    for (size_t i = 0; i < recipe->steps.size(); ++i)
      std::cout << "  " << (i + 1) << ". " << describeStep(recipe->steps[i]) << "\n";
    return kExitOk;
  }
  const std::string& in = pos[2];
  const std::string& out = pos[3];
  auto loaded = loadWithProgress(in, false);
  if (!loaded) return reportError(loaded.status(), in);
  std::unique_ptr<Model> model = std::move(*loaded);
  ReplayOptions options;
  options.apply.verify = !cl.has("--no-verify");
  options.ruleFiles = cl.values("--rules");
  auto report = applyRecipe(model, *recipe, options);
  if (!report) return reportError(report.status(), pos[1]);
  SaveOptions saveOptions;
  saveOptions.throughSymlink = cl.has("--through-symlink");
  auto saved = saveModel(*model, out, saveOptions);
  if (!saved) return reportError(saved.status(), out);
  if (json) {
    nlohmann::ordered_json j;
    j["recipe"] = pos[1];
    j["input"] = in;
    j["output"] = out;
    j["applied"] = report->applied;
    j["already_true"] = report->alreadyTrue;
    j["not_applicable"] = report->notApplicable;
    j["steps"] = nlohmann::ordered_json::array();
    for (size_t i = 0; i < report->steps.size(); ++i) {
      const auto& s = report->steps[i];
      j["steps"].push_back({{"index", i + 1},
                            {"kind", s.kind},
                            {"description", s.description},
                            {"outcome", stepOutcomeName(s.outcome)},
                            {"target", s.target},
                            {"message", s.message}});
    }
    std::cout << j.dump(2) << "\n";
  } else {
    for (size_t i = 0; i < report->steps.size(); ++i) {
      const auto& s = report->steps[i];
      std::cout << (i + 1) << ". " << stepOutcomeName(s.outcome) << ": " << s.description;
      if (!s.message.empty()) std::cout << " — " << oneLine(s.message);
      std::cout << "\n";
    }
    std::cout << report->applied << " applied, " << report->alreadyTrue << " already true, " << report->notApplicable
              << " not applicable\nwrote " << out << "\n";
  }
  return report->allApplied() ? kExitOk : kExitInvalid;
}

}  // namespace graft::cli
