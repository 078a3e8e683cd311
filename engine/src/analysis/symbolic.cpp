// Symbolic shape inference, in the spirit of ONNX Runtime's symbolic_shape_infer.py: after
// the onnx library's pass, dims such as "batch" and "sequence" are carried through the shape
// arithmetic exporters write (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, Expand, Slice,
// Range, ConstantOfShape, ...) and through ONNX Runtime's contrib ops, so that edges of an
// exported transformer read float32[batch,sequence,768] and every node can be costed.
//
// A dim is a polynomial over named symbols with integer coefficients ("batch*sequence",
// "2*sequence+1"); small integer tensors (shapes, indices, sizes) carry such dims as their
// values. What cannot be expressed (data-dependent sizes, non-exact divisions of symbols)
// stays unknown: the pass never invents a number.
#include <onnx/defs/tensor_proto_util.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "analysis/util.h"
#include "graft/analysis.h"

namespace graft {

using namespace analysis_detail;

namespace {

using TypeMap = std::unordered_map<std::string, onnx::TypeProto>;

// ---------------------------------------------------------------- polynomial dims

struct Poly {
  // Sorted symbol list (a monomial, repeated for powers) -> coefficient; no zero coefficients.
  std::map<std::vector<std::string>, std::int64_t> terms;

  static Poly constant(std::int64_t c) {
    Poly p;
    if (c != 0) p.terms[{}] = c;
    return p;
  }
  static Poly symbol(const std::string& s) {
    Poly p;
    p.terms[{s}] = 1;
    return p;
  }
  std::optional<std::int64_t> asConstant() const {
    if (terms.empty()) return 0;
    if (terms.size() == 1 && terms.begin()->first.empty()) return terms.begin()->second;
    return std::nullopt;
  }
  bool operator==(const Poly& o) const { return terms == o.terms; }
};

Poly operator+(Poly a, const Poly& b) {
  for (const auto& [m, c] : b.terms) {
    auto& slot = a.terms[m];
    slot += c;
    if (slot == 0) a.terms.erase(m);
  }
  return a;
}
Poly operator*(const Poly& a, std::int64_t k) {
  Poly r;
  if (k == 0) return r;
  for (const auto& [m, c] : a.terms) r.terms[m] = c * k;
  return r;
}
Poly operator-(const Poly& a, const Poly& b) { return a + b * -1; }
Poly operator*(const Poly& a, const Poly& b) {
  Poly r;
  for (const auto& [ma, ca] : a.terms)
    for (const auto& [mb, cb] : b.terms) {
      std::vector<std::string> m = ma;
      m.insert(m.end(), mb.begin(), mb.end());
      std::sort(m.begin(), m.end());
      r = r + [&] {
        Poly t;
        t.terms[m] = ca * cb;
        return t;
      }();
    }
  return r;
}

// Exact division: by a constant dividing every coefficient, or by a monomial (times a
// constant) that divides every term. Anything else has no polynomial answer.
std::optional<Poly> divideExact(const Poly& a, const Poly& b) {
  if (b.terms.size() != 1) {
    if (a == b && !a.terms.empty()) return Poly::constant(1);
    return std::nullopt;
  }
  const auto& [bm, bc] = *b.terms.begin();
  if (bc == 0) return std::nullopt;
  Poly r;
  for (const auto& [m, c] : a.terms) {
    if (c % bc != 0) return std::nullopt;
    std::vector<std::string> rest = m;
    for (const auto& s : bm) {
      auto it = std::find(rest.begin(), rest.end(), s);
      if (it == rest.end()) return std::nullopt;
      rest.erase(it);
    }
    r.terms[rest] = c / bc;
  }
  return r;
}

std::int64_t floorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::string format(const Poly& p) {
  if (p.terms.empty()) return "0";
  std::string out;
  // Highest degree first, so "sequence+1" rather than "1+sequence".
  std::vector<std::pair<std::vector<std::string>, std::int64_t>> ordered(p.terms.begin(), p.terms.end());
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& [m, c] : ordered) {
    std::int64_t k = c;
    if (!out.empty()) {
      out += k < 0 ? "-" : "+";
      if (k < 0) k = -k;
    } else if (k < 0 && !m.empty()) {
      out += "-";
      k = -k;
    }
    std::string term;
    if (m.empty() || k != 1) term = std::to_string(k);
    for (const auto& s : m) term += (term.empty() ? "" : "*") + s;
    out += term;
  }
  return out;
}

using Dim = std::optional<Poly>;
using SymShape = std::vector<Dim>;

// Dim params onnx makes up for unknown dims ("unk__12") say nothing; anything else is a name.
Dim dimFromProto(const onnx::TensorShapeProto::Dimension& d) {
  if (d.has_dim_value() && d.dim_value() >= 0) return Poly::constant(d.dim_value());
  if (d.has_dim_param() && !d.dim_param().empty() && d.dim_param().rfind("unk__", 0) != 0)
    return Poly::symbol(d.dim_param());
  return std::nullopt;
}

struct Info {
  std::optional<SymShape> shape;
  std::int32_t elem = 0;
  // The content of a small integer tensor (rank 0 or 1), flattened; nullopt when unknown.
  std::optional<std::vector<Dim>> value;
  // The content of a small floating-point tensor whose every element is known (the scale and
  // padding arithmetic of image transforms: Cast, Div, Ceil on constants).
  std::optional<std::vector<double>> fvalue;
};

std::optional<std::vector<double>> floatData(const onnx::TensorProto& t) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL) return std::nullopt;
  std::int64_t count = 1;
  for (auto d : t.dims()) count *= d;
  if (count > 64) return std::nullopt;
  try {
    switch (t.data_type()) {
      case onnx::TensorProto::FLOAT: {
        auto v = onnx::ParseData<float>(&t);
        return std::vector<double>(v.begin(), v.end());
      }
      case onnx::TensorProto::DOUBLE: return onnx::ParseData<double>(&t);
      default: return std::nullopt;
    }
  } catch (...) {
    return std::nullopt;
  }
}

std::optional<std::vector<std::int64_t>> intData(const onnx::TensorProto& t) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL) return std::nullopt;
  std::int64_t count = 1;
  for (auto d : t.dims()) count *= d;
  if (count > 64) return std::nullopt;
  try {
    switch (t.data_type()) {
      case onnx::TensorProto::INT64: return onnx::ParseData<std::int64_t>(&t);
      case onnx::TensorProto::INT32: {
        auto v = onnx::ParseData<std::int32_t>(&t);
        return std::vector<std::int64_t>(v.begin(), v.end());
      }
      default: return std::nullopt;
    }
  } catch (...) {
    return std::nullopt;
  }
}

