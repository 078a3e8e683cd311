// Array storage, element types, conversions to and from TensorProto and .npy files.
#include <stdexcept>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include "eval/kernel.h"
#include "graft/io.h"

#include <onnx/onnx-data.pb.h>

namespace graft {

using namespace graft::eval;

namespace {

void* alignedBlock(std::size_t rounded) {
  void* p = std::aligned_alloc(64, rounded);
  if (!p) throw std::bad_alloc();
  return p;
}

thread_local std::shared_ptr<BufferPool> tPool;

std::shared_ptr<std::byte> allocateBytes(std::size_t bytes) {
  // 64-byte alignment suits SIMD loads in Eigen maps; never a zero-sized request.
  if (bytes > (std::size_t(1) << 62)) throw ArrayTooLarge("an array of " + std::to_string(bytes) + " bytes");
  std::size_t rounded = ((bytes + 63) / 64) * 64;
  if (rounded == 0) rounded = 64;
  chargeMemory(rounded);
  try {
    if (tPool && rounded >= BufferPool::kMinBytes) {
      auto inner = tPool->take(rounded);
      std::byte* raw = inner.get();
      return std::shared_ptr<std::byte>(raw, [inner = std::move(inner), rounded](std::byte*) mutable {
        inner.reset();
        releaseMemory(rounded);
      });
    }
    return std::shared_ptr<std::byte>(static_cast<std::byte*>(alignedBlock(rounded)), [rounded](std::byte* q) {
      std::free(q);
      releaseMemory(rounded);
    });
  } catch (...) {
    releaseMemory(rounded);
    throw;
  }
}

}  // namespace

namespace eval {

BufferPool::~BufferPool() {
  for (auto& [size, p] : free_) std::free(p);
}

std::shared_ptr<std::byte> BufferPool::take(std::size_t bytes) {
  void* p = nullptr;
  std::size_t capacity = bytes;
  {
    std::lock_guard lock(mutex_);
    // Best fit, wasting at most a quarter: activations repeat a few sizes layer after layer.
    auto it = free_.lower_bound(bytes);
    if (it != free_.end() && it->first <= bytes + bytes / 4) {
      capacity = it->first;
      p = it->second;
      cached_ -= capacity;
      free_.erase(it);
    }
  }
  if (!p) p = alignedBlock(capacity);
  std::weak_ptr<BufferPool> home = weak_from_this();
  return std::shared_ptr<std::byte>(static_cast<std::byte*>(p), [home, capacity](std::byte* q) {
    if (auto pool = home.lock()) pool->give(q, capacity);
    else std::free(q);
  });
}

void BufferPool::give(void* p, std::size_t capacity) {
  {
    std::lock_guard lock(mutex_);
    if (cached_ + capacity <= capBytes_) {
      free_.emplace(capacity, p);
      cached_ += capacity;
      return;
    }
  }
  std::free(p);
}

BufferPoolScope::BufferPoolScope(std::shared_ptr<BufferPool> pool) : previous_(std::move(tPool)) { tPool = std::move(pool); }
BufferPoolScope::~BufferPoolScope() { tPool = std::move(previous_); }

}  // namespace eval

Array::Array(std::int32_t dtype, std::vector<std::int64_t> shape) : Array(uninitialized(dtype, std::move(shape))) {
  if (storage_) std::memset(storage_.get(), 0, bytes());
}

void Array::throwNoSuchDim(std::size_t i) const {
  throw std::out_of_range("dimension " + std::to_string(static_cast<std::int64_t>(i)) + " of " +
                          formatArrayType(*this) + " was asked for; it has rank " + std::to_string(rank()));
}

Array Array::uninitialized(std::int32_t dtype, std::vector<std::int64_t> shape) {
  Array a;
  a.dtype_ = dtype;
  a.shape_ = std::move(shape);
  // A model chooses the dims: a negative one or a product past 2^62 is refused here, before any
  // kernel indexes a buffer sized by a wrapped-around count.
  for (auto d : a.shape_)
    if (d < 0) throw ArrayTooLarge("an array with a negative dimension " + formatShape(a.shape_));
  a.size_ = shapeSize(a.shape_);
  if (a.size_ == std::numeric_limits<std::int64_t>::max())
    throw ArrayTooLarge("an array of shape " + formatShape(a.shape_) + " (more than 2^63 elements)");
  if (dtype != kString && a.size_ > (std::int64_t(1) << 62) / static_cast<std::int64_t>(std::max<std::size_t>(elementSizeOf(dtype), 1)))
    throw ArrayTooLarge("an array of shape " + formatShape(a.shape_) + " (more than 2^62 bytes)");
  if (dtype == kString) {
    chargeMemory(static_cast<std::size_t>(a.size_) * sizeof(std::string));
    releaseMemory(static_cast<std::size_t>(a.size_) * sizeof(std::string));
    a.elemSize_ = 0;
    a.strings_ = std::make_shared<std::vector<std::string>>(static_cast<std::size_t>(a.size_));
  } else {
    a.elemSize_ = elementSizeOf(dtype);
    a.storage_ = allocateBytes(a.bytes());
  }
  return a;
}

Array Array::borrowed(std::int32_t dtype, std::vector<std::int64_t> shape, const void* bytes) {
  Array a;
  a.dtype_ = dtype;
  a.shape_ = std::move(shape);
  a.size_ = shapeSize(a.shape_);
  a.elemSize_ = elementSizeOf(dtype);
  // Not owned: a no-op deleter (the model owns the bytes).
  a.storage_ = std::shared_ptr<std::byte>(static_cast<std::byte*>(const_cast<void*>(bytes)), [](std::byte*) {});
  a.borrowed_ = true;
  return a;
}

Array Array::sequence(std::int32_t elemType, std::vector<Array> items) {
  Array a;
  a.dtype_ = elemType;
  a.kind_ = Kind::Sequence;
  a.items_ = std::make_shared<const std::vector<Array>>(std::move(items));
  return a;
}

Array Array::optional(std::int32_t elemType, std::optional<Array> value) {
  Array a;
  a.dtype_ = elemType;
  a.kind_ = Kind::Optional;
  std::vector<Array> items;
  if (value) items.push_back(std::move(*value));
  a.items_ = std::make_shared<const std::vector<Array>>(std::move(items));
  return a;
}

Array Array::reshaped(std::vector<std::int64_t> shape) const {
  Array a = *this;
  a.shape_ = std::move(shape);
  a.size_ = shapeSize(a.shape_);
  return a;
}

Array Array::relabeled(std::int32_t dtype) const {
  Array a = *this;
  if (elementSizeOf(dtype) == elemSize_) a.dtype_ = dtype;
  return a;
}

Array Array::clone() const {
  if (!isTensor()) {
    std::vector<Array> items;
    for (const Array& i : *items_) items.push_back(i.clone());
    return isSequence() ? sequence(dtype_, std::move(items))
                        : optional(dtype_, items.empty() ? std::nullopt : std::optional<Array>(items[0]));
  }
  Array a = uninitialized(dtype_, shape_);
  if (dtype_ == kString)
    *a.strings_ = *strings_;
  else if (bytes())
    std::memcpy(a.raw(), raw(), bytes());
  return a;
}

std::string formatShape(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s + "]";
}

std::string formatArrayType(const Array& array) {
  if (array.isSequence()) return "sequence<" + std::string(dtypeName(array.dtype())) + ">[" + std::to_string(array.items().size()) + "]";
  if (array.isOptional())
    return array.items().empty() ? std::string("optional (empty)") : "optional<" + formatArrayType(array.items()[0]) + ">";
  return std::string(dtypeName(array.dtype())) + formatShape(array.shape());
}

// ------------------------------------------------------------------ TensorProto

namespace {

template <typename Src, typename Field>
void copyField(Array& a, const Field& field) {
  // Typed fields hold wider values (int32_data for int8/uint16/bool/float16 bit patterns).
  std::int32_t dt = a.dtype();
  auto n = static_cast<std::size_t>(a.size());
  switch (dt) {
    case kFloat16:
    case kBFloat16:
    case kUInt16:
      for (std::size_t i = 0; i < n; ++i) a.data<std::uint16_t>()[i] = static_cast<std::uint16_t>(field.Get(static_cast<int>(i)));
      break;
    case kInt16:
      for (std::size_t i = 0; i < n; ++i) a.data<std::int16_t>()[i] = static_cast<std::int16_t>(field.Get(static_cast<int>(i)));
      break;
    case kInt8:
      for (std::size_t i = 0; i < n; ++i) a.data<std::int8_t>()[i] = static_cast<std::int8_t>(field.Get(static_cast<int>(i)));
      break;
    case kUInt8:
    case kFloat8E4M3FN:
    case kFloat8E4M3FNUZ:
    case kFloat8E5M2:
    case kFloat8E5M2FNUZ:
    case kFloat8E8M0:
      for (std::size_t i = 0; i < n; ++i) a.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(field.Get(static_cast<int>(i)));
      break;
    case kBool:
      for (std::size_t i = 0; i < n; ++i) a.data<bool>()[i] = field.Get(static_cast<int>(i)) != 0;
      break;
    case kInt32:
      for (std::size_t i = 0; i < n; ++i) a.data<std::int32_t>()[i] = static_cast<std::int32_t>(field.Get(static_cast<int>(i)));
      break;
    case kUInt32:
      for (std::size_t i = 0; i < n; ++i) a.data<std::uint32_t>()[i] = static_cast<std::uint32_t>(field.Get(static_cast<int>(i)));
      break;
    default:
      for (std::size_t i = 0; i < n; ++i) a.data<Src>()[i] = static_cast<Src>(field.Get(static_cast<int>(i)));
  }
}

Result<Array> fromBytes(const onnx::TensorProto& proto, std::string_view bytes, std::vector<std::int64_t> dims) {
  Array a = Array::uninitialized(proto.data_type(), std::move(dims));
  if (isSubByteType(a.dtype())) {
    // Packed in the file, one byte per element in the array.
    std::uint64_t need = packedByteCount(a.dtype(), static_cast<std::uint64_t>(a.size())).value_or(0);
    if (bytes.size() != need)
      return Status(ErrorCode::Corrupt, "tensor '" + proto.name() + "' holds " + std::to_string(bytes.size()) + " bytes but " +
                                            formatArrayType(a) + " needs " + std::to_string(need) + " (packed " +
                                            std::to_string(8 / elementTypeInfo(a.dtype()).bits) + " to a byte)");
    unpackSubByte(a.dtype(), reinterpret_cast<const std::uint8_t*>(bytes.data()), static_cast<std::uint64_t>(a.size()),
                  a.data<std::uint8_t>());
    return a;
  }
  if (bytes.size() != a.bytes())
    return Status(ErrorCode::Corrupt, "tensor '" + proto.name() + "' holds " + std::to_string(bytes.size()) +
                                          " bytes but " + formatArrayType(a) + " needs " + std::to_string(a.bytes()));
  if (a.bytes()) std::memcpy(a.raw(), bytes.data(), a.bytes());
  return a;
}

}  // namespace

Result<Array> arrayFromProto(const onnx::TensorProto& proto, const std::string& baseDir) {
  std::vector<std::int64_t> dims(proto.dims().begin(), proto.dims().end());
  for (auto d : dims)
    if (d < 0) return Status(ErrorCode::Corrupt, "tensor '" + proto.name() + "' has a negative dimension");
  std::int32_t dt = proto.data_type();
  if (dt == 0 || (dt != kString && elementSizeOf(dt) == 0))
    return Status(ErrorCode::Unsupported, "tensor '" + proto.name() + "' has element type " + dtypeName(dt) +
                                              ", which the evaluator does not support");
  if (proto.data_location() == onnx::TensorProto_DataLocation_EXTERNAL) {
    std::string location;
    std::uint64_t offset = 0, length = 0;
    bool hasLength = false;
    for (const auto& kv : proto.external_data()) {
      if (kv.key() == "location") location = kv.value();
      if (kv.key() != "offset" && kv.key() != "length") continue;
      // A model's text, not a number we wrote: parsed without exceptions or locale.
      std::uint64_t v = 0;
      const std::string& text = kv.value();
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size())
        return Status(ErrorCode::Corrupt, "tensor '" + proto.name() + "': external data " + kv.key() + " '" +
                                              text.substr(0, 40) + "' is not a number");
      if (kv.key() == "offset") {
        offset = v;
      } else {
        length = v;
        hasLength = true;
      }
    }
    if (baseDir.empty())
      return Status(ErrorCode::Unsafe, "tensor '" + proto.name() + "' has external data but no model folder is known");
    auto path = resolveExternalLocation(baseDir, location, proto.name());
    if (!path) return path.status();
    auto file = MappedFile::open(path.value());
    if (!file) return file.status();
    auto all = file.value()->bytes();
    if (offset > all.size()) return Status(ErrorCode::Corrupt, "tensor '" + proto.name() + "': offset past the end of " + location);
    auto slice = all.substr(offset, hasLength ? length : std::string_view::npos);
    return fromBytes(proto, slice, std::move(dims));
  }
  if (proto.has_raw_data()) return fromBytes(proto, proto.raw_data(), std::move(dims));

