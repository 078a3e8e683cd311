// Element types, half-precision conversion, broadcasting, the kernel context and registry.
#include <stdexcept>
#include <limits>
#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "eval/kernel.h"

namespace graft::eval {

std::size_t elementSizeOf(std::int32_t dtype) {
  if (dtype == kString) return 0;
  int bits = elementTypeInfo(dtype).bits;
  if (bits == 0 || elementTypeInfo(dtype).kind == ElementKind::Complex) return 0;
  return bits < 8 ? 1 : static_cast<std::size_t>(bits / 8);
}

bool isNarrowFloat(std::int32_t dtype) { return elementTypeInfo(dtype).narrowFloat; }
bool isFloatType(std::int32_t dtype) { return dtype == kFloat || dtype == kDouble || isNarrowFloat(dtype); }
bool isIntegerType(std::int32_t dtype) {
  switch (dtype) {
    case kInt8: case kUInt8: case kInt16: case kUInt16: case kInt32: case kUInt32: case kInt64: case kUInt64:
    case kInt4: case kUInt4: case kInt2: case kUInt2: return true;
    default: return false;
  }
}
bool isSignedType(std::int32_t dtype) {
  return elementTypeInfo(dtype).kind == ElementKind::SignedInt || isFloatType(dtype);
}
std::int32_t subByteCarrier(std::int32_t dtype) {
  switch (dtype) {
    case kInt4: case kInt2: return kInt8;
    case kUInt4: case kUInt2: return kUInt8;
    default: return 0;
  }
}

const char* dtypeName(std::int32_t dtype) { return elementTypeName(dtype); }

std::uint16_t floatToHalf(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  std::uint32_t sign = (x >> 16) & 0x8000;
  std::uint32_t absx = x & 0x7fffffff;
  if (absx >= 0x7f800000) return static_cast<std::uint16_t>(sign | 0x7c00 | (absx > 0x7f800000 ? 0x200 : 0));
  if (absx >= 0x477ff000) return static_cast<std::uint16_t>(sign | 0x7c00);  // rounds to inf
  if (absx < 0x38800000) {  // subnormal half or zero: round to nearest even
    float af;
    std::memcpy(&af, &absx, 4);
    float scaled = af * 16777216.0f;  // 2^24
    auto m = static_cast<std::uint32_t>(std::nearbyint(scaled));
    return static_cast<std::uint16_t>(sign | m);
  }
  std::uint32_t exp = ((absx >> 23) - 127 + 15);
  std::uint32_t mant = absx & 0x7fffff;
  std::uint32_t h = (exp << 10) | (mant >> 13);
  std::uint32_t rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;
  return static_cast<std::uint16_t>(sign | h);
}

float bfloat16ToFloat(std::uint16_t h) {
  std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

std::uint16_t floatToBfloat16(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffff) > 0x7f800000) return static_cast<std::uint16_t>((x >> 16) | 0x40);
  std::uint32_t rounding = 0x7fff + ((x >> 16) & 1);
  return static_cast<std::uint16_t>((x + rounding) >> 16);
}

std::int64_t shapeSize(const std::vector<std::int64_t>& shape) {
  // Saturates instead of wrapping (dims come from the model): INT64_MAX never fits in memory,
  // so Array refuses it, and a zero dim anywhere still makes the count 0.
  std::int64_t n = 1;
  bool overflow = false;
  for (auto d : shape) {
    if (d == 0) return 0;
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) overflow = true;
  }
  return overflow ? std::numeric_limits<std::int64_t>::max() : n;
}

Result<std::vector<std::int64_t>> broadcastShapes(const std::vector<std::int64_t>& a, const std::vector<std::int64_t>& b) {
  std::size_t r = std::max(a.size(), b.size());
  std::vector<std::int64_t> out(r);
  for (std::size_t i = 0; i < r; ++i) {
    std::int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    std::int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da == db || db == 1)
      out[i] = da;
    else if (da == 1)
      out[i] = db;
    else
      return Status(ErrorCode::InvalidArgument,
                    "shapes " + formatShape(a) + " and " + formatShape(b) + " cannot be broadcast together");
  }
  return out;
}

