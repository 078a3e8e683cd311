// Model inputs, seeded random inputs, and verify: run two models on the same inputs and
// compare every output (max abs/rel diff, cosine, top-1 agreement).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "eval/kernel.h"

namespace graft {

using namespace graft::eval;

std::vector<InputSpec> modelInputs(const Model& model) {
  std::vector<InputSpec> out;
  for (const Value* v : model.graph().inputs()) {
    if (v->isInitializer()) continue;
    InputSpec s;
    s.name = v->name();
    if (const auto* t = v->declaredType(); t && t->has_tensor_type()) {
      s.dtype = t->tensor_type().elem_type();
      if (t->tensor_type().has_shape())
        for (const auto& d : t->tensor_type().shape().dim()) {
          s.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
          s.dimNames.push_back(d.has_dim_value() ? std::string() : d.dim_param());
        }
    }
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

// The largest valid index when the input feeds Gather indices of a constant table.
std::optional<std::int64_t> indexBound(const Value* v) {
  for (const Use& u : v->uses()) {
    const Node* n = u.node;
    if (n->opType() == "Gather" && u.index == 1 && n->input(0) && n->input(0)->initializer()) {
      const auto* a = n->attribute("axis");
      std::int64_t axis = a ? a->i() : 0;
      auto dims = n->input(0)->initializer()->dims();
      if (axis < 0) axis += static_cast<std::int64_t>(dims.size());
      if (axis >= 0 && axis < static_cast<std::int64_t>(dims.size())) return dims[static_cast<std::size_t>(axis)];
    }
    // Look through casts and reshapes between the input and the Gather.
    if ((n->opType() == "Cast" || n->opType() == "Reshape" || n->opType() == "Unsqueeze" || n->opType() == "Squeeze") && u.index == 0 &&
        n->output(0))
      if (auto b = indexBound(n->output(0))) return b;
  }
  return std::nullopt;
}

bool looksLikeMask(const std::string& name) {
  std::string l = name;
  std::transform(l.begin(), l.end(), l.begin(), ::tolower);
  return l.find("mask") != std::string::npos;
}

}  // namespace

Result<NamedArrays> randomInputs(const Model& model, std::uint64_t seed, const std::map<std::string, std::int64_t>& dims) {
  // Declared shapes come from the file: an 83-byte model can declare float[2^31]. Values are made
  // in chunks straight into the input's element type (never a whole array of doubles), and an
  // input past kMaxRandomElements is refused with a message that says how to give it instead.
  constexpr std::int64_t kMaxRandomElements = std::int64_t(1) << 28;
  constexpr std::int64_t kChunk = std::int64_t(1) << 16;
  NamedArrays out;
  std::mt19937_64 rng(seed);
  for (const auto& spec : modelInputs(model)) {
    if (spec.dtype == 0)
      return Status(ErrorCode::Unsupported, "input '" + spec.name + "' is not a tensor with a known element type; give it explicitly");
    if (elementSizeOf(spec.dtype) == 0 && spec.dtype != kString)
      return Status(ErrorCode::Unsupported, "input '" + spec.name + "' has element type " + std::to_string(spec.dtype) +
                                                ", which random inputs cannot make; give it explicitly");
    std::vector<std::int64_t> shape;
    for (std::size_t i = 0; i < spec.shape.size(); ++i) {
      if (spec.shape[i] >= 0) {
        shape.push_back(spec.shape[i]);
        continue;
      }
      auto it = dims.find(spec.dimNames[i]);
      shape.push_back(it != dims.end() ? it->second : 1);
    }
    const std::int64_t count = shapeSize(shape);
    for (auto d : shape)
      if (d < 0)
        return Status(ErrorCode::InvalidArgument, "input '" + spec.name + "' would have the negative shape " + formatShape(shape));
    if (count > kMaxRandomElements)
      return Status(ErrorCode::Unsupported,
                    "input '" + spec.name + "' is declared " + formatShape(shape) + ", more than 2^28 elements; random "
                    "inputs are not made that large (give the input from a file, or smaller symbolic dims)");
    const Value* v = model.graph().findValue(spec.name);
    const std::int32_t dt = spec.dtype;
    std::int64_t hi = 256;
    if (auto b = v ? indexBound(v) : std::nullopt) hi = std::max<std::int64_t>(1, *b);
    if (dt == kInt8) hi = std::min<std::int64_t>(hi, 128);
    std::normal_distribution<double> nd(0.0, 1.0);
    std::uniform_int_distribution<std::int64_t> ud(0, hi - 1);
    try {
      Array a = Array::uninitialized(dt, shape);
      for (std::int64_t begin = 0; begin < count; begin += kChunk) {
        const std::int64_t n = std::min(kChunk, count - begin);
        Array chunk = Array::uninitialized(kDouble, {n});
        double* p = chunk.data<double>();
        if (isFloatType(dt) || dt == kFloat16 || dt == kBFloat16) {
          for (std::int64_t i = 0; i < n; ++i) p[i] = nd(rng);
        } else if (dt == kBool || looksLikeMask(spec.name)) {
          std::fill(p, p + n, 1.0);
        } else {
          for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<double>(ud(rng));
        }
        auto c = castArray(chunk, dt);
        if (!c) return Status(c.status().code(), "input '" + spec.name + "': " + c.message());
        if (dt == kString)
          std::copy(c->strings().begin(), c->strings().end(), a.strings().begin() + begin);
        else
          std::memcpy(static_cast<char*>(a.raw()) + static_cast<std::size_t>(begin) * a.elementSize(), c->raw(), c->bytes());
      }
      out[spec.name] = std::move(a);
    } catch (const ArrayTooLarge& e) {
      return Status(ErrorCode::Unsupported, "input '" + spec.name + "': cannot allocate " + std::string(e.what()));
    }
  }
  return out;
}

OutputComparison compareArrays(const std::string& name, const Array& a, const Array& b, double atol, double rtol) {
  struct {
    double atol, rtol;
  } o{atol, rtol};
  OutputComparison c;
  c.name = name;
  c.typeA = formatArrayType(a);
  c.typeB = formatArrayType(b);
  if (a.shape() != b.shape()) {
    c.problem = "shapes differ: " + c.typeA + " vs " + c.typeB;
    c.withinTolerance = false;
    return c;
  }
  auto da = arrayToDoubles(a), db = arrayToDoubles(b);
  if (!da || !db) {
    c.problem = "not numeric";
    c.withinTolerance = false;
    return c;
  }
  const auto &x = da.value(), &y = db.value();
  double dot = 0, nx = 0, ny = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    double u = x[i], v = y[i];
    if (std::isnan(u) || std::isnan(v)) {
      if (std::isnan(u) != std::isnan(v)) {
        c.withinTolerance = false;
        c.maxAbsDiff = c.maxRelDiff = std::numeric_limits<double>::infinity();
      }
      continue;
    }
    double d = u == v ? 0.0 : std::abs(u - v);
    c.maxAbsDiff = std::max(c.maxAbsDiff, d);
    c.maxRelDiff = std::max(c.maxRelDiff, d / std::max(std::abs(v), 1e-12));
    if (d > o.atol + o.rtol * std::abs(v)) c.withinTolerance = false;
    dot += u * v;
    nx += u * u;
    ny += v * v;
  }
  c.cosine = (nx == 0 && ny == 0) ? 1.0 : (nx == 0 || ny == 0 ? 0.0 : dot / std::sqrt(nx * ny));
  if (a.rank() == 2 && a.dim(0) > 0 && a.dim(1) > 1) {
    std::int64_t rows = a.dim(0), cols = a.dim(1), same = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
      auto row = [&](const std::vector<double>& v) {
        auto begin = v.begin() + r * cols;
        return std::max_element(begin, begin + cols) - begin;
      };
      if (row(x) == row(y)) ++same;
    }
    c.top1Agreement = static_cast<double>(same) / static_cast<double>(rows);
  }
  return c;
}

