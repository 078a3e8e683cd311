// `graft-cli edit IN OUT [edits...]`: hand edits from the shell, applied in the order given on
// the command line, each checked before the next (engine: graft/edit.h). Nothing is written
// unless every edit is accepted.
#include <charconv>
#include <iostream>

#include "cli_util.h"
#include "commands.h"
#include "graft/edit.h"
#include "graft/eval.h"
#include "graft/io.h"
#include "graft/recipe.h"
#include <nlohmann/json.hpp>

namespace graft::cli {
namespace {

const char* kUsage =
    "Usage: graft-cli edit IN OUT [--set-dim NAME=VALUE]... [--set-input-shape NAME=D0xD1x...]...\n"
    "                             [--set-input-type NAME=DTYPE]... [--rename-node OLD=NEW]...\n"
    "                             [--rename-value OLD=NEW]... [--delete-node NAME]... [--delete-cone NAME]...\n"
    "                             [--add-output VALUE]... [--remove-output NAME]...\n"
    "                             [--set-attr NODE.ATTR=VALUE]... [--remove-attr NODE.ATTR]...\n"
    "                             [--replace-initializer NAME=FILE.npy]... [--set-metadata KEY=VALUE]...\n"
    "                             [--set-doc TEXT] [--extract INPUT[,INPUT...]:OUTPUT[,OUTPUT...]]\n"
    "                             [--save-recipe FILE] [--through-symlink] [--json]\n"
    "\n"
    "Edit IN by hand and save the result as OUT. Edits run in the order given; each is checked\n"
    "(onnx checker and shape inference on the whole model) before the next, and a refused edit\n"
    "says what and why: then nothing is written.\n"
    "\n"
    "Edits:\n"
    "  --set-dim NAME=VALUE          set a symbolic dim everywhere it is declared (batch=1); VALUE\n"
    "                                may also be another symbol name\n"
    "  --set-input-shape NAME=SHAPE  give graph input NAME the shape SHAPE (1x3x224x224, batchx3x?x?,\n"
    "                                or with commas: batch,max_len)\n"
    "  --set-input-type NAME=DTYPE   change a graph input's element type (float32, float16, int64, ...)\n"
    "  --rename-node OLD=NEW         rename a node (names stay unique)\n"
    "  --rename-value OLD=NEW        rename a value, graph inputs/outputs and initializers included\n"
    "  --delete-node NAME            bypass a node: its readers read its first input instead; what\n"
    "                                then feeds nothing is removed\n"
    "  --delete-cone NAME            delete a node and everything downstream of it\n"
    "  --add-output VALUE            make an intermediate value a graph output\n"
    "  --remove-output NAME          stop exposing a graph output (what only fed it is removed)\n"
    "  --set-attr NODE.ATTR=VALUE    set an attribute, typed by the op's schema (3, 0.5, 1,2,3, text)\n"
    "  --remove-attr NODE.ATTR       remove an attribute\n"
    "  --replace-initializer NAME=FILE.npy\n"
    "                                new values for a weight (same dtype and shape)\n"
    "  --set-metadata KEY=VALUE      set an entry of metadata_props\n"
    "  --set-doc TEXT                set the model's doc string\n"
    "  --extract IN,...:OUT,...      write only the subgraph from these values to those (after the\n"
    "                                edits above)\n"
    "\n"
    "Options:\n"
    "  --save-recipe FILE            also write the edits as a recipe (see docs/recipes.md) that\n"
    "                                replays them on another export of the same model\n"
    "  --through-symlink             OUT may be a symbolic link: replace the file it leads to\n"
    "  --json                        print what was done as JSON\n"
    "  -h, --help                    show this help\n"
    "\n"
    "Exit codes: 0 written, 1 an edit was refused (nothing written), 2 usage error,\n"
    "3 cannot read IN or write OUT.\n";

const char* kEditOptions[] = {"--set-dim",     "--set-input-shape", "--set-input-type", "--rename-node",
                              "--rename-value", "--delete-node",     "--delete-cone",    "--add-output",
                              "--remove-output", "--set-attr",       "--remove-attr",    "--replace-initializer",
                              "--set-metadata", "--set-doc"};

bool splitAt(const std::string& s, char sep, std::string& a, std::string& b, bool last = false) {
  size_t p = last ? s.rfind(sep) : s.find(sep);
  if (p == std::string::npos || p == 0) return false;
  a = s.substr(0, p);
  b = s.substr(p + 1);
  return true;
}

std::vector<std::string> commaList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t c = s.find(',', start);
    std::string part = s.substr(start, c == std::string::npos ? std::string::npos : c - start);
    if (!part.empty()) out.push_back(part);
    if (c == std::string::npos) break;
    start = c + 1;
  }
  return out;
}

}  // namespace