  if (isSubByteType(dt)) {
    // int32_data holds one packed byte per entry (several elements each).
    std::string packed;
    packed.reserve(static_cast<std::size_t>(proto.int32_data_size()));
    for (auto v : proto.int32_data()) packed.push_back(static_cast<char>(v & 0xff));
    return fromBytes(proto, packed, std::move(dims));
  }
  Array a = Array::uninitialized(dt, dims);
  auto n = a.size();
  auto check = [&](int have) -> Status {
    if (have != n)
      return Status(ErrorCode::Corrupt, "tensor '" + proto.name() + "' holds " + std::to_string(have) + " values but " +
                                            formatArrayType(a) + " needs " + std::to_string(n));
    return Status::ok();
  };
  switch (dt) {
    case kFloat:
      if (auto s = check(proto.float_data_size()); !s) return s;
      copyField<float>(a, proto.float_data());
      break;
    case kDouble:
      if (auto s = check(proto.double_data_size()); !s) return s;
      copyField<double>(a, proto.double_data());
      break;
    case kInt64:
      if (auto s = check(proto.int64_data_size()); !s) return s;
      copyField<std::int64_t>(a, proto.int64_data());
      break;
    case kUInt32:
    case kUInt64:
      if (auto s = check(proto.uint64_data_size()); !s) return s;
      copyField<std::uint64_t>(a, proto.uint64_data());
      break;
    case kString:
      if (auto s = check(proto.string_data_size()); !s) return s;
      for (int i = 0; i < n; ++i) a.strings()[static_cast<std::size_t>(i)] = proto.string_data(i);
      break;
    default:
      if (auto s = check(proto.int32_data_size()); !s) return s;
      copyField<std::int32_t>(a, proto.int32_data());
  }
  return a;
}

