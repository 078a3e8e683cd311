// Numeric diff: both models run on the same inputs with every intermediate value kept, and each
// paired node's outputs are compared, so the first node where the numbers part can be named.
#include <algorithm>
#include <cmath>

#include "graft/diff.h"

namespace graft {

Result<NumericDiff> numericDiff(const Model& a, const Model& b, const NodePairing& pairing, const NumericDiffOptions& options) {
  NumericDiff out;
  out.atol = options.atol;
  out.rtol = options.rtol;

  // Inputs: the given ones, the rest seeded from A's declarations; B must want the same names.
  auto seeded = randomInputs(a, options.seed, options.dims);
  if (!seeded) return seeded.status();
  NamedArrays inputs;
  for (const auto& spec : modelInputs(a)) {
    auto given = options.inputs.find(spec.name);
    if (given != options.inputs.end()) {
      inputs[spec.name] = given->second;
      out.inputsUsed.push_back(spec.name + ": given");
    } else {
      inputs[spec.name] = seeded.value().at(spec.name);
      out.inputsUsed.push_back(spec.name + ": random (seed " + std::to_string(options.seed) + ")");
    }
  }
  for (const auto& [name, arr] : options.inputs)
    if (!inputs.count(name))
      return Status{ErrorCode::InvalidArgument, "--input " + name + ": the first model has no input of that name"};
  for (const auto& spec : modelInputs(b))
    if (!inputs.count(spec.name))
      return Status{ErrorCode::InvalidArgument, "the second model wants input '" + spec.name +
                                                    "', which the first does not have; the models cannot run on the same inputs"};

  auto run = [&](const Model& m, double from, double to, const char* which) -> Result<NamedArrays> {
    EvalOptions eo;
    eo.keepAllValues = true;
    eo.threads = options.threads;
    std::string stage = std::string("running the ") + which + " model";
    if (options.progress)
      eo.progress = [&](double f, std::string_view) { return options.progress(from + (to - from) * std::clamp(f, 0.0, 1.0), stage); };
    NamedArrays own;
    for (const auto& spec : modelInputs(m)) own[spec.name] = inputs.at(spec.name);
    auto ev = Evaluator::create(m);
    if (!ev) return ev.status();
    auto r = ev.value()->run(own, eo);
    if (!r) return Status{r.status().code(), std::string(which) + " model: " + r.message()};
    return r;
  };
  auto va = run(a, 0.0, 0.45, "first");
  if (!va) return va.status();
  auto vb = run(b, 0.45, 0.9, "second");
  if (!vb) return vb.status();

  const auto& pa = pairing.a;
  for (std::size_t i = 0; i < pa.nodes.size(); ++i) {
    std::int32_t j = pairing.aToB[i];
    if (j < 0) continue;
    const Node& x = *pa.nodes[i];
    const Node& y = *pairing.b.nodes[j];
    NodeError e;
    e.a = &x;
    e.b = &y;
    bool compared = false;
    for (std::size_t k = 0; k < x.outputs().size() && k < y.outputs().size(); ++k) {
      const Value* ox = x.outputs()[k];
      const Value* oy = y.outputs()[k];
      if (!ox || !oy) continue;
      auto ix = va->find(ox->name());
      auto iy = vb->find(oy->name());
      if (ix == va->end() || iy == vb->end() || !ix->second.valid() || !iy->second.valid()) continue;
      if (ix->second.dtype() == onnx::TensorProto::STRING) continue;
      // Relative to A: compareArrays measures against its second argument.
      OutputComparison c = compareArrays(ox->name(), iy->second, ix->second, options.atol, options.rtol);
      if (!c.problem.empty()) {
        if (e.note.empty()) e.note = c.problem;
        if (c.problem != "not numeric") e.beyondTolerance = true;
        continue;
      }
      if (!compared || c.maxAbsDiff > e.maxAbs) {
        e.valueA = ox->name();
        e.valueB = oy->name();
      }
      compared = true;
      e.maxAbs = std::max(e.maxAbs, c.maxAbsDiff);
      e.maxRel = std::max(e.maxRel, c.maxRelDiff);
      if (!c.withinTolerance) e.beyondTolerance = true;
    }
    if (!compared && e.note.empty()) e.note = "no value to compare";
    if (e.beyondTolerance && out.firstDivergence < 0) out.firstDivergence = static_cast<std::int32_t>(out.nodes.size());
    out.nodes.push_back(std::move(e));
  }
  reportProgress(options.progress, 1.0, "compared");
  return out;
}

}  // namespace graft
