// Error analysis: the quantized model against the float values calibration kept on held-back
// samples, per quantized node (SQNR, cosine) and per model output; and accuracy-driven exclusion,
// which keeps the nodes that lose the most SQNR in float until the output SQNR reaches a target.
#include <algorithm>
#include <cmath>
#include <limits>

#include "eval/kernel.h"
#include "graft/quant.h"

namespace graft::quant {

double sqnrDb(const std::vector<double>& ref, const std::vector<double>& q) {
  double s = 0, e = 0;
  for (std::size_t i = 0; i < ref.size() && i < q.size(); ++i) {
    s += ref[i] * ref[i];
    e += (ref[i] - q[i]) * (ref[i] - q[i]);
  }
  if (e == 0) return std::numeric_limits<double>::infinity();
  if (s == 0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(s / e);
}

namespace {

struct Acc {
  double s = 0, e = 0, dot = 0, qq = 0;
  bool valid = true;
  void add(const Array& ref, const Array& q) {
    if (ref.shape() != q.shape()) {
      valid = false;
      return;
    }
    auto r = arrayToDoubles(ref), v = arrayToDoubles(q);
    if (!r || !v) {
      valid = false;
      return;
    }
    for (std::size_t i = 0; i < r.value().size(); ++i) {
      double a = r.value()[i], b = v.value()[i];
      if (!std::isfinite(a) || !std::isfinite(b)) continue;
      s += a * a;
      e += (a - b) * (a - b);
      dot += a * b;
      qq += b * b;
    }
  }
  double sqnr() const {
    if (e == 0) return std::numeric_limits<double>::infinity();
    if (s == 0) return -std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(s / e);
  }
  double cosine() const { return s > 0 && qq > 0 ? dot / std::sqrt(s * qq) : (s == qq ? 1.0 : 0.0); }
};

}  // namespace

Result<ErrorReport> analyzeError(const Model& quantized, const QuantizeReport& report, const Calibration& cal, const SampleSet& data,
                                 const ProgressFn& progress) {
  if (data.holdout.empty() || cal.floatHoldout.size() != data.holdout.size())
    return Status(ErrorCode::InvalidArgument, "no held-back samples to score on: give at least two calibration samples (one is held back)");
  auto ev = Evaluator::create(quantized);
  if (!ev) return ev.status();
  const Graph& g = quantized.graph();
  ErrorReport out;
  out.samples = static_cast<int>(data.holdout.size());
  out.randomData = data.random;
  out.dataSource = data.source;
  EvalOptions eo;
  std::vector<const QuantizedNode*> scored;
  for (const auto& n : report.nodes)
    if (g.findValue(n.output) && !g.findValue(n.output)->isGraphOutput()) {
      eo.extraOutputs.push_back(n.output);
      scored.push_back(&n);
    } else if (g.findValue(n.output)) {
      scored.push_back(&n);
    }
  std::vector<Acc> nodeAcc(scored.size());
  std::map<std::string, Acc> outAcc;
  std::int64_t rows = 0, agree = 0;
  bool classifier = false;
  for (std::size_t i = 0; i < data.holdout.size(); ++i) {
    std::size_t index = i;
    eo.progress = [&, index](double f, std::string_view) {
      return reportProgress(progress, (static_cast<double>(index) + std::max(0.0, f)) / static_cast<double>(data.holdout.size()), "scoring");
    };
    auto r = ev.value()->run(data.holdout[i], eo);
    if (!r) return r.status();
    const NamedArrays& ref = cal.floatHoldout[i];
    for (std::size_t k = 0; k < scored.size(); ++k) {
      auto a = ref.find(scored[k]->floatOutput);
      auto b = r.value().find(scored[k]->output);
      if (a != ref.end() && b != r.value().end()) nodeAcc[k].add(a->second, b->second);
      else nodeAcc[k].valid = false;
    }
    for (const Value* v : g.outputs()) {
      auto a = ref.find(v->name());
      auto b = r.value().find(v->name());
      if (a == ref.end() || b == r.value().end()) continue;
      outAcc[v->name()].add(a->second, b->second);
      // Top-1 agreement for [batch, classes] logits.
      const Array& A = a->second;
      const Array& B = b->second;
      if (A.rank() == 2 && A.dim(1) > 1 && A.shape() == B.shape() && A.dtype() == eval::kFloat && B.dtype() == eval::kFloat && g.outputs().size() == 1) {
        classifier = true;
        std::int64_t C = A.dim(1);
        for (std::int64_t row = 0; row < A.dim(0); ++row) {
          const float* pa = A.data<float>() + row * C;
          const float* pb = B.data<float>() + row * C;
          agree += (std::max_element(pa, pa + C) - pa) == (std::max_element(pb, pb + C) - pb);
          ++rows;
        }
      }
    }
  }
  for (std::size_t k = 0; k < scored.size(); ++k) {
    if (!nodeAcc[k].valid) continue;
    NodeError e;
    e.node = scored[k]->node;
    e.opType = scored[k]->opType;
    e.output = scored[k]->floatOutput;  // the float graph's name: what views and exclusion look up
    e.sqnr = nodeAcc[k].sqnr();
    e.cosine = nodeAcc[k].cosine();
    out.nodes.push_back(e);
  }
  out.sqnr = std::numeric_limits<double>::infinity();
  for (auto& [name, acc] : outAcc) {
    if (!acc.valid) continue;
    out.outputSqnr[name] = acc.sqnr();
    out.sqnr = std::min(out.sqnr, acc.sqnr());
  }
  if (classifier && rows) out.top1Agreement = static_cast<double>(agree) / static_cast<double>(rows);
  out.sizes.bytesBefore = report.bytesBefore;
  out.sizes.bytesAfter = report.bytesAfter;
  for (const auto& n : report.nodes) {
    out.sizes.weightElements += n.weightElements;
    out.sizes.weightBytesBefore += n.weightBytesBefore;
    out.sizes.weightBytesAfter += n.weightBytesAfter;
  }
  return out;
}

namespace {

// How much SQNR a node loses: the lowest SQNR among the quantized values feeding it (through
// unquantized nodes; model inputs count as exact) minus the SQNR of its own output.
std::vector<std::pair<double, std::string>> sensitivities(const Model& floatModel, const ErrorReport& err, std::string* whyOut,
                                                          std::map<std::string, std::string>& why) {
  (void)whyOut;
  std::map<std::string, double> sqnrOf;  // value name -> SQNR
  std::map<std::string, const NodeError*> byOutput;
  for (const auto& n : err.nodes) {
    sqnrOf[n.output] = std::min(n.sqnr, 200.0);
    byOutput[n.output] = &n;
  }
  const Graph& g = floatModel.graph();
  std::map<const Value*, double> memo;
  std::function<double(const Value*, int)> upstream = [&](const Value* v, int depth) -> double {
    if (!v || v->initializer() || !v->producer() || depth > 64) return 200.0;
    auto m = memo.find(v);
    if (m != memo.end()) return m->second;
    auto it = sqnrOf.find(v->name());
    double r = 200.0;
    if (it != sqnrOf.end()) {
      r = it->second;
    } else {
      for (const Value* in : v->producer()->inputs()) r = std::min(r, upstream(in, depth + 1));
    }
    memo[v] = r;
    return r;
  };
  std::vector<std::pair<double, std::string>> out;
  for (const auto& n : err.nodes) {
    const Node* fn = g.findNodeByName(n.node);
    if (!fn) {
      const Value* v = g.findValue(n.output);
      fn = v ? v->producer() : nullptr;
    }
    double in = 200.0;
    if (fn)
      for (const Value* x : fn->inputs()) in = std::min(in, upstream(x, 0));
    double own = std::min(n.sqnr, 200.0);
    double drop = in - own;
    out.emplace_back(drop, n.node);
    char buf[160];
    std::snprintf(buf, sizeof buf, "SQNR falls from %.1f dB at its inputs to %.1f dB at its output (%.1f dB lost here)", in, own, drop);
    why[n.node] = buf;
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return out;
}

}  // namespace

Result<AutoResult> quantizeAndScore(const Model& model, QuantizeOptions options, const Calibration* calibration, const SampleSet& data,
                                    std::optional<double> targetSqnr) {
  if (!calibration) return Status(ErrorCode::InvalidArgument, "scoring needs a calibration (it holds the float reference values)");
  std::vector<std::string> excluded, excludedWhy;
  for (int round = 0;; ++round) {
    auto copy = cloneModel(model);
    if (!copy) return copy.status();
    auto rep = quantizeModel(*copy.value(), options, calibration);
    if (!rep) {
      if (!excluded.empty() && rep.status().code() == ErrorCode::InvalidArgument)
        return Status(ErrorCode::InvalidArgument, "the target output SQNR cannot be reached: it fails even with " + std::to_string(excluded.size()) +
                                                      " nodes kept in float and nothing left to quantize");
      return rep.status();
    }
    auto err = analyzeError(*copy.value(), rep.value(), *calibration, data, options.progress);
    if (!err) return err.status();
    if (!targetSqnr || err->sqnr >= *targetSqnr || round > 200) {
      AutoResult r;
      r.model = std::move(copy.value());
      r.report = std::move(rep.value());
      r.error = std::move(err.value());
      r.error.excluded = excluded;
      r.error.excludedWhy = excludedWhy;
      return r;
    }
    std::map<std::string, std::string> why;
    auto ranked = sensitivities(model, err.value(), nullptr, why);
    // One node a round at first, more as rounds go by, so big models converge in few runs.
    std::size_t take = std::max<std::size_t>(1, static_cast<std::size_t>(round / 4));
    std::size_t added = 0;
    for (const auto& [drop, name] : ranked) {
      if (added >= take) break;
      if (options.exclude.count(name)) continue;
      options.exclude.insert(name);
      excluded.push_back(name);
      char buf[64];
      std::snprintf(buf, sizeof buf, "output SQNR %.2f dB < target %.2f dB; ", err->sqnr, *targetSqnr);
      excludedWhy.push_back(buf + why[name]);
      ++added;
    }
    if (!added) return Status(ErrorCode::InvalidArgument, "the target output SQNR cannot be reached by keeping nodes in float");
  }
}

}  // namespace graft::quant