Result<Array> arrayFromTensor(const Tensor& tensor) {
  if (tensor.isExternal()) {
    std::vector<std::int64_t> dims = tensor.dims();
    return fromBytes(tensor.proto(), tensor.rawBytes(), std::move(dims));
  }
  return arrayFromProto(tensor.proto());
}

Result<Array> arrayViewOfTensor(const Tensor& tensor) {
  const onnx::TensorProto& proto = tensor.proto();
  std::int32_t dt = proto.data_type();
  bool raw = tensor.isExternal() || proto.has_raw_data();
  std::size_t elem = dt == kString ? 0 : elementSizeOf(dt);
  if (!raw || elem == 0 || isSubByteType(dt)) return arrayFromTensor(tensor);  // sub-byte: unpacked copy
  std::vector<std::int64_t> dims = tensor.isExternal() ? tensor.dims() : std::vector<std::int64_t>(proto.dims().begin(), proto.dims().end());
  for (auto d : dims)
    if (d < 0) return arrayFromTensor(tensor);  // its error message
  std::string_view bytes = tensor.isExternal() ? tensor.rawBytes() : std::string_view(proto.raw_data());
  // Kernels read elements through typed pointers, so the bytes must be aligned for the type
  // (external data at an odd offset is copied instead); sizes that do not fit get the copy's error.
  std::size_t align = std::min<std::size_t>(elem, alignof(std::max_align_t));
  if (bytes.empty() || reinterpret_cast<std::uintptr_t>(bytes.data()) % align != 0 ||
      bytes.size() != static_cast<std::size_t>(shapeSize(dims)) * elem)
    return arrayFromTensor(tensor);
  return Array::borrowed(dt, std::move(dims), bytes.data());
}

