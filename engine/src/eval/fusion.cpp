// Finding and evaluating fused chains (fusion.h). Each pattern is matched from one anchor node
// and accepted only when every intermediate value has all its uses inside the chain and is no
// graph output, so nothing the model (or a caller's extra outputs, which switch fusion off) can
// see goes missing. GELU and Softmax repeat the separate nodes' float operations (the same bits);
// LayerNorm sums mean and variance in double and normalizes in float.
#include "eval/fusion.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_set>

#include "eval/fast_math.h"
#include "eval/kernel.h"
#include "eval/onednn_matmul.h"

namespace graft::eval {

const char* FusedChain::name() const {
  switch (kind) {
    case Kind::LayerNorm: return "LayerNorm";
    case Kind::Gelu: return geluTanh ? "Gelu (tanh)" : "Gelu";
    case Kind::MatMulBias: return "MatMul+bias";
    case Kind::MatMulBiasGelu: return geluTanh ? "MatMul+bias+Gelu (tanh)" : "MatMul+bias+Gelu";
    case Kind::Softmax: return "Softmax (scaled, masked)";
  }
  return "?";
}

namespace {

bool isOp(const Node* n, const char* op) {
  return n && (n->domain().empty() || n->domain() == "ai.onnx") && n->opType() == op && n->subgraphs().empty();
}

// The nodes using v, or empty when v is seen elsewhere (a graph output, a use in a subgraph).
std::vector<const Node*> usersOf(const Value* v) {
  std::vector<const Node*> out;
  if (!v || v->isGraphOutput()) return {};
  for (const Use& u : v->uses()) {
    if (!u.node || &u.node->graph() != &v->graph()) return {};
    out.push_back(u.node);
  }
  return out;
}

// The one node using v (once), or nullptr.
const Node* onlyUser(const Value* v) {
  auto users = usersOf(v);
  return users.size() == 1 ? users[0] : nullptr;
}

// For a binary node with one input `known`: the other input (nullptr when neither or both are it).
const Value* otherInput(const Node* n, const Value* known) {
  if (!n || n->inputs().size() != 2) return nullptr;
  if (n->input(0) == known && n->input(1) != known) return n->input(1);
  if (n->input(1) == known && n->input(0) != known) return n->input(0);
  return nullptr;
}

bool near(std::optional<double> v, double want, double tol) { return v && std::abs(*v - want) <= tol; }

// The single axis a ReduceMean reduces with keepdims (attribute, or opset-18 constant input).
std::optional<std::int64_t> reducedAxis(const Node* n, const ScalarOf& scalarOf) {
  if (!isOp(n, "ReduceMean")) return std::nullopt;
  const auto* keep = n->attribute("keepdims");
  if (keep && keep->i() != 1) return std::nullopt;
  if (const auto* axes = n->attribute("axes")) {
    if (axes->ints_size() != 1) return std::nullopt;
    return axes->ints(0);
  }
  if (n->inputs().size() >= 2 && n->input(1)) {
    auto a = scalarOf(n->input(1));
    if (!a) return std::nullopt;
    return static_cast<std::int64_t>(*a);
  }
  return std::nullopt;
}

// ReduceMean(X) -> Sub(X, mean) -> Pow(d, 2) -> ReduceMean -> Add(eps) -> Sqrt -> Div(d, std)
// [-> Mul(gamma) [-> Add(beta)]]. Inputs: X, gamma, beta.
std::optional<FusedChain> matchLayerNorm(const Node* r1, const ScalarOf& scalarOf) {
  auto axis = reducedAxis(r1, scalarOf);
  if (!axis) return std::nullopt;
  const Value* x = r1->input(0);
  const Node* sub = onlyUser(r1->output(0));
  if (!isOp(sub, "Sub") || sub->input(0) != x || sub->input(1) != r1->output(0)) return std::nullopt;
  const Value* d = sub->output(0);
  auto dUsers = usersOf(d);
  if (dUsers.size() != 2) return std::nullopt;
  const Node* pow = isOp(dUsers[0], "Pow") ? dUsers[0] : dUsers[1];
  const Node* div = pow == dUsers[0] ? dUsers[1] : dUsers[0];
  if (!isOp(pow, "Pow") || pow->input(0) != d || !near(scalarOf(pow->input(1)), 2.0, 0)) return std::nullopt;
  if (!isOp(div, "Div") || div->input(0) != d) return std::nullopt;
  const Node* r2 = onlyUser(pow->output(0));
  if (reducedAxis(r2, scalarOf) != axis) return std::nullopt;
  const Node* add = onlyUser(r2->output(0));
  if (!isOp(add, "Add")) return std::nullopt;
  auto eps = scalarOf(otherInput(add, r2->output(0)));
  if (!eps || *eps < 0) return std::nullopt;
  const Node* sqrt = onlyUser(add->output(0));
  if (!isOp(sqrt, "Sqrt") || onlyUser(sqrt->output(0)) != div || div->input(1) != sqrt->output(0)) return std::nullopt;
  FusedChain c;
  c.kind = FusedChain::Kind::LayerNorm;
  c.epsilon = *eps;
  c.axis = *axis;
  c.nodes = {r1, sub, pow, r2, add, sqrt, div};
  c.inputs = {x, nullptr, nullptr};
  c.output = div->output(0);
  if (const Node* mul = onlyUser(c.output); isOp(mul, "Mul")) {
    if (const Value* gamma = otherInput(mul, c.output)) {
      c.nodes.push_back(mul);
      c.inputs[1] = gamma;
      c.output = mul->output(0);
      if (const Node* bias = onlyUser(c.output); isOp(bias, "Add")) {
        if (const Value* beta = otherInput(bias, c.output)) {
          c.nodes.push_back(bias);
          c.inputs[2] = beta;
          c.output = bias->output(0);
        }
      }
    }
  }
  return c;
}

// Div(X, sqrt 2) or Mul(X, 1/sqrt 2) -> Erf -> Add(1) -> Mul(X) -> Mul(0.5), or with Mul(X, 0.5)
// as the other factor of the last Mul. Inputs: X.
std::optional<FusedChain> matchGelu(const Node* erf, const ScalarOf& scalarOf) {
  if (!isOp(erf, "Erf")) return std::nullopt;
  const Node* pre = erf->input(0) ? erf->input(0)->producer() : nullptr;
  if (!pre || onlyUser(pre->output(0)) != erf) return std::nullopt;
  FusedChain c;
  c.kind = FusedChain::Kind::Gelu;
  const Value* x = nullptr;
  if (isOp(pre, "Div") && near(scalarOf(pre->input(1)), std::sqrt(2.0), 1e-3)) {
    x = pre->input(0);
    c.geluConstant = static_cast<float>(*scalarOf(pre->input(1)));
  } else if (isOp(pre, "Mul")) {
    for (int k = 0; k < 2 && !x; ++k)
      if (near(scalarOf(pre->input(1 - k)), std::sqrt(0.5), 1e-3)) {
        x = pre->input(k);
        c.geluConstant = static_cast<float>(*scalarOf(pre->input(1 - k)));
        c.geluMultiplies = true;
      }
  }
  if (!x) return std::nullopt;
  const Node* add = onlyUser(erf->output(0));
  if (!isOp(add, "Add") || !near(scalarOf(otherInput(add, erf->output(0))), 1.0, 0)) return std::nullopt;
  const Node* mul = onlyUser(add->output(0));
  if (!isOp(mul, "Mul")) return std::nullopt;
  const Value* other = otherInput(mul, add->output(0));
  if (!other) return std::nullopt;
  if (other == x) {
    const Node* half = onlyUser(mul->output(0));
    if (!isOp(half, "Mul") || !near(scalarOf(otherInput(half, mul->output(0))), 0.5, 0)) return std::nullopt;
    c.nodes = {pre, erf, add, mul, half};
    c.output = half->output(0);
  } else {
    const Node* half = other->producer();
    if (!isOp(half, "Mul") || onlyUser(other) != mul || !near(scalarOf(otherInput(half, x)), 0.5, 0)) return std::nullopt;
    c.geluHalfFirst = true;
    c.nodes = {pre, half, erf, add, mul};
    c.output = mul->output(0);
  }
  // X itself is read by the chain twice and may have other users: it stays an input.
  c.inputs = {x};
  return c;
}

// Mul(x, x) -> Mul(x, .) [or Pow(x, 3)] -> Mul(0.044715) -> Add(x) -> Mul(sqrt(2/pi)) -> Tanh -> Add(1)
// -> Mul(x) -> Mul(0.5), or with Mul(x, 0.5) as the other factor of the last Mul. Inputs: X.
std::optional<FusedChain> matchGeluTanh(const Node* tanh, const ScalarOf& scalarOf) {
  if (!isOp(tanh, "Tanh") || !tanh->input(0)) return std::nullopt;
  const Node* scale = tanh->input(0)->producer();
  if (!isOp(scale, "Mul") || onlyUser(scale->output(0)) != tanh) return std::nullopt;
  FusedChain c;
  c.kind = FusedChain::Kind::Gelu;
  c.geluTanh = true;
  const Value* inner = nullptr;
  for (int k = 0; k < 2 && !inner; ++k)
    if (auto v = scalarOf(scale->input(k)); near(v, std::sqrt(2.0 / 3.14159265358979), 1e-3)) {
      inner = scale->input(1 - k);
      c.geluConstant = static_cast<float>(*v);
    }
  const Node* sum = inner ? inner->producer() : nullptr;
  if (!isOp(sum, "Add") || onlyUser(inner) != scale) return std::nullopt;
  // Which operand of the sum is x: the other is 0.044715 times x's cube.
  for (int k = 0; k < 2; ++k) {
    const Value* x = sum->input(k);
    const Value* cubic = sum->input(1 - k);
    const Node* times = cubic ? cubic->producer() : nullptr;
    if (!x || !isOp(times, "Mul") || onlyUser(cubic) != sum) continue;
    const Value* cube = nullptr;
    for (int j = 0; j < 2 && !cube; ++j)
      if (auto v = scalarOf(times->input(j)); near(v, 0.044715, 1e-5)) {
        cube = times->input(1 - j);
        c.geluCubic = static_cast<float>(*v);
      }
    const Node* cubeNode = cube ? cube->producer() : nullptr;
    if (!cubeNode || onlyUser(cube) != times) continue;
    std::vector<const Node*> head;
    if (isOp(cubeNode, "Pow") && cubeNode->input(0) == x && near(scalarOf(cubeNode->input(1)), 3.0, 0)) {
      head = {cubeNode};
    } else if (isOp(cubeNode, "Mul")) {
      const Value* square = otherInput(cubeNode, x);
      const Node* sq = square ? square->producer() : nullptr;
      if (!isOp(sq, "Mul") || sq->input(0) != x || sq->input(1) != x || onlyUser(square) != cubeNode) continue;
      head = {sq, cubeNode};
    } else {
      continue;
    }
    const Node* add = onlyUser(tanh->output(0));
    if (!isOp(add, "Add") || !near(scalarOf(otherInput(add, tanh->output(0))), 1.0, 0)) return std::nullopt;
    const Node* mul = onlyUser(add->output(0));
    if (!isOp(mul, "Mul")) return std::nullopt;
    const Value* other = otherInput(mul, add->output(0));
    c.nodes = head;
    for (const Node* n : {times, sum, scale, tanh, add}) c.nodes.push_back(n);
    if (other == x) {
      const Node* half = onlyUser(mul->output(0));
      if (!isOp(half, "Mul") || !near(scalarOf(otherInput(half, mul->output(0))), 0.5, 0)) return std::nullopt;
      c.nodes.push_back(mul);
      c.nodes.push_back(half);
      c.output = half->output(0);
    } else {
      const Node* half = other ? other->producer() : nullptr;
      if (!isOp(half, "Mul") || onlyUser(other) != mul || !near(scalarOf(otherInput(half, x)), 0.5, 0)) return std::nullopt;
      c.geluHalfFirst = true;
      c.nodes.insert(c.nodes.begin(), half);
      c.nodes.push_back(mul);
      c.output = mul->output(0);
    }
    c.inputs = {x};
    return c;
  }
  return std::nullopt;
}

// (Div(S, c) | Mul(S, c))? -> Add(mask) | Where(cond, fill, .) -> Softmax over the last axis.
// Inputs: S, mask (Add) or cond and fill (Where), scale.
std::optional<FusedChain> matchSoftmax(const Node* sm, const ScalarOf& scalarOf, std::int64_t opset) {
  if (!isOp(sm, "Softmax")) return std::nullopt;
  const auto* axisAttr = sm->attribute("axis");
  FusedChain c;
  c.kind = FusedChain::Kind::Softmax;
  c.axis = axisAttr ? axisAttr->i() : opset < 13 ? 1 : -1;
  const Node* masking = sm->input(0) ? sm->input(0)->producer() : nullptr;
  if (!masking || onlyUser(masking->output(0)) != sm) return std::nullopt;
  const Value* scores = nullptr;
  if (isOp(masking, "Add")) {
    // The scores are the operand a scaling node produced (else the first).
    const Value* a = masking->input(0);
    const Value* b = masking->input(1);
    if (!a || !b || a == b) return std::nullopt;
    bool bScaled = b->producer() && (isOp(b->producer(), "Div") || isOp(b->producer(), "Mul"));
    scores = bScaled ? b : a;
    c.inputs = {nullptr, scores == a ? b : a, nullptr, nullptr};
  } else if (isOp(masking, "Where") && masking->inputs().size() == 3) {
    c.maskByWhere = true;
    const Value* x = masking->input(1);
    const Value* y = masking->input(2);
    if (!x || !y) return std::nullopt;
    bool yScaled = y->producer() && (isOp(y->producer(), "Div") || isOp(y->producer(), "Mul"));
    scores = yScaled ? y : x;
    c.whereFillIsX = scores == y;
    c.inputs = {nullptr, masking->input(0), scores == y ? x : y, nullptr};
  } else {
    return std::nullopt;
  }
  c.nodes = {masking, sm};
  // A scaling node: Div(S, s) or Mul(S, s) with s a scalar; which operand of a Mul is the scalar is
  // told by a constant, or else by the other being a MatMul's product (the run checks s has one value).
  const Node* scaling = scores->producer();
  if (scaling && onlyUser(scores) == masking && scaling->inputs().size() == 2 && scaling->input(0) && scaling->input(1) &&
      (isOp(scaling, "Div") || isOp(scaling, "Mul"))) {
    int scalar = 1;
    if (isOp(scaling, "Mul") && !scalarOf(scaling->input(1)) &&
        (scalarOf(scaling->input(0)) || isOp(scaling->input(1)->producer(), "MatMul")))
      scalar = 0;
    c.hasScale = true;
    c.scaleDivides = isOp(scaling, "Div");
    c.nodes.insert(c.nodes.begin(), scaling);
    c.inputs[3] = scaling->input(scalar);
    scores = scaling->input(1 - scalar);
  }
  c.inputs[0] = scores;
  c.output = sm->output(0);
  return c;
}

}  // namespace

std::vector<FusedChain> findFusedChains(const std::vector<Node*>& order, const ScalarOf& scalarOf, std::int64_t opset) {
  std::vector<FusedChain> chains;
  std::unordered_set<const Node*> taken;
  auto accept = [&](FusedChain c) {
    for (const Node* n : c.nodes)
      if (taken.count(n)) return;
    for (const Node* n : c.nodes) taken.insert(n);
    chains.push_back(std::move(c));
  };
  // GELU first: a MatMul + bias before it joins its chain.
  for (const Node* n : order) {
    if (auto g = matchGelu(n, scalarOf)) accept(*g);
    if (auto t = matchGeluTanh(n, scalarOf)) accept(*t);
  }
  for (const Node* n : order) {
    if (auto l = matchLayerNorm(n, scalarOf)) accept(*l);
    if (auto s = matchSoftmax(n, scalarOf, opset)) accept(*s);
  }
  // MatMul(A, W) -> Add(bias), and on into a GELU chain whose X the sum is.
  for (const Node* mm : order) {
    if (!isOp(mm, "MatMul") || taken.count(mm) || mm->inputs().size() != 2 || !mm->input(1)) continue;
    const Node* add = onlyUser(mm->output(0));
    if (!isOp(add, "Add") || taken.count(add)) continue;
    const Value* bias = otherInput(add, mm->output(0));
    if (!bias) continue;
    FusedChain c;
    c.kind = FusedChain::Kind::MatMulBias;
    c.nodes = {mm, add};
    c.inputs = {mm->input(0), mm->input(1), bias};
    c.output = add->output(0);
    // A GELU chain reading the sum, the sum used by nothing else: take the chain over.
    auto users = usersOf(c.output);
    auto gelu = std::find_if(chains.begin(), chains.end(), [&](const FusedChain& g) {
      return g.kind == FusedChain::Kind::Gelu && g.inputs[0] == c.output;
    });
    if (gelu != chains.end() && !users.empty() &&
        std::all_of(users.begin(), users.end(), [&](const Node* u) { return std::count(gelu->nodes.begin(), gelu->nodes.end(), u) > 0; })) {
      c.kind = FusedChain::Kind::MatMulBiasGelu;
      c.geluConstant = gelu->geluConstant;
      c.geluMultiplies = gelu->geluMultiplies;
      c.geluHalfFirst = gelu->geluHalfFirst;
      c.geluTanh = gelu->geluTanh;
      c.geluCubic = gelu->geluCubic;
      c.nodes.insert(c.nodes.end(), gelu->nodes.begin(), gelu->nodes.end());
      c.output = gelu->output;
      chains.erase(gelu);
    }
    for (const Node* n : c.nodes) taken.insert(n);
    chains.push_back(std::move(c));
  }
  return chains;
}

namespace {

constexpr std::int64_t kGrain = 1 << 14;

// A per-column row (gamma, beta, bias): float with `width` elements and no other dim above 1.
bool isRowOf(const Array& a, std::int64_t width) {
  if (!a.valid() || !a.isTensor() || a.dtype() != kFloat || a.size() != width || a.rank() == 0) return false;
  return a.dim(a.rank() - 1) == width;
}

bool lastAxis(std::int64_t axis, std::size_t rank) { return rank > 0 && (axis == -1 || axis == static_cast<std::int64_t>(rank) - 1); }

// The tanh form in the separate nodes' float operations (std::tanh as the Tanh kernel).
void geluTanhRow(const float* x, float* y, std::int64_t n, const FusedChain& c) {
  for (std::int64_t i = 0; i < n; ++i) {
    float v = x[i];
    float a = 1.0f + std::tanh(c.geluConstant * (v + c.geluCubic * (v * (v * v))));
    y[i] = c.geluHalfFirst ? (v * 0.5f) * a : (v * a) * 0.5f;
  }
}

void geluRows(const float* x, float* y, std::int64_t n, const FusedChain& c) {
  parallelFor(n, kGrain, [&](std::int64_t s, std::int64_t e) {
    if (c.geluTanh)
      geluTanhRow(x + s, y + s, e - s, c);
    else
      geluRow(x + s, y + s, e - s, c.geluConstant, c.geluMultiplies, c.geluHalfFirst);
  });
}

void geluInPlace(Array& y, const FusedChain& c) { geluRows(y.data<float>(), y.data<float>(), y.size(), c); }

Result<bool> layerNorm(const FusedChain& c, const std::vector<Array>& in, Array& out) {
  const Array& x = in[0];
  if (x.dtype() != kFloat || !lastAxis(c.axis, x.rank()) || x.size() == 0) return false;
  std::int64_t width = x.dim(x.rank() - 1), rows = x.size() / width;
  if ((in[1].valid() && !isRowOf(in[1], width)) || (in[2].valid() && !isRowOf(in[2], width))) return false;
  // The rows the separate nodes would broadcast to keep X's rank only when gamma/beta's do not exceed it.
  if ((in[1].valid() && in[1].rank() > x.rank()) || (in[2].valid() && in[2].rank() > x.rank())) return false;
  // A beta without gamma (an Add right after the Div) is not a chain the matcher makes.
  out = Array::uninitialized(kFloat, x.shape());
  const float* px = x.data<float>();
  float* py = out.data<float>();
  const float* gamma = in[1].valid() ? in[1].data<float>() : nullptr;
  const float* beta = in[2].valid() ? in[2].data<float>() : nullptr;
  parallelFor(rows, std::max<std::int64_t>(1, kGrain / width), [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) layerNormRow(px + r * width, py + r * width, width, gamma, beta, c.epsilon);
  });
  return true;
}

Result<bool> gelu(const FusedChain& c, const std::vector<Array>& in, Array& out) {
  const Array& x = in[0];
  if (x.dtype() != kFloat) return false;
  out = Array::uninitialized(kFloat, x.shape());
  geluRows(x.data<float>(), out.data<float>(), x.size(), c);
  return true;
}

Result<bool> matmulBias(const FusedChain& c, const std::vector<Array>& in, const std::vector<bool>& constant, Array& out) {
  const Array &a = in[0], &w = in[1], &bias = in[2];
  if (!constant[1] || a.dtype() != kFloat || w.dtype() != kFloat || w.rank() != 2 || a.rank() < 2) return false;
  std::int64_t K = w.dim(0), N = w.dim(1);
  if (a.dim(a.rank() - 1) != K || !isRowOf(bias, N) || bias.rank() > a.rank()) return false;
  std::vector<std::int64_t> shape = a.shape();
  shape.back() = N;
  Array y = Array::uninitialized(kFloat, shape);
  if (!onednnMatmulConstantB(a.size() / std::max<std::int64_t>(1, K), N, K, a.data<float>(), w.data<float>(), false, bias.data<float>(),
                             y.data<float>()))
    return false;
  if (c.kind == FusedChain::Kind::MatMulBiasGelu) geluInPlace(y, c);
  out = std::move(y);
  return true;
}

Result<bool> softmax(const FusedChain& c, const std::vector<Array>& in, Array& out) {
  const Array& s = in[0];
  if (s.dtype() != kFloat || !lastAxis(c.axis, s.rank()) || s.size() == 0) return false;
  const auto& shape = s.shape();
  std::size_t r = shape.size();
  std::int64_t n = shape[r - 1], rows = s.size() / n;
  // The mask (Add) or condition (Where) broadcasts to the scores without enlarging them.
  const Array& m = in[1];
  if (!m.valid() || !m.isTensor() || m.rank() > r) return false;
  if (c.maskByWhere ? m.dtype() != kBool : m.dtype() != kFloat) return false;
  auto b = broadcastShapes(m.shape(), shape);
  if (!b || b.value() != shape) return false;
  float fill = 0, scale = 1;
  if (c.hasScale) {
    const Array& f = in[3];
    if (!f.valid() || f.dtype() != kFloat || f.size() != 1 || f.rank() > r) return false;
    scale = f.data<float>()[0];
  }
  if (c.maskByWhere) {
    const Array& f = in[2];
    if (!f.valid() || !f.isTensor() || f.dtype() != kFloat || f.size() != 1) return false;
    fill = f.data<float>()[0];
  }
  auto strides = broadcastStrides(m.shape(), shape);
  std::int64_t inner = strides[r - 1];
  out = Array::uninitialized(kFloat, shape);
  const float* ps = s.data<float>();
  float* po = out.data<float>();
  const float* pm = c.maskByWhere ? nullptr : m.data<float>();
  const auto* pc = c.maskByWhere ? static_cast<const std::uint8_t*>(m.raw()) : nullptr;
  parallelFor(rows, std::max<std::int64_t>(1, kGrain / n), [&](std::int64_t r0, std::int64_t r1) {
    FlushDenormals flush;
    std::vector<float> t(static_cast<std::size_t>(n));
    for (std::int64_t row = r0; row < r1; ++row) {
      std::int64_t rem = row, off = 0;
      for (std::size_t d = r - 1; d-- > 0;) {
        off += (rem % shape[d]) * strides[d];
        rem /= shape[d];
      }
      const float* x = ps + row * n;
      if (!c.hasScale)
        std::copy(x, x + n, t.begin());
      else if (c.scaleDivides)
        for (std::int64_t j = 0; j < n; ++j) t[j] = x[j] / scale;
      else
        for (std::int64_t j = 0; j < n; ++j) t[j] = x[j] * scale;
      if (pm) {
        const float* mk = pm + off;
        for (std::int64_t j = 0; j < n; ++j) t[j] = t[j] + mk[j * inner];
      } else {
        const std::uint8_t* ck = pc + off;
        // Where(cond, X, Y): the fill is X when the scores are Y.
        for (std::int64_t j = 0; j < n; ++j) t[j] = (ck[j * inner] != 0) == c.whereFillIsX ? fill : t[j];
      }
      softmaxRow(t.data(), po + row * n, n);
    }
  });
  return true;
}

}  // namespace

Result<bool> runFusedChain(const FusedChain& c, const std::vector<Array>& inputs, const std::vector<bool>& constant, Array& out) {
  for (const Array& a : inputs)
    if (a.valid() && !a.isTensor()) return false;
  switch (c.kind) {
    case FusedChain::Kind::LayerNorm: return layerNorm(c, inputs, out);
    case FusedChain::Kind::Gelu: return gelu(c, inputs, out);
    case FusedChain::Kind::MatMulBias:
    case FusedChain::Kind::MatMulBiasGelu: return matmulBias(c, inputs, constant, out);
    case FusedChain::Kind::Softmax: return softmax(c, inputs, out);
  }
  return false;
}

}  // namespace graft::eval