class SymbolicPass {
 public:
  SymbolicPass(const onnx::GraphProto& graph, TypeMap& types, int opset) : graph_(graph), types_(types), opset_(opset) {
    for (const auto& t : graph.initializer()) {
      Info info;
      info.elem = t.data_type();
      info.shape = SymShape();
      for (auto d : t.dims()) info.shape->push_back(Poly::constant(d));
      if (auto v = intData(t)) info.value = toDims(*v);
      info.fvalue = floatData(t);
      infos_[t.name()] = std::move(info);
    }
  }

  std::size_t run() {
    std::size_t improved = 0;
    for (const auto& n : graph_.node()) {
      std::vector<Info> outs(static_cast<size_t>(n.output_size()));
      try {
        infer(n, outs);
      } catch (const std::exception&) {
        // A malformed node (missing input, bad attribute): its outputs stay as onnx left them.
      }
      for (int i = 0; i < n.output_size(); ++i) {
        const std::string& name = n.output(i);
        if (name.empty()) continue;
        Info& mine = outs[static_cast<size_t>(i)];
        if (mergeInto(name, mine)) ++improved;
        // What is known now (onnx's dims completed by ours) is what later nodes read.
        Info merged = fromTypes(name);
        if (!merged.elem) merged.elem = mine.elem;
        merged.value = std::move(mine.value);
        merged.fvalue = std::move(mine.fvalue);
        infos_[name] = std::move(merged);
      }
    }
    return improved;
  }

 private:
  static std::vector<Dim> toDims(const std::vector<std::int64_t>& v) {
    std::vector<Dim> out;
    for (auto x : v) out.push_back(Poly::constant(x));
    return out;
  }

  Info fromTypes(const std::string& name) const {
    Info info;
    auto it = types_.find(name);
    if (it == types_.end() || !it->second.has_tensor_type()) return info;
    const auto& tt = it->second.tensor_type();
    info.elem = tt.elem_type();
    if (tt.has_shape()) {
      SymShape s;
      for (const auto& d : tt.shape().dim()) s.push_back(dimFromProto(d));
      info.shape = std::move(s);
    }
    return info;
  }

  const Info& in(const onnx::NodeProto& n, int i) {
    static const Info kNone;
    if (i >= n.input_size() || n.input(i).empty()) return kNone;
    auto it = infos_.find(n.input(i));
    if (it != infos_.end()) return it->second;
    auto& slot = infos_[n.input(i)];
    slot = fromTypes(n.input(i));
    return slot;
  }
  bool has(const onnx::NodeProto& n, int i) const { return i < n.input_size() && !n.input(i).empty(); }