onnx::TensorProto arrayToProto(const Array& array, const std::string& name) {
  onnx::TensorProto p;
  p.set_name(name);
  p.set_data_type(array.dtype());
  for (auto d : array.shape()) p.add_dims(d);
  if (array.dtype() == kString) {
    for (const auto& s : array.strings()) p.add_string_data(s);
  } else if (isSubByteType(array.dtype())) {
    std::string packed(packedByteCount(array.dtype(), static_cast<std::uint64_t>(array.size())).value_or(0), '\0');
    packSubByte(array.dtype(), array.data<std::uint8_t>(), static_cast<std::uint64_t>(array.size()),
                reinterpret_cast<std::uint8_t*>(packed.data()));
    p.set_raw_data(std::move(packed));
  } else {
    p.set_raw_data(std::string(static_cast<const char*>(array.raw()), array.bytes()));
  }
  return p;
}

// ------------------------------------------------------------------ cast

namespace {

template <typename D>
D fromDouble(double v) {
  if constexpr (std::is_same_v<D, bool>) {
    return v != 0;
  } else if constexpr (std::is_integral_v<D>) {
    if (std::isnan(v)) return 0;
    // Out-of-range float->int is UB in C++; wrap through int64 like numpy does in practice.
    if (v >= 9.2e18 || v <= -9.2e18) return static_cast<D>(static_cast<std::int64_t>(v < 0 ? INT64_MIN : INT64_MAX));
    return static_cast<D>(static_cast<std::int64_t>(v));
  } else {
    return static_cast<D>(v);
  }
}

template <typename S, typename D>
void castLoop(const S* s, D* d, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>)
      d[i] = fromDouble<D>(static_cast<double>(s[i]));
    else if constexpr (std::is_same_v<D, bool>)
      d[i] = s[i] != S(0);
    else
      d[i] = static_cast<D>(s[i]);
  }
}