namespace {

OutputComparison compareOutput(const std::string& name, const Array& a, const Array& b, const VerifyOptions& o) {
  return compareArrays(name, a, b, o.atol, o.rtol);
}

}  // namespace

Result<VerifyReport> verifyModels(const Model& a, const Model& b, const VerifyOptions& options) {
  VerifyReport report;
  auto notComparable = [&](std::string why) {
    report.comparable = false;
    report.whyNot = std::move(why);
    report.withinTolerance = false;
    return report;
  };
  auto ia = modelInputs(a), ib = modelInputs(b);
  for (const auto& sb : ib) {
    auto it = std::find_if(ia.begin(), ia.end(), [&](const InputSpec& s) { return s.name == sb.name; });
    if (it == ia.end()) return notComparable("model B has an input '" + sb.name + "' that model A does not have");
    if (it->dtype != sb.dtype)
      return notComparable("input '" + sb.name + "' is " + dtypeName(it->dtype) + " in A but " + dtypeName(sb.dtype) + " in B");
  }
  for (const auto& sa : ia)
    if (std::none_of(ib.begin(), ib.end(), [&](const InputSpec& s) { return s.name == sa.name; }))
      return notComparable("model A has an input '" + sa.name + "' that model B does not have");
  auto inputs = randomInputs(a, options.seed, options.dims);
  if (!inputs) return notComparable(inputs.message());
  auto sub = [&](double lo, double hi) -> ProgressFn {
    if (!options.progress) return {};
    return [&, lo, hi](double f, std::string_view stage) { return options.progress(lo + (hi - lo) * std::max(0.0, f), stage); };
  };
  EvalOptions ea;
  ea.progress = sub(0, 0.5);
  auto ra = evaluate(a, inputs.value(), ea);
  if (!ra) {
    if (ra.status().code() == ErrorCode::Cancelled) return ra.status();
    return notComparable("model A cannot be run: " + ra.message());
  }
  EvalOptions eb;
  eb.progress = sub(0.5, 1);
  auto rb = evaluate(b, inputs.value(), eb);
  if (!rb) {
    if (rb.status().code() == ErrorCode::Cancelled) return rb.status();
    return notComparable("model B cannot be run: " + rb.message());
  }
  const auto& outA = a.graph().outputs();
  const auto& outB = b.graph().outputs();
  bool byName = std::all_of(outA.begin(), outA.end(), [&](const Value* v) { return rb.value().count(v->name()) != 0; });
  if (!byName && outA.size() != outB.size())
    return notComparable("the outputs differ: A has " + std::to_string(outA.size()) + ", B has " + std::to_string(outB.size()) +
                         " and their names do not match");
  report.withinTolerance = true;
  for (std::size_t i = 0; i < outA.size(); ++i) {
    const std::string& na = outA[i]->name();
    const std::string& nb = byName ? na : outB[i]->name();
    auto c = compareOutput(na == nb ? na : na + " / " + nb, ra.value().at(na), rb.value().at(nb), options);
    report.withinTolerance = report.withinTolerance && c.withinTolerance;
    report.outputs.push_back(std::move(c));
  }
  return report;
}

}  // namespace graft