  static const onnx::AttributeProto* attr(const onnx::NodeProto& n, const char* name) {
    for (const auto& a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  static std::int64_t attrInt(const onnx::NodeProto& n, const char* name, std::int64_t def) {
    const auto* a = attr(n, name);
    return a && a->type() == onnx::AttributeProto::INT ? a->i() : def;
  }
  static std::optional<std::vector<std::int64_t>> attrInts(const onnx::NodeProto& n, const char* name) {
    const auto* a = attr(n, name);
    if (!a || a->type() != onnx::AttributeProto::INTS) return std::nullopt;
    return std::vector<std::int64_t>(a->ints().begin(), a->ints().end());
  }

  // Integer constants from an attribute (older opsets) or a constant input (newer ones).
  std::optional<std::vector<std::int64_t>> intsFrom(const onnx::NodeProto& n, const char* attrName, int input) {
    if (auto a = attrInts(n, attrName)) return a;
    if (!has(n, input)) return std::nullopt;
    const Info& i = in(n, input);
    if (!i.value) return std::nullopt;
    std::vector<std::int64_t> out;
    for (const auto& d : *i.value) {
      auto c = d ? d->asConstant() : std::nullopt;
      if (!c) return std::nullopt;
      out.push_back(*c);
    }
    return out;
  }

  static std::optional<std::int64_t> normAxis(std::int64_t axis, std::size_t rank) {
    const auto r = static_cast<std::int64_t>(rank);
    if (axis < 0) axis += r;
    if (axis < 0 || axis >= r) return std::nullopt;
    return axis;
  }

  static Dim bcastDim(const Dim& a, const Dim& b) {
    auto ca = a ? a->asConstant() : std::nullopt;
    auto cb = b ? b->asConstant() : std::nullopt;
    if (ca && *ca == 1) return b;
    if (cb && *cb == 1) return a;
    if (a && b && *a == *b) return a;
    if (ca && cb) return std::nullopt;  // 3 against 5: does not broadcast, no shape
    // A number other than 1 against a symbol: the symbol must equal it at run time.
    if (ca) return a;
    if (cb) return b;
    if (a && b) return a;  // two different symbols: they must be equal; keep the first name
    return std::nullopt;
  }
  static std::optional<SymShape> broadcast(const std::vector<const SymShape*>& shapes) {
    std::size_t rank = 0;
    for (const auto* s : shapes) {
      if (!s) return std::nullopt;
      rank = std::max(rank, s->size());
    }
    SymShape out(rank, Poly::constant(1));
    for (const auto* s : shapes)
      for (std::size_t i = 0; i < s->size(); ++i) {
        auto& o = out[rank - s->size() + i];
        o = bcastDim(o, (*s)[i]);
      }
    return out;
  }

  // The dims of a shape when all are known numbers.
  static std::optional<std::vector<std::int64_t>> constantDims(const SymShape& s) {
    std::vector<std::int64_t> out;
    for (const auto& d : s) {
      auto c = d ? d->asConstant() : std::nullopt;
      if (!c || *c < 0) return std::nullopt;
      out.push_back(*c);
    }
    return out;
  }
  static std::int64_t count(const std::vector<std::int64_t>& dims) {
    std::int64_t n = 1;
    for (auto d : dims) n *= d;
    return n;
  }
  // Row-major strides of a shape.
  static std::vector<std::int64_t> rowMajorStrides(const std::vector<std::int64_t>& dims) {
    std::vector<std::int64_t> strides(dims.size(), 1);
    for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
    return strides;
  }
  // Output element (o_0, ..., o_k) of shape `outDims` is v[offset + sum o_i * strides_i]: a slice
  // (strides scaled by the steps) or a transpose (strides permuted) of known values. Nothing when
  // an index falls outside v or the output is large.
  static std::optional<std::vector<Dim>> strided(const std::vector<Dim>& v, const std::vector<std::int64_t>& outDims,
                                                 std::int64_t offset, const std::vector<std::int64_t>& strides) {
    if (count(outDims) > 4096 || strides.size() != outDims.size()) return std::nullopt;
    std::vector<Dim> out;
    std::vector<std::int64_t> idx(outDims.size(), 0);
    for (std::int64_t k = 0; k < count(outDims); ++k) {
      std::int64_t flat = offset;
      for (size_t i = 0; i < idx.size(); ++i) flat += idx[i] * strides[i];
      if (flat < 0 || flat >= static_cast<std::int64_t>(v.size())) return std::nullopt;
      out.push_back(v[static_cast<size_t>(flat)]);
      for (size_t i = idx.size(); i-- > 0;)
        if (++idx[i] < outDims[i]) break;
        else idx[i] = 0;
    }
    return out;
  }

  static std::optional<Poly> product(const SymShape& s) {
    Poly p = Poly::constant(1);
    for (const auto& d : s) {
      if (!d) return std::nullopt;
      p = p * *d;
    }
    return p;
  }

  // Elementwise arithmetic on the values of small integer tensors (shape computations).
  void valueArith(const onnx::NodeProto& n, Info& out) {
    const Info& a = in(n, 0);
    const Info& b = in(n, 1);
    if (!a.value || !b.value) return;
    const auto& va = *a.value;
    const auto& vb = *b.value;
    const std::size_t count = std::max(va.size(), vb.size());
    if ((va.size() != count && va.size() != 1) || (vb.size() != count && vb.size() != 1)) return;
    std::vector<Dim> r;
    const std::string& op = n.op_type();
    for (std::size_t i = 0; i < count; ++i) {
      const Dim& x = va[va.size() == 1 ? 0 : i];
      const Dim& y = vb[vb.size() == 1 ? 0 : i];
      if (!x || !y) {
        r.push_back(std::nullopt);
        continue;
      }
      auto cx = x->asConstant(), cy = y->asConstant();
      if (op == "Add") {
        r.push_back(*x + *y);
      } else if (op == "Sub") {
        r.push_back(*x - *y);
      } else if (op == "Mul") {
        r.push_back(*x * *y);
      } else if (op == "Div") {
        if (cx && cy && *cy != 0)
          r.push_back(Poly::constant(floorDiv(*cx, *cy)));
        else
          r.push_back(divideExact(*x, *y));
      } else if (op == "Mod") {
        // Integers: the divisor's sign (fmod 0), or the dividend's (fmod 1, C's %).
        if (cx && cy && *cy != 0) {
          std::int64_t m = *cx % *cy;
          if (attrInt(n, "fmod", 0) == 0 && m != 0 && ((m < 0) != (*cy < 0))) m += *cy;
          r.push_back(Poly::constant(m));
        } else {
          r.push_back(std::nullopt);
        }
      } else if (op == "Equal") {
        if (cx && cy)
          r.push_back(Poly::constant(*cx == *cy));
        else if (*x == *y)
          r.push_back(Poly::constant(1));
        else if ((cx && *cx < 0) || (cy && *cy < 0))
          r.push_back(Poly::constant(0));  // a dim is never negative: Equal(shape, -1) is false
        else
          r.push_back(std::nullopt);
      } else if (op == "Max" || op == "Min") {
        if (cx && cy)
          r.push_back(Poly::constant(op == "Max" ? std::max(*cx, *cy) : std::min(*cx, *cy)));
        else if (*x == *y)
          r.push_back(x);
        else if (op == "Max" && cy && *cy <= 1)
          r.push_back(x);  // max(dim, 1) of a positive dim
        else if (op == "Max" && cx && *cx <= 1)
          r.push_back(y);
        else
          r.push_back(std::nullopt);
      } else {
        r.push_back(std::nullopt);
      }
    }
    out.value = std::move(r);
  }

  // The same on fully known floating-point values.
  void floatArith(const onnx::NodeProto& n, Info& out) {
    const Info& a = in(n, 0);
    const Info& b = in(n, 1);
    if (!a.fvalue || !b.fvalue) return;
    const auto& va = *a.fvalue;
    const auto& vb = *b.fvalue;
    const std::size_t count = std::max(va.size(), vb.size());
    if ((va.size() != count && va.size() != 1) || (vb.size() != count && vb.size() != 1)) return;
    std::vector<double> r;
    const std::string& op = n.op_type();
    for (std::size_t i = 0; i < count; ++i) {
      const double x = va[va.size() == 1 ? 0 : i], y = vb[vb.size() == 1 ? 0 : i];
      if (op == "Add") r.push_back(x + y);
      else if (op == "Sub") r.push_back(x - y);
      else if (op == "Mul") r.push_back(x * y);
      else if (op == "Div") r.push_back(x / y);
      else if (op == "Max") r.push_back(std::max(x, y));
      else if (op == "Min") r.push_back(std::min(x, y));
      else if (op == "Pow") r.push_back(std::pow(x, y));
      else return;
    }
    out.fvalue = std::move(r);
  }

  SymShape shapeFromValue(const std::vector<Dim>& v) { return SymShape(v.begin(), v.end()); }

  // One slice dim. Symbolic ends are taken to be within the input (torch slices a causal mask
  // buffer to the sequence length: ends = sequence <= the buffer's size), as ONNX Runtime does.
  static Dim sliceDim(const Dim& dim, const Dim& start, const Dim& end, std::int64_t step) {
    constexpr std::int64_t kBig = std::numeric_limits<std::int32_t>::max();
    if (!start || !end || step == 0) return std::nullopt;
    auto cs = start->asConstant(), ce = end->asConstant();
    auto cd = dim ? dim->asConstant() : std::nullopt;
    if (cd && cs && ce) {
      const std::int64_t d = *cd;
      auto clampIdx = [&](std::int64_t x, bool isEnd) {
        if (x < 0) x += d;
        if (step > 0) return std::clamp<std::int64_t>(x, 0, d);
        return std::clamp<std::int64_t>(x, -1, d - 1) + (isEnd ? 0 : 0);
      };
      std::int64_t s = clampIdx(*cs, false), e = clampIdx(*ce, true);
      if (step > 0) return Poly::constant(std::max<std::int64_t>(0, (e - s + step - 1) / step));
      return Poly::constant(std::max<std::int64_t>(0, (s - e + (-step) - 1) / (-step)));
    }
    if (step != 1 || !dim) return std::nullopt;
    // From here: step 1 on a symbolic dim or with symbolic bounds.
    Poly s = *start, e = *end;
    if (cs && *cs < 0) s = *dim + *start;
    if (ce && *ce >= kBig) e = *dim;
    else if (ce && *ce < 0) e = *dim + *end;
    Poly len = e - s;
    if (auto c = len.asConstant(); c && *c < 0) return Poly::constant(0);
    // A constant length against a symbolic dim (x[:, 0:1]) or a symbolic length.
    return len;
  }

  void infer(const onnx::NodeProto& n, std::vector<Info>& outs) {
    const std::string& op = n.op_type();
    const std::string domain = normalizeDomain(n.domain());
    auto same = [&](int from, int to = 0) {
      const Info& i = in(n, from);
      outs[static_cast<size_t>(to)].shape = i.shape;
      outs[static_cast<size_t>(to)].elem = i.elem;
    };
    if (outs.empty()) return;
    Info& out = outs[0];

    if (domain == "com.microsoft") {
      inferContrib(n, outs);
      return;
    }
    if (!domain.empty()) return;

    static const std::set<std::string> kUnary = {
        "Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Ceil", "Celu", "Cos", "Cosh", "Elu", "Erf", "Exp",
        "Floor", "Gelu", "HardSigmoid", "HardSwish", "IsInf", "IsNaN", "LeakyRelu", "Log", "Mish", "Neg", "Not",
        "Reciprocal", "Relu", "Round", "Selu", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Softplus", "Softsign",
        "Sqrt", "Tan", "Tanh", "ThresholdedRelu", "BitwiseNot", "Clip", "Softmax", "LogSoftmax", "Hardmax",
        "Identity", "Dropout", "LRN", "BatchNormalization", "InstanceNormalization", "LayerNormalization",
        "GroupNormalization", "MeanVarianceNormalization", "CumSum", "Trilu", "LpNormalization", "CastLike"};
    static const std::set<std::string> kBinary = {"Add", "Sub", "Mul", "Div", "Pow", "Mod", "PRelu", "And", "Or", "Xor",
                                                  "Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual",
                                                  "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "Where", "Sum",
                                                  "Max", "Min", "Mean"};
    static const std::set<std::string> kBool = {"Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual",
                                                "And", "Or", "Xor", "Not", "IsInf", "IsNaN"};

    if (op == "Constant") {
      if (const auto* a = attr(n, "value"); a && a->has_t()) {
        out.elem = a->t().data_type();
        out.shape = SymShape();
        for (auto d : a->t().dims()) out.shape->push_back(Poly::constant(d));
        if (auto v = intData(a->t())) out.value = toDims(*v);
        out.fvalue = floatData(a->t());
      } else if (const auto* af = attr(n, "value_float")) {
        out.elem = onnx::TensorProto::FLOAT;
        out.shape = SymShape();
        out.fvalue = std::vector<double>{af->f()};
      } else if (const auto* ai = attr(n, "value_int")) {
        out.elem = onnx::TensorProto::INT64;
        out.shape = SymShape();
        out.value = toDims({ai->i()});
      } else if (const auto* as = attr(n, "value_ints")) {
        out.elem = onnx::TensorProto::INT64;
        out.shape = SymShape{Poly::constant(as->ints_size())};
        out.value = toDims(std::vector<std::int64_t>(as->ints().begin(), as->ints().end()));
      }
    } else if (op == "Shape") {
      const Info& x = in(n, 0);
      out.elem = onnx::TensorProto::INT64;
      if (!x.shape) return;
      auto r = static_cast<std::int64_t>(x.shape->size());
      std::int64_t s = attrInt(n, "start", 0), e = attrInt(n, "end", r);
      if (s < 0) s += r;
      if (e < 0) e += r;
      s = std::clamp<std::int64_t>(s, 0, r);
      e = std::clamp<std::int64_t>(e, s, r);
      out.value = std::vector<Dim>(x.shape->begin() + s, x.shape->begin() + e);
      out.shape = SymShape{Poly::constant(e - s)};
    } else if (op == "Size") {
      const Info& x = in(n, 0);
      out.elem = onnx::TensorProto::INT64;
      out.shape = SymShape();
      if (x.shape) out.value = std::vector<Dim>{product(*x.shape)};
    } else if (op == "Cast") {
      same(0);
      out.elem = static_cast<std::int32_t>(attrInt(n, "to", 0));
      const Info& x = in(n, 0);
      const bool toFloat = out.elem == onnx::TensorProto::FLOAT || out.elem == onnx::TensorProto::DOUBLE ||
                           out.elem == onnx::TensorProto::FLOAT16;
      if (toFloat) {
        out.fvalue = x.fvalue;
        if (!out.fvalue && x.value) {  // known integers (a shape) as floats
          std::vector<double> f;
          for (const auto& d : *x.value) {
            auto c = d ? d->asConstant() : std::nullopt;
            if (!c) return;
            f.push_back(static_cast<double>(*c));
          }
          out.fvalue = std::move(f);
        }
      } else {
        out.value = x.value;
        if (!out.value && x.fvalue) {  // float to integer truncates toward zero
          std::vector<Dim> v;
          for (double f : *x.fvalue) {
            if (!std::isfinite(f) || std::fabs(f) > 9e15) return;
            v.push_back(Poly::constant(static_cast<std::int64_t>(f)));
          }
          out.value = std::move(v);
        }
      }
    } else if (kUnary.count(op)) {
      same(0);
      if (const Info& x = in(n, 0); x.fvalue && (op == "Ceil" || op == "Floor" || op == "Sqrt" || op == "Neg" || op == "Abs")) {
        std::vector<double> r;
        for (double f : *x.fvalue)
          r.push_back(op == "Ceil" ? std::ceil(f) : op == "Floor" ? std::floor(f) : op == "Sqrt" ? std::sqrt(f)
                                                                      : op == "Neg" ? -f : std::fabs(f));
        outs[0].fvalue = std::move(r);
      }
      if (op == "Identity") {
        out.value = in(n, 0).value;
        out.fvalue = in(n, 0).fvalue;
      }
      if (op == "LayerNormalization" && outs.size() > 1) {
        // Mean and inverse std dev: the input's shape with the normalized dims as 1.
        const Info& x = in(n, 0);
        if (x.shape)
          if (auto axis = normAxis(attrInt(n, "axis", -1), x.shape->size())) {
            SymShape s = *x.shape;
            for (auto i = static_cast<size_t>(*axis); i < s.size(); ++i) s[i] = Poly::constant(1);
            for (size_t k = 1; k < outs.size(); ++k) {
              outs[k].shape = s;
              outs[k].elem = onnx::TensorProto::FLOAT;
            }
          }
      }
    } else if (kBinary.count(op)) {
      std::vector<const SymShape*> shapes;
      for (int i = 0; i < n.input_size(); ++i) shapes.push_back(in(n, i).shape ? &*in(n, i).shape : nullptr);
      out.shape = broadcast(shapes);
      out.elem = op == "Where" ? in(n, 1).elem : in(n, 0).elem;
      if (kBool.count(op)) out.elem = onnx::TensorProto::BOOL;
      if (op == "Where") {
        const Info& c = in(n, 0);
        const Info& a = in(n, 1);
        const Info& b = in(n, 2);
        if (c.value && a.value && b.value) {
          std::size_t count = std::max({c.value->size(), a.value->size(), b.value->size()});
          std::vector<Dim> r;
          for (std::size_t i = 0; i < count; ++i) {
            auto pick = [&](const std::vector<Dim>& v) -> Dim { return v.size() == 1 ? v[0] : (i < v.size() ? v[i] : std::nullopt); };
            Dim cond = pick(*c.value);
            auto cc = cond ? cond->asConstant() : std::nullopt;
            r.push_back(cc ? (*cc ? pick(*a.value) : pick(*b.value)) : std::nullopt);
          }
          out.value = std::move(r);
        }
      } else if (n.input_size() == 2) {
        valueArith(n, out);
        floatArith(n, out);
      }
    } else if (op == "MatMul" || op == "MatMulInteger" || op == "FusedMatMul") {
      const Info& a = in(n, 0);
      const Info& b = in(n, 1);
      out.elem = op == "MatMulInteger" ? onnx::TensorProto::INT32 : a.elem;
      if (!a.shape || !b.shape || a.shape->empty() || b.shape->empty()) return;
      SymShape sa = *a.shape, sb = *b.shape;
      const bool aVec = sa.size() == 1, bVec = sb.size() == 1;
      if (aVec) sa.insert(sa.begin(), Poly::constant(1));
      if (bVec) sb.push_back(Poly::constant(1));
      SymShape ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
      auto batch = broadcast({&ba, &bb});
      if (!batch) return;
      SymShape r = *batch;
      if (!aVec) r.push_back(sa[sa.size() - 2]);
      if (!bVec) r.push_back(sb.back());
      out.shape = r;
    } else if (op == "Gemm") {
      const Info& a = in(n, 0);
      const Info& b = in(n, 1);
      out.elem = a.elem;
      if (!a.shape || !b.shape || a.shape->size() != 2 || b.shape->size() != 2) return;
      out.shape = SymShape{(*a.shape)[attrInt(n, "transA", 0) ? 1 : 0], (*b.shape)[attrInt(n, "transB", 0) ? 0 : 1]};
    } else if (op == "Reshape") {
      const Info& x = in(n, 0);
      const Info& s = in(n, 1);
      out.elem = x.elem;
      if (!s.value) return;
      SymShape r = shapeFromValue(*s.value);
      const bool allowZero = attrInt(n, "allowzero", 0) != 0;
      int inferIdx = -1;
      for (size_t i = 0; i < r.size(); ++i) {
        auto c = r[i] ? r[i]->asConstant() : std::nullopt;
        if (c && *c == 0 && !allowZero) r[i] = x.shape && i < x.shape->size() ? (*x.shape)[i] : std::nullopt;
        else if (c && *c == -1) inferIdx = static_cast<int>(i);
      }
      if (inferIdx >= 0) {
        r[static_cast<size_t>(inferIdx)] = std::nullopt;
        SymShape others = r;
        others.erase(others.begin() + inferIdx);
        auto total = x.shape ? product(*x.shape) : std::nullopt;
        auto known = product(others);
        if (total && known) r[static_cast<size_t>(inferIdx)] = divideExact(*total, *known);
      }
      out.shape = r;
      // The flat values stay as they are (row-major), whatever the new shape, when it holds them.
      if (auto count = product(r); x.value && count && count->asConstant() == static_cast<std::int64_t>(x.value->size()))
        out.value = x.value;
    } else if (op == "Flatten") {
      const Info& x = in(n, 0);
      out.elem = x.elem;
      if (!x.shape) return;
      auto r = static_cast<std::int64_t>(x.shape->size());
      std::int64_t axis = attrInt(n, "axis", 1);
      if (axis < 0) axis += r;
      if (axis < 0 || axis > r) return;  // Flatten's axis lies in [-r, r]; anything else has no shape
      SymShape lo(x.shape->begin(), x.shape->begin() + axis), hi(x.shape->begin() + axis, x.shape->end());
      out.shape = SymShape{product(lo), product(hi)};
    } else if (op == "Transpose") {
      const Info& x = in(n, 0);
      out.elem = x.elem;
      if (!x.shape) return;
      auto perm = attrInts(n, "perm");
      SymShape r;
      if (!perm) {
        r.assign(x.shape->rbegin(), x.shape->rend());
      } else {
        for (auto p : *perm) {
          if (p < 0 || static_cast<size_t>(p) >= x.shape->size()) return;
          r.push_back((*x.shape)[static_cast<size_t>(p)]);
        }
      }
      out.shape = r;
      // Known values of a known shape (the pad list F.pad reverses through a [n, 2] transpose).
      if (auto dims = constantDims(*x.shape), outDims = constantDims(r);
          x.value && dims && outDims && count(*dims) == static_cast<std::int64_t>(x.value->size())) {
        const auto in = rowMajorStrides(*dims);
        std::vector<std::int64_t> strides;
        for (size_t i = 0; i < dims->size(); ++i) strides.push_back(in[perm ? static_cast<size_t>((*perm)[i]) : dims->size() - 1 - i]);
        out.value = strided(*x.value, *outDims, 0, strides);
      }
    } else if (op == "Unsqueeze") {
      const Info& x = in(n, 0);
      out.elem = x.elem;
      auto axes = intsFrom(n, "axes", 1);
      if (!axes || !x.shape) return;
      const size_t rank = x.shape->size() + axes->size();
      std::vector<bool> inserted(rank, false);
      for (auto a : *axes)
        if (auto k = normAxis(a, rank)) inserted[static_cast<size_t>(*k)] = true;
      SymShape r;
      size_t from = 0;
      for (size_t i = 0; i < rank; ++i) r.push_back(inserted[i] ? Dim(Poly::constant(1)) : (from < x.shape->size() ? (*x.shape)[from++] : std::nullopt));
      out.shape = r;
      out.value = x.value;
      out.fvalue = x.fvalue;
    } else if (op == "Squeeze") {
      const Info& x = in(n, 0);
      out.elem = x.elem;
      if (!x.shape) return;
      auto axes = intsFrom(n, "axes", 1);
      SymShape r;
      for (size_t i = 0; i < x.shape->size(); ++i) {
        bool drop = false;
        if (axes) {
          for (auto a : *axes)
            if (normAxis(a, x.shape->size()) == static_cast<std::int64_t>(i)) drop = true;
        } else {
          auto c = (*x.shape)[i] ? (*x.shape)[i]->asConstant() : std::nullopt;
          if (!c) return;  // without axes only known 1s are dropped
          drop = *c == 1;
        }
        if (!drop) r.push_back((*x.shape)[i]);
      }
      out.shape = r;
      out.value = x.value;
      out.fvalue = x.fvalue;
    } else if (op == "Concat") {
      const Info& first = in(n, 0);
      out.elem = first.elem;
      std::vector<Dim> values;
      bool valuesKnown = true;
      std::optional<SymShape> r;
      auto axisAttr = attrInt(n, "axis", 0);
      for (int i = 0; i < n.input_size(); ++i) {
        const Info& x = in(n, i);
        if (x.value) values.insert(values.end(), x.value->begin(), x.value->end());
        else valuesKnown = false;
        if (!x.shape) {
          r.reset();
          valuesKnown = valuesKnown && false;
          for (int k = i + 1; k < n.input_size(); ++k) (void)in(n, k);
          out.shape.reset();
          if (valuesKnown) out.value = values;
          return;
        }
        auto axis = normAxis(axisAttr, x.shape->size());
        if (!axis) return;
        if (!r) {
          r = *x.shape;
          continue;
        }
        if (r->size() != x.shape->size()) return;
        for (size_t d = 0; d < r->size(); ++d) {
          if (static_cast<std::int64_t>(d) == *axis) {
            auto& slot = (*r)[d];
            slot = slot && (*x.shape)[d] ? Dim(*slot + *(*x.shape)[d]) : std::nullopt;
          } else {
            (*r)[d] = bcastDim((*r)[d], (*x.shape)[d]);
          }
        }
      }
      out.shape = r;
      // Row-major values join flat only along the first axis.
      if (valuesKnown && r && (r->size() <= 1 || normAxis(axisAttr, r->size()) == 0)) out.value = values;
    } else if (op == "Gather") {
      const Info& x = in(n, 0);
      const Info& idx = in(n, 1);
      out.elem = x.elem;
      if (!x.shape || !idx.shape) return;
      auto axis = normAxis(attrInt(n, "axis", 0), x.shape->size());
      if (!axis) return;
      SymShape r(x.shape->begin(), x.shape->begin() + *axis);
      r.insert(r.end(), idx.shape->begin(), idx.shape->end());
      r.insert(r.end(), x.shape->begin() + *axis + 1, x.shape->end());
      out.shape = r;
      if (x.value && idx.value && *axis == 0 && x.shape->size() <= 1) {
        std::vector<Dim> v;
        const auto size = static_cast<std::int64_t>(x.value->size());
        for (const auto& i : *idx.value) {
          auto c = i ? i->asConstant() : std::nullopt;
          if (!c) return;
          std::int64_t k = *c < 0 ? *c + size : *c;
          if (k < 0 || k >= size) return;
          v.push_back((*x.value)[static_cast<size_t>(k)]);
        }
        out.value = v;
      }
    } else if (op == "GatherElements") {
      out.elem = in(n, 0).elem;
      out.shape = in(n, 1).shape;
    } else if (op == "ScatterND" || op == "ScatterElements" || op == "Scatter") {
      same(0);
    } else if (op == "Slice") {
      const Info& x = in(n, 0);
      out.elem = x.elem;
      if (!x.shape) return;
      const size_t rank = x.shape->size();
      std::vector<Dim> starts, ends;
      std::vector<std::int64_t> axes, steps;
      if (opset_ < 10 || attr(n, "starts")) {
        auto s = attrInts(n, "starts"), e = attrInts(n, "ends");
        if (!s || !e) return;
        starts = toDims(*s);
        ends = toDims(*e);
        if (auto a = attrInts(n, "axes")) axes = *a;
      } else {
        if (!in(n, 1).value || !in(n, 2).value) return;
        starts = *in(n, 1).value;
        ends = *in(n, 2).value;
        if (has(n, 3)) {
          auto a = intsFrom(n, "", 3);
          if (!a) return;
          axes = *a;
        }
        if (has(n, 4)) {
          auto st = intsFrom(n, "", 4);
          if (!st) return;
          steps = *st;
        }
      }
      if (starts.size() != ends.size()) return;
      if (axes.empty())
        for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
      if (steps.empty()) steps.assign(starts.size(), 1);
      if (axes.size() != starts.size() || steps.size() != starts.size()) return;
      SymShape r = *x.shape;
      for (size_t i = 0; i < starts.size(); ++i) {
        auto a = normAxis(axes[i], rank);
        if (!a) return;
        r[static_cast<size_t>(*a)] = sliceDim((*x.shape)[static_cast<size_t>(*a)], starts[i], ends[i], steps[i]);
      }
      out.shape = r;
      // Known values of a known shape, any rank and step (F.pad's pad list is reversed by a Slice
      // with step -1 over a [n, 2] view of it).
      auto inDims = constantDims(*x.shape), outDims = constantDims(r);
      if (x.value && inDims && outDims && count(*inDims) == static_cast<std::int64_t>(x.value->size())) {
        std::vector<std::int64_t> strides = rowMajorStrides(*inDims);
        std::int64_t offset = 0;
        bool known = true;
        for (size_t i = 0; i < starts.size() && known; ++i) {
          const auto a = static_cast<size_t>(*normAxis(axes[i], rank));
          auto c = starts[i] ? starts[i]->asConstant() : std::nullopt;
          known = c.has_value();
          if (!known) break;
          const std::int64_t d = (*inDims)[a];
          std::int64_t st = *c < 0 ? *c + d : *c;
          st = steps[i] > 0 ? std::clamp<std::int64_t>(st, 0, d) : std::clamp<std::int64_t>(st, -1, d - 1);
          offset += st * strides[a];
          strides[a] *= steps[i];
        }
        if (known) out.value = strided(*x.value, *outDims, offset, strides);
      }
    } else if (op == "Expand") {
      const Info& x = in(n, 0);
      const Info& s = in(n, 1);
      out.elem = x.elem;
      if (!x.shape || !s.value) return;
      SymShape target = shapeFromValue(*s.value);
      out.shape = broadcast({&*x.shape, &target});
    } else if (op == "ConstantOfShape") {
      const Info& s = in(n, 0);
      out.elem = onnx::TensorProto::FLOAT;
      if (const auto* a = attr(n, "value"); a && a->has_t()) out.elem = a->t().data_type();
      if (s.value) {
        out.shape = shapeFromValue(*s.value);
        if (out.shape->size() <= 1)
          if (const auto* a = attr(n, "value"); a && a->has_t())
            if (auto v = intData(a->t()); v && v->size() == 1)
              if (auto len = out.shape->empty() ? std::optional<std::int64_t>(1) : (*out.shape)[0] ? (*out.shape)[0]->asConstant() : std::nullopt)
                out.value = std::vector<Dim>(static_cast<size_t>(*len), Poly::constant((*v)[0]));
      }
    } else if (op == "Range") {
      out.elem = in(n, 0).elem;
      const Info& s = in(n, 0);
      const Info& l = in(n, 1);
      const Info& d = in(n, 2);
      if (!s.value || !l.value || !d.value || s.value->size() != 1 || l.value->size() != 1 || d.value->size() != 1) return;
      const Dim& start = (*s.value)[0];
      const Dim& limit = (*l.value)[0];
      auto delta = (*d.value)[0] ? (*d.value)[0]->asConstant() : std::nullopt;
      if (!start || !limit || !delta || *delta == 0) return;
      Poly span = *limit - *start;
      if (auto c = span.asConstant())
        out.shape = SymShape{Poly::constant(std::max<std::int64_t>(0, (*c + *delta - (*delta > 0 ? 1 : -1)) / *delta))};
      else if (*delta == 1)
        out.shape = SymShape{span};
    } else if (op == "Tile") {
      const Info& x = in(n, 0);
      const Info& r = in(n, 1);
      out.elem = x.elem;
      if (!x.shape || !r.value || r.value->size() != x.shape->size()) return;
      SymShape s;
      for (size_t i = 0; i < x.shape->size(); ++i)
        s.push_back((*x.shape)[i] && (*r.value)[i] ? Dim(*(*x.shape)[i] * *(*r.value)[i]) : std::nullopt);
      out.shape = s;
    } else if (op == "Split") {
      const Info& x = in(n, 0);
      if (!x.shape) return;
      auto axis = normAxis(attrInt(n, "axis", 0), x.shape->size());
      if (!axis) return;
      auto sizes = intsFrom(n, "split", 1);
      const Dim& whole = (*x.shape)[static_cast<size_t>(*axis)];
      for (size_t k = 0; k < outs.size(); ++k) {
        outs[k].elem = x.elem;
        SymShape s = *x.shape;
        if (sizes && sizes->size() == outs.size())
          s[static_cast<size_t>(*axis)] = Poly::constant((*sizes)[k]);
        else if (whole)
          s[static_cast<size_t>(*axis)] = divideExact(*whole, Poly::constant(static_cast<std::int64_t>(outs.size())));
        else
          s[static_cast<size_t>(*axis)] = std::nullopt;
        outs[k].shape = s;
      }
    } else if (op.rfind("Reduce", 0) == 0 || op == "ArgMax" || op == "ArgMin") {
      const Info& x = in(n, 0);
      out.elem = op.rfind("Arg", 0) == 0 ? onnx::TensorProto::INT64 : x.elem;
      if (!x.shape) return;
      const bool keep = attrInt(n, "keepdims", 1) != 0;
      std::optional<std::vector<std::int64_t>> axes;
      if (op.rfind("Arg", 0) == 0) axes = std::vector<std::int64_t>{attrInt(n, "axis", 0)};
      else axes = intsFrom(n, "axes", 1);
      if (!axes && has(n, 1)) return;
      std::vector<bool> reduced(x.shape->size(), !axes || axes->empty());
      if (axes && axes->empty() && attrInt(n, "noop_with_empty_axes", 0)) reduced.assign(reduced.size(), false);
      if (axes)
        for (auto a : *axes)
          if (auto k = normAxis(a, x.shape->size())) reduced[static_cast<size_t>(*k)] = true;
      SymShape r;
      for (size_t i = 0; i < x.shape->size(); ++i) {
        if (!reduced[i]) r.push_back((*x.shape)[i]);
        else if (keep) r.push_back(Poly::constant(1));
      }
      out.shape = r;
      // Reducing a known vector whole (torchvision: the largest image size of a batch).
      const bool whole = std::all_of(reduced.begin(), reduced.end(), [](bool b) { return b; });
      if (whole && x.fvalue && !x.fvalue->empty() && (op == "ReduceMax" || op == "ReduceMin"))
        out.fvalue = std::vector<double>{op == "ReduceMax" ? *std::max_element(x.fvalue->begin(), x.fvalue->end())
                                                           : *std::min_element(x.fvalue->begin(), x.fvalue->end())};
      if (whole && x.value && !x.value->empty() && (op == "ReduceMax" || op == "ReduceMin")) {
        std::vector<std::int64_t> c;
        for (const auto& d : *x.value)
          if (auto k = d ? d->asConstant() : std::nullopt) c.push_back(*k);
        if (c.size() == x.value->size())
          out.value = std::vector<Dim>{Poly::constant(op == "ReduceMax" ? *std::max_element(c.begin(), c.end())
                                                                          : *std::min_element(c.begin(), c.end()))};
      }
    } else if (op == "Pad") {
      const Info& x = in(n, 0);
      out.elem = x.elem;
      if (!x.shape) return;
      std::optional<std::vector<Dim>> pads;
      if (auto a = attrInts(n, "pads")) pads = toDims(*a);
      else if (in(n, 1).value) pads = in(n, 1).value;
      if (!pads || pads->size() != 2 * x.shape->size() || has(n, 3)) return;
      SymShape r;
      const size_t rank = x.shape->size();
      for (size_t i = 0; i < rank; ++i) {
        const Dim& d = (*x.shape)[i];
        r.push_back(d && (*pads)[i] && (*pads)[i + rank] ? Dim(*d + *(*pads)[i] + *(*pads)[i + rank]) : std::nullopt);
      }
      out.shape = r;
    } else if (op == "TopK") {
      const Info& x = in(n, 0);
      const Info& k = in(n, 1);
      if (!x.shape || !k.value || k.value->size() != 1) return;
      auto axis = normAxis(attrInt(n, "axis", -1), x.shape->size());
      if (!axis) return;
      SymShape s = *x.shape;
      s[static_cast<size_t>(*axis)] = (*k.value)[0];
      for (size_t i = 0; i < outs.size(); ++i) {
        outs[i].shape = s;
        outs[i].elem = i == 0 ? x.elem : onnx::TensorProto::INT64;
      }
    } else if (op == "Einsum") {
      inferEinsum(n, out);
    } else if (op == "Resize" && has(n, 3)) {
      // Sizes given (torchvision's transforms compute them from the input's shape).
      const Info& x = in(n, 0);
      const Info& sizes = in(n, 3);
      out.elem = x.elem;
      if (!x.shape || !sizes.value) return;
      if (auto axes = attrInts(n, "axes")) {
        if (axes->size() != sizes.value->size()) return;
        SymShape s = *x.shape;
        for (size_t i = 0; i < axes->size(); ++i)
          if (auto a = normAxis((*axes)[i], s.size())) s[static_cast<size_t>(*a)] = (*sizes.value)[i];
        out.shape = s;
      } else if (sizes.value->size() == x.shape->size()) {
        out.shape = shapeFromValue(*sizes.value);
      }
    }
  }

  void inferEinsum(const onnx::NodeProto& n, Info& out) {
    const auto* eq = attr(n, "equation");
    if (!eq) return;
    std::string e;
    for (char c : eq->s())
      if (c != ' ') e += c;
    auto arrow = e.find("->");
    if (arrow == std::string::npos || e.find("...") != std::string::npos) return;
    std::map<char, Dim> dims;
    std::string lhs = e.substr(0, arrow);
    int idx = 0;
    std::size_t pos = 0;
    while (pos <= lhs.size()) {
      auto comma = lhs.find(',', pos);
      std::string term = lhs.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      const Info& x = in(n, idx++);
      if (!x.shape || x.shape->size() != term.size()) return;
      for (size_t i = 0; i < term.size(); ++i) dims[term[i]] = bcastDim(dims.count(term[i]) ? dims[term[i]] : Dim(Poly::constant(1)), (*x.shape)[i]);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    SymShape r;
    for (char c : e.substr(arrow + 2)) r.push_back(dims.count(c) ? dims[c] : std::nullopt);
    out.shape = r;
    out.elem = in(n, 0).elem;
  }

  // ONNX Runtime's contrib ops that exporters and its optimizer write (com.microsoft).
  void inferContrib(const onnx::NodeProto& n, std::vector<Info>& outs) {
    const std::string& op = n.op_type();
    Info& out = outs[0];
    const Info& x = in(n, 0);
    static const std::set<std::string> kSameAsInput = {
        "Gelu", "FastGelu", "BiasGelu", "QuickGelu", "BiasAdd", "SkipLayerNormalization",
        "SkipSimplifiedLayerNormalization", "SimplifiedLayerNormalization", "LayerNormalization", "BiasSplitGelu",
        "RotaryEmbedding", "FusedConv"};
    if (op == "FusedMatMul") {
      // Read through the same stand-in as the onnx pass: transposes already applied there.
      return;
    }
    if (kSameAsInput.count(op)) {
      out.shape = x.shape;
      out.elem = x.elem;
      if (op == "BiasSplitGelu" && x.shape && !x.shape->empty() && x.shape->back())
        out.shape->back() = divideExact(*x.shape->back(), Poly::constant(2));
      if (op == "FusedConv") out.shape.reset();  // spatial dims: left to the onnx pass
      return;
    }
    if (op == "Attention") {
      // input [B, S, hidden_in], weights [hidden_in, 3*hidden] (or qkv_hidden_sizes).
      const Info& w = in(n, 1);
      out.elem = x.elem;
      if (!x.shape || x.shape->size() != 3) return;
      Dim hidden;
      if (auto sizes = attrInts(n, "qkv_hidden_sizes"); sizes && sizes->size() == 3)
        hidden = Poly::constant((*sizes)[2]);
      else if (w.shape && w.shape->size() == 2 && (*w.shape)[1])
        hidden = divideExact(*(*w.shape)[1], Poly::constant(3));
      out.shape = SymShape{(*x.shape)[0], (*x.shape)[1], hidden};
      return;
    }
    if (op == "MultiHeadAttention" || op == "GroupQueryAttention" || op == "PackedAttention") {
      out.elem = x.elem;
      if (x.shape && x.shape->size() == 3) {
        Dim hidden = (*x.shape)[2];
        const Info& v = in(n, 2);
        if (op == "MultiHeadAttention" && v.shape && v.shape->size() == 3) hidden = (*v.shape)[2];
        if (op == "GroupQueryAttention") hidden = (*x.shape)[2];
        out.shape = SymShape{(*x.shape)[0], (*x.shape)[1], hidden};
      }
      return;
    }
    if (op == "EmbedLayerNormalization") {
      // input_ids [B, S]; word_embedding [vocab, hidden] is input 2.
      const Info& word = in(n, 2);
      out.elem = word.elem;
      if (x.shape && x.shape->size() == 2 && word.shape && word.shape->size() == 2)
        out.shape = SymShape{(*x.shape)[0], (*x.shape)[1], (*word.shape)[1]};
      if (outs.size() > 1 && x.shape && !x.shape->empty()) {
        outs[1].shape = SymShape{(*x.shape)[0]};
        outs[1].elem = onnx::TensorProto::INT32;
      }
      return;
    }
  }

  // Writes what this pass knows into the type map where onnx left a gap; true if it did.
  bool mergeInto(const std::string& name, const Info& mine) {
    if (!mine.shape) return false;
    auto it = types_.find(name);
    // A rank alone (every dim unknown) is what a failed broadcast leaves: not a type to show.
    if (it == types_.end() && !mine.shape->empty() &&
        std::none_of(mine.shape->begin(), mine.shape->end(), [](const Dim& d) { return d.has_value(); }))
      return false;
    if (it != types_.end() && !it->second.has_tensor_type()) return false;  // sequences, maps: not ours
    onnx::TypeProto fresh;
    onnx::TypeProto& t = it == types_.end() ? fresh : it->second;
    auto* tt = t.mutable_tensor_type();
    if (tt->elem_type() == 0 && mine.elem != 0) tt->set_elem_type(mine.elem);
    if (tt->elem_type() == 0) return false;  // a shape without an element type is no type
    bool changed = false;
    if (!tt->has_shape() || tt->shape().dim_size() != static_cast<int>(mine.shape->size())) {
      if (tt->has_shape() && tt->shape().dim_size() != static_cast<int>(mine.shape->size())) return false;  // onnx knows better
      auto* shape = tt->mutable_shape();
      shape->clear_dim();
      for (size_t i = 0; i < mine.shape->size(); ++i) shape->add_dim();
      changed = true;
    }
    auto* shape = tt->mutable_shape();
    for (int i = 0; i < shape->dim_size(); ++i) {
      auto* d = shape->mutable_dim(i);
      if (dimFromProto(*d)) continue;  // onnx's own dim stands
      const Dim& m = (*mine.shape)[static_cast<size_t>(i)];
      if (!m) continue;
      if (auto c = m->asConstant(); c && *c >= 0)
        d->set_dim_value(*c);
      else if (!c)
        d->set_dim_param(format(*m));
      else
        continue;
      changed = true;
    }
    if (!changed) return false;
    if (it == types_.end()) types_.emplace(name, std::move(fresh));
    return true;
  }

  const onnx::GraphProto& graph_;
  TypeMap& types_;
  int opset_;
  std::unordered_map<std::string, Info> infos_;
};

}  // namespace

std::size_t analysis_detail::inferSymbolicShapes(const onnx::GraphProto& graph, std::unordered_map<std::string, onnx::TypeProto>& types,
                                int opset) {
  SymbolicPass pass(graph, types, opset);
  return pass.run();
}

std::optional<std::int64_t> analysis_detail::dimParamWithSymbolsAsOne(const std::string& param) {
  // Parses what format() writes: terms joined by + and -, factors by *, factors being
  // integers or names. Anything else (a name with operators in it) is one symbol.
  if (param.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  int sign = 1;
  bool any = false;
  while (i <= param.size()) {
    std::size_t end = i;
    while (end < param.size() && param[end] != '+' && !(param[end] == '-' && end > i)) ++end;
    std::string term = param.substr(i, end - i);
    if (term.empty()) return 1;
    std::int64_t value = 1;
    std::size_t f = 0;
    while (f <= term.size()) {
      std::size_t star = term.find('*', f);
      std::string factor = term.substr(f, star == std::string::npos ? std::string::npos : star - f);
      if (factor.empty()) return 1;
      bool numeric = std::all_of(factor.begin(), factor.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (numeric) {
        std::int64_t k = 0;
        if (factor.size() > 12 || std::from_chars(factor.data(), factor.data() + factor.size(), k).ec != std::errc())
          return 1;
        value *= k;
      }
      if (star == std::string::npos) break;
      f = star + 1;
    }
    total += sign * value;
    any = true;
    if (end >= param.size()) break;
    sign = param[end] == '-' ? -1 : 1;
    i = end + 1;
  }
  if (!any || total < 1) return 1;
  return total;
}

}  // namespace graft