// One value into a 4- or 2-bit integer: modulo 2^bits (Cast-25 on, as C++ does for the
// wider integers) or, before, rounded to nearest even and clamped (onnx's reference).
template <typename S>
std::uint8_t toSubByteInt(S v, std::int32_t dtype, const CastOptions& options) {
  IntegerRange r = integerRange(dtype);
  int bits = elementTypeInfo(dtype).bits;
  std::int64_t i;
  if constexpr (std::is_floating_point_v<S>) {
    if (std::isnan(v)) return 0;
    if (!options.wrapNarrowIntegers) {
      double c = std::clamp(static_cast<double>(v), static_cast<double>(r.lo), static_cast<double>(r.hi));
      return static_cast<std::uint8_t>(static_cast<std::int64_t>(std::nearbyint(c)));
    }
    i = fromDouble<std::int64_t>(static_cast<double>(v));
  } else {
    if constexpr (std::is_unsigned_v<S>) {
      if (!options.wrapNarrowIntegers && static_cast<std::uint64_t>(v) > r.hi) return static_cast<std::uint8_t>(r.hi);
    }
    i = static_cast<std::int64_t>(v);
  }
  if (!options.wrapNarrowIntegers)
    return static_cast<std::uint8_t>(std::clamp<std::int64_t>(i, r.lo, static_cast<std::int64_t>(r.hi)));
  auto m = static_cast<std::uint64_t>(i) & ((1u << bits) - 1);
  if (r.lo < 0 && (m >> (bits - 1))) return static_cast<std::uint8_t>(static_cast<std::int8_t>(static_cast<std::int64_t>(m) - (1 << bits)));
  return static_cast<std::uint8_t>(m);
}

template <typename S>
Status castFrom(const S* s, Array& out, std::int64_t n, const CastOptions& options) {
  switch (out.dtype()) {
    case kFloat: castLoop(s, out.data<float>(), n); break;
    case kDouble: castLoop(s, out.data<double>(), n); break;
    case kInt8: castLoop(s, out.data<std::int8_t>(), n); break;
    case kUInt8: castLoop(s, out.data<std::uint8_t>(), n); break;
    case kInt16: castLoop(s, out.data<std::int16_t>(), n); break;
    case kUInt16: castLoop(s, out.data<std::uint16_t>(), n); break;
    case kInt32: castLoop(s, out.data<std::int32_t>(), n); break;
    case kUInt32: castLoop(s, out.data<std::uint32_t>(), n); break;
    case kInt64: castLoop(s, out.data<std::int64_t>(), n); break;
    case kUInt64: castLoop(s, out.data<std::uint64_t>(), n); break;
    case kBool: castLoop(s, out.data<bool>(), n); break;
    case kFloat16: {
      auto* d = out.data<std::uint16_t>();
      for (std::int64_t i = 0; i < n; ++i) d[i] = floatToHalf(static_cast<float>(s[i]));
      break;
    }
    case kBFloat16: {
      auto* d = out.data<std::uint16_t>();
      for (std::int64_t i = 0; i < n; ++i) d[i] = floatToBfloat16(static_cast<float>(s[i]));
      break;
    }
    case kInt4: case kUInt4: case kInt2: case kUInt2: {
      auto* d = out.data<std::uint8_t>();
      for (std::int64_t i = 0; i < n; ++i) d[i] = toSubByteInt(s[i], out.dtype(), options);
      break;
    }
    default: {
      if (!isNarrowFloat(out.dtype()) || out.elementSize() != 1)
        return Status(ErrorCode::Unsupported, std::string("cannot cast to ") + dtypeName(out.dtype()));
      auto* d = out.data<std::uint8_t>();
      bool fp4NanNegZero = out.dtype() == kFloat4E2M1 && options.wrapNarrowIntegers;
      for (std::int64_t i = 0; i < n; ++i) {
        auto f = static_cast<float>(s[i]);
        // float4 has no NaN: Cast-25 on gives -0 (numpy's ml_dtypes), earlier versions +6.
        if (fp4NanNegZero && std::isnan(f)) d[i] = 0x8;
        else d[i] = static_cast<std::uint8_t>(floatToNarrowFloat(out.dtype(), f, options.saturate, options.e8m0Rounding));
      }
    }
  }
  return Status::ok();
}

// strtod's reading of a string (leading spaces, a number, anything after it ignored, 0 when
// there is none) with '.' as the decimal point whatever the C locale says.
double parseLeadingNumber(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  if (i < s.size() && s[i] == '+') ++i;
  double v = 0;
  auto r = std::from_chars(s.data() + i, s.data() + s.size(), v);
  return r.ec == std::errc() ? v : 0.0;
}

std::string formatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "INF" : "-INF";
  std::ostringstream os;
  os.precision(9);
  os << v;
  return os.str();
}

}  // namespace

