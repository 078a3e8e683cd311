// Hand edits on a ~64,000-node decoder: each edit (with the studio's local check, types cached
// from one inference) and its undo, engine time only. Target: under 50 ms each.
// Usage: bench_edit [--layers N] [--repeat K] [--full]
//   default: 8,000 layers (64,002 nodes), best of 5; --full also times the whole-model check once.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../models/bench_models.h"
#include "../models/decoder_builder.h"
#include "graft/analysis.h"
#include "graft/edit.h"
#include "graft/eval.h"

using namespace graft;
using bench::Stopwatch;

int main(int argc, char** argv) {
  int layers = 8000, repeat = 5;
  bool full = false;
  for (int i = 1; i < argc; ++i) {
    bool hasValue = i + 1 < argc;
    if (!std::strcmp(argv[i], "--layers") && hasValue) layers = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--repeat") && hasValue) repeat = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--full")) full = true;
    else {
      std::fprintf(stderr, "usage: bench_edit [--layers N] [--repeat K] [--full]\n");
      return 2;
    }
  }
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) < 0) load[0] = -1;
  auto model = test::makeDecoder(layers);
  if (!model) return 1;
  // A symbolic batch and a second output, so dim edits and cone deletes have something to act on.
  const int mid = layers / 2, late = layers - 5;
  const std::string midP = "/h." + std::to_string(mid), lateP = "/h." + std::to_string(late);
  EditOptions none;
  none.check = EditOptions::Check::None;
  (void)applyEdit(*model, Edit::setInputDim("x", 0, DimSpec{std::nullopt, "batch"}), none);
  (void)applyEdit(*model, Edit::addOutput("/h." + std::to_string(late - 5) + "/out"), none);
  Stopwatch sw;
  auto inf = inferShapes(*model);
  const double inference = sw.seconds();
  if (!inf) {
    std::fprintf(stderr, "inference failed: %s\n", inf.message().c_str());
    return 1;
  }
  EditOptions local;
  local.check = EditOptions::Check::Local;
  local.types = &*inf;

  Array w(onnx::TensorProto::FLOAT, {16, 16});
  std::vector<std::pair<std::string, Edit>> edits = {
      {"delete node (bypass)", Edit::deleteNode(midP + "/attn/Softmax")},
      {"delete downstream cone", Edit::deleteNode(lateP + "/ln/ReduceMean", Edit::DeleteMode::Cone)},
      {"rename node", Edit::renameNode(midP + "/attn/Mul", "renamed")},
      {"rename value", Edit::renameValue(midP + "/attn/q", "renamed_q")},
      {"set attribute", Edit::setAttribute(midP + "/attn/Softmax", "axis", "-1")},
      {"set doc string", Edit::setDocString(midP + "/attn/Mul", "edited by hand")},
      {"add node", [&] {
         Edit e = Edit::addNode("Relu", {midP + "/attn/probs"}, "added");
         return e;
       }()},
      {"add output", Edit::addOutput(midP + "/attn/probs")},
      {"remove output", Edit::removeOutput("/h." + std::to_string(late - 5) + "/out")},
      {"set input dim", Edit::setInputDim("x", 0, DimSpec{2, ""})},
      {"set dim batch=1", Edit::setDim("batch", DimSpec{1, ""})},
      {"replace initializer", Edit::replaceInitializer("h." + std::to_string(mid) + ".w", arrayToProto(w, "w"))},
      {"set metadata", Edit::setMetadata("edited", "yes")},
  };
  std::printf("bench_edit: decoder %d layers, %zu nodes; load average %.2f %.2f %.2f; best of %d\n", layers,
              model->graph().nodeCount(), load[0], load[1], load[2], repeat);
  std::printf("  shape inference (once, cached like the studio) %8.1f ms\n", inference * 1e3);
  std::printf("  %-24s %10s %10s %10s  %s\n", "edit", "apply ms", "undo ms", "redo ms", "");
  int slow = 0;
  for (const auto& [label, e] : edits) {
    double bestApply = 1e30, bestUndo = 1e30, bestRedo = 1e30;
    std::string error;
    for (int k = 0; k < repeat; ++k) {
      Stopwatch t;
      auto rec = applyEdit(*model, e, local);
      double a = t.seconds();
      if (!rec) {
        error = rec.message();
        break;
      }
      t.restart();
      (void)rec->undo(*model);
      double u = t.seconds();
      t.restart();
      (void)rec->redo(*model);
      double r = t.seconds();
      (void)rec->undo(*model);
      bestApply = std::min(bestApply, a);
      bestUndo = std::min(bestUndo, u);
      bestRedo = std::min(bestRedo, r);
    }
    if (!error.empty()) {
      std::printf("  %-24s refused: %s\n", label.c_str(), error.c_str());
      ++slow;
      continue;
    }
    bool ok = bestApply < 0.05 && bestUndo < 0.05;
    if (!ok) ++slow;
    std::printf("  %-24s %10.2f %10.2f %10.2f  %s\n", label.c_str(), bestApply * 1e3, bestUndo * 1e3, bestRedo * 1e3,
                ok ? "" : "[over 50 ms]");
  }
  if (full) {
    Stopwatch t;
    auto rec = applyEdit(*model, Edit::setAttribute(midP + "/attn/Softmax", "axis", "-1"));
    std::printf("  whole-model check (Check::Full, once)  %8.1f ms%s\n", t.seconds() * 1e3,
                rec ? "" : (" refused: " + rec.message()).c_str());
  }
  return slow ? 1 : 0;
}