int runEdit(std::vector<std::string> args) {
  CommandLine cl("edit", kUsage);
  for (const char* o : kEditOptions) cl.repeated(o);
  cl.option("--extract");
  cl.option("--save-recipe");
  cl.flag("--through-symlink");
  cl.flag("--json");
  if (auto stop = cl.parse(args, {"IN", "OUT"})) return *stop;
  const std::string& in = cl.positionals()[0];
  const std::string& out = cl.positionals()[1];

  // The order given matters (rename, then delete by the new name): read it from the arguments.
  std::vector<std::pair<std::string, std::string>> given;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") break;
    for (const char* o : kEditOptions) {
      std::string opt = o;
      if (args[i] == opt && i + 1 < args.size()) {
        given.emplace_back(opt, args[++i]);
        break;
      }
      if (args[i].rfind(opt + "=", 0) == 0) {
        given.emplace_back(opt, args[i].substr(opt.size() + 1));
        break;
      }
    }
  }

  std::vector<Edit> edits;
  for (const auto& [opt, v] : given) {
    std::string a, b;
    auto pair = [&](const char* shape) -> bool {
      if (splitAt(v, '=', a, b)) return true;
      cl.usageError(opt + " wants " + shape + ", not '" + v + "'");
      return false;
    };
    if (opt == "--set-dim") {
      if (!pair("NAME=VALUE")) return kExitUsage;
      DimSpec d;
      std::int64_t n = 0;
      auto [end, ec] = std::from_chars(b.data(), b.data() + b.size(), n);
      if (ec == std::errc() && end == b.data() + b.size() && n >= 0) d.value = n;
      else if (b != "?") d.param = b;
      edits.push_back(Edit::setDim(a, d));
    } else if (opt == "--set-input-shape") {
      if (!pair("NAME=D0xD1x...")) return kExitUsage;
      auto shape = parseShape(b);
      if (!shape) return cl.usageError(shape.message());
      edits.push_back(Edit::setInputType(a, 0, *shape));
    } else if (opt == "--set-input-type") {
      if (!pair("NAME=DTYPE")) return kExitUsage;
      auto t = dataTypeFromName(b);
      if (!t) return cl.usageError("unknown element type '" + b + "' (float32, float16, int64, int32, uint8, bool, ...)");
      edits.push_back(Edit::setInputType(a, *t, std::nullopt));
    } else if (opt == "--rename-node") {
      if (!pair("OLD=NEW")) return kExitUsage;
      edits.push_back(Edit::renameNode(a, b));
    } else if (opt == "--rename-value") {
      if (!pair("OLD=NEW")) return kExitUsage;
      edits.push_back(Edit::renameValue(a, b));
    } else if (opt == "--delete-node") {
      edits.push_back(Edit::deleteNode(v));
    } else if (opt == "--delete-cone") {
      edits.push_back(Edit::deleteNode(v, Edit::DeleteMode::Cone));
    } else if (opt == "--add-output") {
      edits.push_back(Edit::addOutput(v));
    } else if (opt == "--remove-output") {
      edits.push_back(Edit::removeOutput(v));
    } else if (opt == "--set-attr") {
      std::string target, value, node, attr;
      if (!splitAt(v, '=', target, value) || !splitAt(target, '.', node, attr, true))
        return cl.usageError("--set-attr wants NODE.ATTR=VALUE, not '" + v + "'");
      edits.push_back(Edit::setAttribute(node, attr, value));
    } else if (opt == "--remove-attr") {
      std::string node, attr;
      if (!splitAt(v, '.', node, attr, true)) return cl.usageError("--remove-attr wants NODE.ATTR, not '" + v + "'");
      edits.push_back(Edit::removeAttribute(node, attr));
    } else if (opt == "--replace-initializer") {
      if (!pair("NAME=FILE.npy")) return kExitUsage;
      auto arr = readArrayFile(b);
      if (!arr) return reportError(arr.status(), b);
      edits.push_back(Edit::replaceInitializer(a, arrayToProto(*arr, a), b));
    } else if (opt == "--set-metadata") {
      if (!pair("KEY=VALUE")) return kExitUsage;
      edits.push_back(Edit::setMetadata(a, b));
    } else if (opt == "--set-doc") {
      edits.push_back(Edit::setDocString("", v));
    }
  }
  std::vector<std::string> exIn, exOut;
  if (cl.has("--extract")) {
    std::string a, b;
    if (!splitAt(cl.value("--extract"), ':', a, b))
      return cl.usageError("--extract wants INPUT[,INPUT...]:OUTPUT[,OUTPUT...], not '" + cl.value("--extract") + "'");
    exIn = commaList(a);
    exOut = commaList(b);
    if (exOut.empty()) return cl.usageError("--extract needs at least one output after ':'");
  }
  if (edits.empty() && !cl.has("--extract"))
    return cl.usageError("no edit given (see the list of edits in 'graft-cli edit --help')");
  const bool json = cl.has("--json");

  auto loaded = loadWithProgress(in, false);
  if (!loaded) return reportError(loaded.status(), in);
  Model& model = **loaded;
  RecipeRecorder recorder;
  nlohmann::json report = nlohmann::json::array();
  for (const auto& e : edits) {
    RecipeStep step = recipeStepForEdit(model, e);
    auto rec = applyEdit(model, e);
    if (!rec) {
      if (json) {
        report.push_back({{"edit", describeEdit(e)}, {"status", "refused"}, {"message", rec.message()}});
        std::cout << nlohmann::json{{"edits", report}, {"written", false}}.dump(2) << "\n";
      }
      std::cerr << "graft-cli: edit: " << oneLine(rec.message()) << "; nothing written\n";
      return kExitInvalid;
    }
    recorder.add(std::move(step));
    if (json) {
      report.push_back({{"edit", describeEdit(e)}, {"status", "applied"}, {"notes", rec->warnings}});
    } else {
      std::cout << "applied: " << describeEdit(e) << "\n";
      for (const auto& w : rec->warnings) std::cout << "  " << w << "\n";
    }
  }
  std::unique_ptr<Model> extracted;
  if (cl.has("--extract")) {
    auto sub = extractModel(model, exIn, exOut);
    if (!sub) {
      std::cerr << "graft-cli: edit: " << oneLine(sub.message()) << "; nothing written\n";
      return kExitInvalid;
    }
    extracted = std::move(*sub);
    recorder.add(recipeStepForExtract(model, exIn, exOut));
    if (!json)
      std::cout << "extracted " << extracted->graph().nodeCount() << " of " << model.graph().nodeCount() << " nodes\n";
  }
  SaveOptions saveOptions;
  saveOptions.throughSymlink = cl.has("--through-symlink");
  auto saved = saveModel(extracted ? *extracted : model, out, saveOptions);
  if (!saved) return reportError(saved.status(), out);
  if (cl.has("--save-recipe")) {
    auto st = writeRecipe(recorder.recipe(), cl.value("--save-recipe"));
    if (!st) return reportError(st, cl.value("--save-recipe"));
  }
  if (json) {
    std::cout << nlohmann::json{{"edits", report}, {"written", true}, {"output", out}}.dump(2) << "\n";
  } else {
    std::cout << "wrote " << out << " (" << humanBytes(saved->modelBytes) << ")\n";
    if (cl.has("--save-recipe")) std::cout << "wrote recipe " << cl.value("--save-recipe") << "\n";
  }
  return kExitOk;
}

}  // namespace graft::cli