Result<Array> castArray(const Array& a, std::int32_t dtype, const CastOptions& options) {
  if (a.dtype() == dtype) return a;
  if (dtype != kString && elementSizeOf(dtype) == 0)
    return Status(ErrorCode::Unsupported, std::string("cannot cast to ") + dtypeName(dtype));
  Array out = Array::uninitialized(dtype, a.shape());
  std::int64_t n = a.size();
  if (a.dtype() == kString) {
    if (dtype == kString) return a;
    // Strings parse as numbers (ONNX Cast from string).
    std::vector<double> vals(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      const std::string& s = a.strings()[static_cast<std::size_t>(i)];
      std::string lower = s;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      if (lower == "nan")
        vals[static_cast<std::size_t>(i)] = std::numeric_limits<double>::quiet_NaN();
      else if (lower == "inf" || lower == "+inf" || lower == "infinity")
        vals[static_cast<std::size_t>(i)] = std::numeric_limits<double>::infinity();
      else if (lower == "-inf" || lower == "-infinity")
        vals[static_cast<std::size_t>(i)] = -std::numeric_limits<double>::infinity();
      else
        vals[static_cast<std::size_t>(i)] = parseLeadingNumber(s);
    }
    if (dtype == kFloat) {
      for (std::int64_t i = 0; i < n; ++i) out.data<float>()[i] = static_cast<float>(vals[static_cast<std::size_t>(i)]);
      return out;
    }
    auto s = castFrom(vals.data(), out, n, options);
    if (!s) return s;
    return out;
  }
  if (dtype == kString && (a.dtype() == kFloat || a.dtype() == kDouble)) {
    // Shortest text that reads back to the same value, as numpy prints it.
    char buf[64];
    for (std::int64_t i = 0; i < n; ++i) {
      double v = a.dtype() == kFloat ? a.data<float>()[i] : a.data<double>()[i];
      std::string s;
      if (std::isnan(v)) s = "NaN";
      else if (std::isinf(v)) s = v > 0 ? "INF" : "-INF";
      else {
        auto r = a.dtype() == kFloat ? std::to_chars(buf, buf + sizeof buf, a.data<float>()[i]) : std::to_chars(buf, buf + sizeof buf, v);
        s.assign(buf, r.ptr);
      }
      out.strings()[static_cast<std::size_t>(i)] = s;
    }
    return out;
  }
  if (dtype == kString) {
    auto d = arrayToDoubles(a);
    if (!d) return d.status();
    for (std::int64_t i = 0; i < n; ++i) out.strings()[static_cast<std::size_t>(i)] = formatNumber(d.value()[static_cast<std::size_t>(i)]);
    return out;
  }
  Status s;
  switch (a.dtype()) {
    case kFloat: s = castFrom(a.data<float>(), out, n, options); break;
    case kDouble: s = castFrom(a.data<double>(), out, n, options); break;
    case kInt8: case kInt4: case kInt2: s = castFrom(a.data<std::int8_t>(), out, n, options); break;
    case kUInt8: case kUInt4: case kUInt2: s = castFrom(a.data<std::uint8_t>(), out, n, options); break;
    case kInt16: s = castFrom(a.data<std::int16_t>(), out, n, options); break;
    case kUInt16: s = castFrom(a.data<std::uint16_t>(), out, n, options); break;
    case kInt32: s = castFrom(a.data<std::int32_t>(), out, n, options); break;
    case kUInt32: s = castFrom(a.data<std::uint32_t>(), out, n, options); break;
    case kInt64: s = castFrom(a.data<std::int64_t>(), out, n, options); break;
    case kUInt64: s = castFrom(a.data<std::uint64_t>(), out, n, options); break;
    case kBool: s = castFrom(a.data<bool>(), out, n, options); break;
    default: {
      if (!isNarrowFloat(a.dtype()))
        return Status(ErrorCode::Unsupported, std::string("cannot cast from ") + dtypeName(a.dtype()));
      // Every narrow float value is a float32: decode, then convert as from float.
      std::vector<float> f(static_cast<std::size_t>(n));
      if (a.elementSize() == 2) {
        const auto* h = a.data<std::uint16_t>();
        bool half = a.dtype() == kFloat16;
        for (std::int64_t i = 0; i < n; ++i) f[static_cast<std::size_t>(i)] = half ? halfToFloat(h[i]) : bfloat16ToFloat(h[i]);
      } else {
        // A table per type: arrays of float8 are mostly large weights.
        float table[256];
        for (unsigned c = 0; c < 256; ++c) table[c] = narrowFloatToFloat(a.dtype(), c);
        const auto* b = a.data<std::uint8_t>();
        for (std::int64_t i = 0; i < n; ++i) f[static_cast<std::size_t>(i)] = table[b[i]];
      }
      s = castFrom(f.data(), out, n, options);
      break;
    }
  }
  if (!s) return s;
  return out;
}

Result<std::vector<double>> arrayToDoubles(const Array& a) {
  if (a.dtype() == kString) return Status(ErrorCode::Unsupported, "string tensors have no numeric values");
  auto d = castArray(a, kDouble);
  if (!d) return d.status();
  const double* p = d.value().data<double>();
  return std::vector<double>(p, p + a.size());
}

