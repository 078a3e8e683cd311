// Conv fusion (see conv_fusion.h): which Add/Relu/Clip nodes a Conv takes over, and the loops that
// apply them. The loops are compiled for AVX-512 and AVX2 as well as the baseline and picked when
// the program loads; they do per element exactly what the unfused kernels do.
#include "eval/conv_fusion.h"

#include <cmath>
#include <unordered_map>

#include "eval/kernel.h"

namespace graft::eval {

#if defined(__x86_64__) && defined(__GNUC__)
#define GRAFT_EPILOGUE_LOOP __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GRAFT_EPILOGUE_LOOP
#endif

namespace {

GRAFT_EPILOGUE_LOOP void reluRow(const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

GRAFT_EPILOGUE_LOOP void clipRow(const float* x, float* y, std::int64_t n, float lo, float hi) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
}

GRAFT_EPILOGUE_LOOP void addRow(float* y, const float* r, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = y[i] + r[i];
}

GRAFT_EPILOGUE_LOOP void addReluRow(float* y, const float* r, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    float s = y[i] + r[i];
    y[i] = s > 0.0f ? s : 0.0f;
  }
}

GRAFT_EPILOGUE_LOOP void addClipRow(float* y, const float* r, std::int64_t n, float lo, float hi) {
  for (std::int64_t i = 0; i < n; ++i) {
    float s = y[i] + r[i];
    y[i] = s < lo ? lo : (s > hi ? hi : s);
  }
}

bool isOp(const Node* n, const char* op) { return n->opType() == op && (n->domain().empty() || n->domain() == "ai.onnx"); }

}  // namespace

void reluFloat(const float* x, float* y, std::int64_t n) { reluRow(x, y, n); }
void clipFloat(const float* x, float* y, std::int64_t n, float lo, float hi) { clipRow(x, y, n, lo, hi); }

void applyEpilogue(const Epilogue& e, float* y, const float* residual, std::int64_t n) {
  using A = Epilogue::Activation;
  if (residual) {
    if (e.activation == A::Relu) addReluRow(y, residual, n);
    else if (e.activation == A::Clip) addClipRow(y, residual, n, e.lo, e.hi);
    else addRow(y, residual, n);
  } else if (e.activation == A::Relu) {
    reluRow(y, y, n);
  } else if (e.activation == A::Clip) {
    clipRow(y, y, n, e.lo, e.hi);
  }
}

std::vector<ConvFusion> planConvFusions(const std::vector<Node*>& order) {
  std::vector<ConvFusion> fusions(order.size());
  std::unordered_map<const Node*, std::size_t> pos;
  for (std::size_t i = 0; i < order.size(); ++i) pos[order[i]] = i;
  // The one reader of v when it is a node of this graph and v is not also a graph output (a
  // value read inside a subgraph, or returned, must exist on its own).
  auto soleReader = [&](const Value* v) -> const Node* {
    if (!v || v->isGraphOutput() || v->uses().size() != 1) return nullptr;
    const Node* r = v->uses()[0].node;
    return pos.count(r) ? r : nullptr;
  };
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Node* conv = order[i];
    if (!isOp(conv, "Conv") || conv->outputs().size() != 1 || !conv->outputs()[0]) continue;
    const Value* y = conv->outputs()[0];
    const Node* next = soleReader(y);
    ConvFusion f;
    if (next && isOp(next, "Add") && next->inputs().size() == 2 && next->outputs().size() == 1 && next->outputs()[0]) {
      int other = next->inputs()[0] == y ? 1 : 0;
      const Value* r = next->inputs()[static_cast<std::size_t>(other)];
      // Add(y, y) reads y twice; a residual made after the Conv is not there when it runs.
      bool ready = r && r != y &&
                   (!r->producer() || (pos.count(r->producer()) && pos.at(r->producer()) < i));
      if (ready) {
        f.add = pos.at(next);
        f.residualInput = other;
        y = next->outputs()[0];
        next = soleReader(y);
      } else {
        next = nullptr;
      }
    }
    if (next && (isOp(next, "Relu") || isOp(next, "Clip")) && next->outputs().size() == 1 && next->outputs()[0] &&
        !next->inputs().empty() && next->inputs()[0] == y)
      f.activation = pos.at(next);
    fusions[i] = f;
  }
  return fusions;
}

bool makeEpilogue(const ConvFusion& f, const std::vector<Node*>& order, const std::function<const Array*(const Value*)>& lookup,
                  std::int64_t clipOpset, Epilogue& out) {
  out = Epilogue{};
  if (f.add != ConvFusion::npos) {
    const Array* r = lookup(order[f.add]->inputs()[static_cast<std::size_t>(f.residualInput)]);
    if (!r || !r->isTensor() || r->dtype() != kFloat) return false;
    out.residual = r;
  }
  if (f.activation == ConvFusion::npos) return true;
  const Node& act = *order[f.activation];
  if (act.opType() == "Relu") {
    out.activation = Epilogue::Activation::Relu;
    return true;
  }
  // Clip's bounds as its kernel reads them: attributes before opset 11, optional scalar inputs
  // after; an infinite bound becomes the float range's end.
  double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
  if (clipOpset < 11) {
    const auto* mn = act.attribute("min");
    const auto* mx = act.attribute("max");
    lo = mn ? mn->f() : -std::numeric_limits<float>::max();
    hi = mx ? mx->f() : std::numeric_limits<float>::max();
  } else {
    for (std::size_t k = 1; k < 3 && k < act.inputs().size(); ++k) {
      const Value* v = act.inputs()[k];
      if (!v) continue;
      const Array* b = lookup(v);
      if (!b || !b->isTensor() || b->dtype() != kFloat) return false;
      if (b->size()) (k == 1 ? lo : hi) = readDouble(*b, 0);
    }
  }
  out.activation = Epilogue::Activation::Clip;
  out.lo = std::isinf(lo) ? std::numeric_limits<float>::lowest() : static_cast<float>(lo);
  out.hi = std::isinf(hi) ? std::numeric_limits<float>::max() : static_cast<float>(hi);
  return true;
}

}  // namespace graft::eval