std::vector<std::int64_t> contiguousStrides(const std::vector<std::int64_t>& shape) {
  std::vector<std::int64_t> s(shape.size());
  std::int64_t acc = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

std::vector<std::int64_t> broadcastStrides(const std::vector<std::int64_t>& shape, const std::vector<std::int64_t>& out) {
  // Kernels pass shapes a model chose: one that does not broadcast to `out` would make strides
  // that read (and, through a rank underflow, write) past the buffers. The runner turns this
  // exception into the node's error.
  bool fits = shape.size() <= out.size();
  for (std::size_t i = 0; fits && i < shape.size(); ++i) {
    const std::int64_t o = out[out.size() - shape.size() + i];
    fits = shape[i] == 1 || shape[i] == o;
  }
  if (!fits) throw std::invalid_argument("shape " + formatShape(shape) + " does not broadcast to " + formatShape(out));
  std::vector<std::int64_t> s(out.size(), 0);
  auto cs = contiguousStrides(shape);
  std::size_t off = out.size() - shape.size();
  for (std::size_t i = 0; i < shape.size(); ++i) s[off + i] = shape[i] == 1 ? 0 : cs[i];
  return s;
}

Array expandTo(const Array& a, const std::vector<std::int64_t>& shape) {
  if (a.shape() == shape) return a;
  Array out = Array::uninitialized(a.dtype(), shape);
  auto strides = broadcastStrides(a.shape(), shape);
  std::size_t es = a.elementSize();
  std::int64_t n = out.size();
  std::size_t r = shape.size();
  std::vector<std::int64_t> idx(r, 0);
  std::int64_t src = 0;
  if (a.dtype() == kString) {
    for (std::int64_t i = 0; i < n; ++i) {
      out.strings()[static_cast<std::size_t>(i)] = a.strings()[static_cast<std::size_t>(src)];
      for (std::size_t d = r; d-- > 0;) {
        src += strides[d];
        if (++idx[d] < shape[d]) break;
        src -= strides[d] * shape[d];
        idx[d] = 0;
      }
    }
    return out;
  }
  const auto* in = static_cast<const std::byte*>(a.raw());
  auto* o = static_cast<std::byte*>(out.raw());
  // Inner dimension copied in runs when it is not broadcast.
  std::int64_t inner = r ? shape[r - 1] : 1;
  bool innerContig = r && strides[r - 1] == 1;
  if (r == 0 || n == 0) {
    if (n) std::memcpy(o, in, es);
    return out;
  }
  for (std::int64_t i = 0; i < n; i += inner) {
    if (innerContig)
      std::memcpy(o + static_cast<std::size_t>(i) * es, in + static_cast<std::size_t>(src) * es, static_cast<std::size_t>(inner) * es);
    else
      for (std::int64_t j = 0; j < inner; ++j) std::memcpy(o + static_cast<std::size_t>(i + j) * es, in + static_cast<std::size_t>(src) * es, es);
    for (std::size_t d = r - 1; d-- > 0;) {
      src += strides[d];
      if (++idx[d] < shape[d]) break;
      src -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

namespace {

// Kernels read scalars (k, a limit, a fill value) with index 0 without looking at the size: a
// model that passes an empty tensor gets an error, not a read past the buffer.
[[noreturn]] void throwReadPastEnd(const Array& a, std::int64_t i) {
  throw std::out_of_range("element " + std::to_string(i) + " of " + formatArrayType(a) + " was read; it has " +
                          std::to_string(a.size()) + " element" + (a.size() == 1 ? "" : "s"));
}

}  // namespace

std::int64_t readIndex(const Array& a, std::int64_t i) {
  if (i < 0 || i >= a.size() || !a.isTensor()) throwReadPastEnd(a, i);
  switch (a.dtype()) {
    case kInt64: return a.data<std::int64_t>()[i];
    case kInt32: return a.data<std::int32_t>()[i];
    case kInt16: return a.data<std::int16_t>()[i];
    case kInt8: case kInt4: case kInt2: return a.data<std::int8_t>()[i];
    case kUInt8: case kUInt4: case kUInt2: return a.data<std::uint8_t>()[i];
    case kUInt16: return a.data<std::uint16_t>()[i];
    case kUInt32: return a.data<std::uint32_t>()[i];
    case kUInt64: return static_cast<std::int64_t>(a.data<std::uint64_t>()[i]);
    case kBool: return a.data<bool>()[i] ? 1 : 0;
    case kFloat: return static_cast<std::int64_t>(a.data<float>()[i]);
    case kDouble: return static_cast<std::int64_t>(a.data<double>()[i]);
    case kFloat16: return static_cast<std::int64_t>(halfToFloat(a.data<std::uint16_t>()[i]));
    default:
      if (isNarrowFloat(a.dtype())) return static_cast<std::int64_t>(readDouble(a, i));
      return 0;
  }
}

double readDouble(const Array& a, std::int64_t i) {
  if (i < 0 || i >= a.size() || !a.isTensor()) throwReadPastEnd(a, i);
  switch (a.dtype()) {
    case kFloat: return a.data<float>()[i];
    case kDouble: return a.data<double>()[i];
    case kFloat16: return halfToFloat(a.data<std::uint16_t>()[i]);
    case kBFloat16: return bfloat16ToFloat(a.data<std::uint16_t>()[i]);
    case kUInt64: return static_cast<double>(a.data<std::uint64_t>()[i]);
    default:
      if (isNarrowFloat(a.dtype()) && a.elementSize() == 1) return narrowFloatToFloat(a.dtype(), a.data<std::uint8_t>()[i]);
      return static_cast<double>(readIndex(a, i));
  }
}

std::vector<std::int64_t> toInt64Vector(const Array& a) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(a.size()));
  for (std::int64_t i = 0; i < a.size(); ++i) v[static_cast<std::size_t>(i)] = readIndex(a, i);
  return v;
}

bool normalizeAxis(std::int64_t& axis, std::int64_t rank) {
  if (axis < 0) axis += rank;
  return axis >= 0 && axis < std::max<std::int64_t>(rank, 1);
}

// ------------------------------------------------------------------ context

std::int64_t Context::attrInt(std::string_view name, std::int64_t def) const {
  const auto* a = node_.attribute(name);
  return a ? a->i() : def;
}
float Context::attrFloat(std::string_view name, float def) const {
  const auto* a = node_.attribute(name);
  return a ? a->f() : def;
}
std::string Context::attrString(std::string_view name, const std::string& def) const {
  const auto* a = node_.attribute(name);
  return a ? a->s() : def;
}
std::vector<std::int64_t> Context::attrInts(std::string_view name) const {
  const auto* a = node_.attribute(name);
  if (!a) return {};
  return {a->ints().begin(), a->ints().end()};
}
std::vector<float> Context::attrFloats(std::string_view name) const {
  const auto* a = node_.attribute(name);
  if (!a) return {};
  return {a->floats().begin(), a->floats().end()};
}
std::vector<std::string> Context::attrStrings(std::string_view name) const {
  const auto* a = node_.attribute(name);
  if (!a) return {};
  return {a->strings().begin(), a->strings().end()};
}
const onnx::TensorProto* Context::attrTensor(std::string_view name) const {
  const auto* a = node_.attribute(name);
  return a && a->has_t() ? &a->t() : nullptr;
}
const Graph* Context::subgraph(std::string_view attribute) const {
  for (const auto& s : node_.subgraphs())
    if (s.attribute == attribute) return s.graph.get();
  return nullptr;
}
Result<std::vector<Array>> Context::runSubgraph(const Graph& graph, const std::vector<Array>& inputs) const {
  if (!runner_) return Status(ErrorCode::Internal, "no subgraph runner");
  return (*runner_)(graph, inputs);
}
Status Context::require(std::size_t i, const char* what) const {
  if (!hasInput(i)) return fail(std::string("input ") + std::to_string(i) + " (" + what + ") is required but missing");
  return Status::ok();
}

// ------------------------------------------------------------------ registry

namespace {
std::unordered_map<std::string, KernelInfo>& registry() {
  static std::unordered_map<std::string, KernelInfo> r;
  return r;
}
std::string key(std::string_view domain, std::string_view op) {
  if (domain == "ai.onnx") domain = "";
  return std::string(domain) + ":" + std::string(op);
}
}  // namespace

void registerKernel(std::string_view domain, std::string_view opType, KernelFn fn, bool nativeHalf) {
  registry()[key(domain, opType)] = KernelInfo{fn, nativeHalf};
}

void ensureKernelsRegistered() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerElementwiseKernels();
    registerShapeKernels();
    registerReduceKernels();
    registerNnKernels();
    registerLinalgKernels();
    registerSignalKernels();
    registerRnnKernels();
    registerControlKernels();
    registerQuantKernels();
    registerContribKernels();
    registerAttentionKernels();
    registerImageKernels();
    registerImageDecoderKernels();
    registerStringKernels();
    registerNewerKernels();
    registerSequenceKernels();
    registerQuantDynamicKernels();
  });
}

const KernelInfo* findKernel(std::string_view domain, std::string_view opType) {
  ensureKernelsRegistered();
  auto it = registry().find(key(domain, opType));
  return it == registry().end() ? nullptr : &it->second;
}

}  // namespace graft::eval

namespace graft {

bool isOpSupported(std::string_view opType, std::string_view domain) { return eval::findKernel(domain, opType) != nullptr; }

std::vector<std::string> supportedOps() {
  eval::ensureKernelsRegistered();
  std::vector<std::string> out;
  for (const auto& [k, v] : eval::registry()) out.push_back(k[0] == ':' ? k.substr(1) : k);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace graft