ArrayStats arrayStats(const Array& a) {
  ArrayStats st;
  auto d = arrayToDoubles(a);
  if (!d || d.value().empty()) return st;
  double sum = 0, sq = 0;
  std::int64_t finite = 0;
  st.min = std::numeric_limits<double>::infinity();
  st.max = -std::numeric_limits<double>::infinity();
  for (double v : d.value()) {
    if (std::isnan(v)) {
      ++st.nanCount;
      continue;
    }
    if (std::isinf(v)) ++st.infCount;
    st.min = std::min(st.min, v);
    st.max = std::max(st.max, v);
    if (std::isfinite(v)) {
      sum += v;
      sq += v * v;
      ++finite;
    }
  }
  if (finite) {
    st.mean = sum / static_cast<double>(finite);
    st.std = std::sqrt(std::max(0.0, sq / static_cast<double>(finite) - st.mean * st.mean));
  }
  if (st.min > st.max) st.min = st.max = 0;
  return st;
}

// ------------------------------------------------------------------ files

namespace {

Result<std::string> readWholeFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status(ErrorCode::NotFound, "cannot open '" + path + "'");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct NpyType {
  const char* descr;
  std::int32_t dtype;
};
constexpr NpyType kNpyTypes[] = {
    {"<f4", kFloat},   {"<f8", kDouble},  {"<f2", kFloat16}, {"|b1", kBool},   {"|u1", kUInt8},
    {"|i1", kInt8},    {"<i2", kInt16},   {"<u2", kUInt16},  {"<i4", kInt32},  {"<u4", kUInt32},
    {"<i8", kInt64},   {"<u8", kUInt64},  {"<b1", kBool},    {"<u1", kUInt8},  {"<i1", kInt8},
    {"|f4", kFloat},   {"|i8", kInt64},
};

}  // namespace

Result<Array> readNpy(const std::string& path) {
  auto bytes = readWholeFile(path);
  if (!bytes) return bytes.status();
  const std::string& b = bytes.value();
  auto bad = [&](const std::string& why) { return Status(ErrorCode::Corrupt, "'" + path + "' is not a valid .npy file: " + why); };
  if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0) return bad("missing the \\x93NUMPY magic");
  int major = static_cast<unsigned char>(b[6]);
  std::size_t headerLen, start;
  if (major == 1) {
    headerLen = static_cast<unsigned char>(b[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(b[9])) << 8);
    start = 10;
  } else {
    if (b.size() < 12) return bad("truncated header");
    headerLen = 0;
    for (int i = 0; i < 4; ++i) headerLen |= static_cast<std::size_t>(static_cast<unsigned char>(b[8 + i])) << (8 * i);
    start = 12;
  }
  if (start + headerLen > b.size()) return bad("truncated header");
  std::string header = b.substr(start, headerLen);
  auto field = [&](const std::string& key) -> std::string {
    auto k = header.find("'" + key + "'");
    if (k == std::string::npos) return {};
    auto colon = header.find(':', k);
    if (colon == std::string::npos) return {};
    auto v = header.find_first_not_of(' ', colon + 1);
    return header.substr(v);
  };
  std::string descr = field("descr");
  if (descr.size() < 5 || descr[0] != '\'') return bad("no 'descr'");
  descr = descr.substr(1, descr.find('\'', 1) - 1);
  std::int32_t dtype = 0;
  for (const auto& t : kNpyTypes)
    if (descr == t.descr) dtype = t.dtype;
  if (!dtype) return Status(ErrorCode::Unsupported, "'" + path + "': numpy type '" + descr + "' is not supported (use a little-endian number type)");
  if (field("fortran_order").rfind("True", 0) == 0)
    return Status(ErrorCode::Unsupported, "'" + path + "' is stored in Fortran order; save it with np.ascontiguousarray");
  std::string shapeStr = field("shape");
  if (shapeStr.empty() || shapeStr[0] != '(') return bad("no 'shape'");
  shapeStr = shapeStr.substr(1, shapeStr.find(')') - 1);
  std::vector<std::int64_t> shape;
  std::stringstream ss(shapeStr);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto p = item.find_first_not_of(' ');
    if (p == std::string::npos) continue;
    shape.push_back(std::stoll(item.substr(p)));
  }
  Array a = Array::uninitialized(dtype, shape);
  std::size_t dataStart = start + headerLen;
  if (b.size() - dataStart < a.bytes())
    return bad("holds " + std::to_string(b.size() - dataStart) + " data bytes but " + formatArrayType(a) + " needs " + std::to_string(a.bytes()));
  if (a.bytes()) std::memcpy(a.raw(), b.data() + dataStart, a.bytes());
  return a;
}

Array numpyCompatible(const Array& a) {
  std::int32_t carrier = subByteCarrier(a.dtype());
  if (carrier) return a.relabeled(carrier);
  if (elementTypeInfo(a.dtype()).numpyLacks && isNarrowFloat(a.dtype())) {
    auto f = castArray(a, kFloat);
    if (f) return f.value();
  }
  return a;
}

Status writeNpy(const std::string& path, const Array& array) {
  Array a = numpyCompatible(array);
  const char* descr = nullptr;
  for (const auto& t : kNpyTypes)
    if (t.dtype == a.dtype()) {
      descr = t.descr;
      break;
    }
  if (!descr) return Status(ErrorCode::Unsupported, std::string("cannot write ") + dtypeName(a.dtype()) + " to .npy");
  // numpy writes "(3,)" for rank 1 and "(2, 3)" otherwise.
  std::string shape = "(";
  for (std::size_t i = 0; i < a.rank(); ++i) {
    if (i) shape += ", ";
    shape += std::to_string(a.dim(i));
  }
  if (a.rank() == 1) shape += ",";
  shape += ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return Status(ErrorCode::Io, "cannot write '" + path + "'");
  f.write(out.data(), static_cast<std::streamsize>(out.size()));
  f.write(static_cast<const char*>(a.raw()), static_cast<std::streamsize>(a.bytes()));
  if (!f) return Status(ErrorCode::Io, "writing '" + path + "' failed (disk full?)");
  return Status::ok();
}

Result<Array> readTensorProtoFile(const std::string& path) {
  auto bytes = readWholeFile(path);
  if (!bytes) return bytes.status();
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes.value()))
    return Status(ErrorCode::Corrupt, "'" + path + "' is not a serialized onnx TensorProto");
  std::string dir = std::filesystem::path(path).parent_path().string();
  return arrayFromProto(proto, dir);
}

namespace {

Result<Array> fromSequenceProto(const onnx::SequenceProto& p, const onnx::TypeProto& elemType, const std::string& dir);

Result<Array> fromOptionalProto(const onnx::OptionalProto& p, const onnx::TypeProto& type, const std::string& dir) {
  const onnx::TypeProto& inner = type.optional_type().elem_type();
  if (p.has_tensor_value()) {
    auto a = arrayFromProto(p.tensor_value(), dir);
    if (!a) return a.status();
    return Array::optional(a.value().dtype(), a.value());
  }
  if (p.has_sequence_value()) {
    auto s = fromSequenceProto(p.sequence_value(), inner.sequence_type().elem_type(), dir);
    if (!s) return s.status();
    return Array::optional(s.value().dtype(), s.value());
  }
  std::int32_t dt = inner.has_tensor_type() ? inner.tensor_type().elem_type()
                    : inner.has_sequence_type() && inner.sequence_type().elem_type().has_tensor_type()
                        ? inner.sequence_type().elem_type().tensor_type().elem_type()
                        : 0;
  return Array::optional(dt, std::nullopt);
}

Result<Array> fromSequenceProto(const onnx::SequenceProto& p, const onnx::TypeProto& elemType, const std::string& dir) {
  std::vector<Array> items;
  for (const auto& t : p.tensor_values()) {
    auto a = arrayFromProto(t, dir);
    if (!a) return a.status();
    items.push_back(a.value());
  }
  for (const auto& s : p.sequence_values()) {
    auto a = fromSequenceProto(s, elemType.sequence_type().elem_type(), dir);
    if (!a) return a.status();
    items.push_back(a.value());
  }
  for (const auto& o : p.optional_values()) {
    auto a = fromOptionalProto(o, elemType, dir);
    if (!a) return a.status();
    items.push_back(a.value());
  }
  std::int32_t dt = !items.empty() ? items[0].dtype() : elemType.has_tensor_type() ? elemType.tensor_type().elem_type() : 0;
  return Array::sequence(dt, std::move(items));
}

}  // namespace

Result<Array> readValueProtoFile(const std::string& path, const onnx::TypeProto& type) {
  if (type.has_tensor_type() || type.value_case() == onnx::TypeProto::VALUE_NOT_SET) return readTensorProtoFile(path);
  auto bytes = readWholeFile(path);
  if (!bytes) return bytes.status();
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (type.has_sequence_type()) {
    onnx::SequenceProto p;
    if (!p.ParseFromString(bytes.value())) return Status(ErrorCode::Corrupt, "'" + path + "' is not a serialized onnx SequenceProto");
    return fromSequenceProto(p, type.sequence_type().elem_type(), dir);
  }
  if (type.has_optional_type()) {
    onnx::OptionalProto p;
    if (!p.ParseFromString(bytes.value())) return Status(ErrorCode::Corrupt, "'" + path + "' is not a serialized onnx OptionalProto");
    return fromOptionalProto(p, type, dir);
  }
  return Status(ErrorCode::Unsupported, "'" + path + "': only tensor, sequence and optional values can be read");
}

Result<Array> readArrayFile(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".npy") return readNpy(path);
  if (ext == ".pb") return readTensorProtoFile(path);
  return Status(ErrorCode::InvalidArgument, "'" + path + "': expected a .npy or .pb (TensorProto) file");
}

}  // namespace graft
