// The element type table and the narrow float formats. The float8 and float4 formats are
// described by their field widths and special encodings, so one encoder and one decoder serve
// them all (and agree with each other by construction: tests round-trip every code).
#include "graft/dtype.h"

#include <array>
#include <cmath>
#include <cstring>
#include <limits>

namespace graft {

namespace {

using namespace dtype;

constexpr ElementTypeInfo kTable[] = {
    {kUndefined, "undefined", 0, ElementKind::Unknown, false, false},
    {kFloat, "float32", 32, ElementKind::Float, false, false},
    {kUInt8, "uint8", 8, ElementKind::UnsignedInt, false, false},
    {kInt8, "int8", 8, ElementKind::SignedInt, false, false},
    {kUInt16, "uint16", 16, ElementKind::UnsignedInt, false, false},
    {kInt16, "int16", 16, ElementKind::SignedInt, false, false},
    {kInt32, "int32", 32, ElementKind::SignedInt, false, false},
    {kInt64, "int64", 64, ElementKind::SignedInt, false, false},
    {kString, "string", 0, ElementKind::String, false, false},
    {kBool, "bool", 8, ElementKind::Bool, false, false},
    {kFloat16, "float16", 16, ElementKind::Float, true, false},
    {kDouble, "float64", 64, ElementKind::Float, false, false},
    {kUInt32, "uint32", 32, ElementKind::UnsignedInt, false, false},
    {kUInt64, "uint64", 64, ElementKind::UnsignedInt, false, false},
    {kComplex64, "complex64", 64, ElementKind::Complex, false, false},
    {kComplex128, "complex128", 128, ElementKind::Complex, false, false},
    {kBFloat16, "bfloat16", 16, ElementKind::Float, true, true},
    {kFloat8E4M3FN, "float8e4m3fn", 8, ElementKind::Float, true, true},
    {kFloat8E4M3FNUZ, "float8e4m3fnuz", 8, ElementKind::Float, true, true},
    {kFloat8E5M2, "float8e5m2", 8, ElementKind::Float, true, true},
    {kFloat8E5M2FNUZ, "float8e5m2fnuz", 8, ElementKind::Float, true, true},
    {kUInt4, "uint4", 4, ElementKind::UnsignedInt, false, true},
    {kInt4, "int4", 4, ElementKind::SignedInt, false, true},
    {kFloat4E2M1, "float4e2m1", 4, ElementKind::Float, true, true},
    {kFloat8E8M0, "float8e8m0", 8, ElementKind::Float, true, true},
    {kUInt2, "uint2", 2, ElementKind::UnsignedInt, false, true},
    {kInt2, "int2", 2, ElementKind::SignedInt, false, true},
};
static_assert(std::size(kTable) == kLastKnown + 1);

// A float format with a sign bit, `expBits` exponent and `mantBits` mantissa bits.
struct MiniFloat {
  int expBits, mantBits, bias;
  enum Special { FiniteNanAllOnes, Ieee, NanIsNegZero, NoSpecials } special;
  // FiniteNanAllOnes (e4m3fn): S.1111.111 is NaN, no infinity.
  // Ieee (e5m2): exponent all ones is inf (mantissa 0) or NaN.
  // NanIsNegZero (the "uz" types): 1.0000.000 is the only NaN; no -0, no infinity.
  // NoSpecials (e2m1): every code is a number.
};

const MiniFloat* miniFloat(std::int32_t code) {
  static constexpr MiniFloat e4m3fn{4, 3, 7, MiniFloat::FiniteNanAllOnes};
  static constexpr MiniFloat e4m3fnuz{4, 3, 8, MiniFloat::NanIsNegZero};
  static constexpr MiniFloat e5m2{5, 2, 15, MiniFloat::Ieee};
  static constexpr MiniFloat e5m2fnuz{5, 2, 16, MiniFloat::NanIsNegZero};
  static constexpr MiniFloat e2m1{2, 1, 1, MiniFloat::NoSpecials};
  switch (code) {
    case kFloat8E4M3FN: return &e4m3fn;
    case kFloat8E4M3FNUZ: return &e4m3fnuz;
    case kFloat8E5M2: return &e5m2;
    case kFloat8E5M2FNUZ: return &e5m2fnuz;
    case kFloat4E2M1: return &e2m1;
    default: return nullptr;
  }
}

int totalBits(const MiniFloat& f) { return 1 + f.expBits + f.mantBits; }
std::uint32_t signBit(const MiniFloat& f) { return 1u << (f.expBits + f.mantBits); }

std::uint32_t nanCode(const MiniFloat& f, bool negative) {
  switch (f.special) {
    case MiniFloat::FiniteNanAllOnes: return (negative ? signBit(f) : 0) | (signBit(f) - 1);
    // A quiet NaN: float32's quiet NaN with its low mantissa bits dropped.
    case MiniFloat::Ieee: return (negative ? signBit(f) : 0) | (((1u << f.expBits) - 1) << f.mantBits) | (1u << (f.mantBits - 1));
    case MiniFloat::NanIsNegZero: return signBit(f);
    case MiniFloat::NoSpecials: return signBit(f) - 1;  // no NaN: the largest value, as ONNX does
  }
  return 0;
}

// Code of the largest finite magnitude (no sign).
std::uint32_t maxCode(const MiniFloat& f) {
  switch (f.special) {
    case MiniFloat::FiniteNanAllOnes: return signBit(f) - 2;
    case MiniFloat::Ieee: return ((1u << f.expBits) - 2) << f.mantBits | ((1u << f.mantBits) - 1);
    case MiniFloat::NanIsNegZero:
    case MiniFloat::NoSpecials: return signBit(f) - 1;
  }
  return 0;
}

double decodeMagnitude(const MiniFloat& f, std::uint32_t mag) {
  std::uint32_t e = mag >> f.mantBits, m = mag & ((1u << f.mantBits) - 1);
  if (e == 0) return std::ldexp(static_cast<double>(m), 1 - f.bias - f.mantBits);
  return std::ldexp(1.0 + std::ldexp(static_cast<double>(m), -f.mantBits), static_cast<int>(e) - f.bias);
}

double decodeMini(const MiniFloat& f, std::uint32_t bits) {
  bits &= (1u << totalBits(f)) - 1;
  bool neg = bits & signBit(f);
  std::uint32_t mag = bits & (signBit(f) - 1);
  std::uint32_t expAllOnes = (1u << f.expBits) - 1;
  switch (f.special) {
    case MiniFloat::FiniteNanAllOnes:
      if (mag == signBit(f) - 1) return std::numeric_limits<double>::quiet_NaN();
      break;
    case MiniFloat::Ieee:
      if ((mag >> f.mantBits) == expAllOnes)
        return (mag & ((1u << f.mantBits) - 1)) ? std::numeric_limits<double>::quiet_NaN()
                                                : (neg ? -1.0 : 1.0) * std::numeric_limits<double>::infinity();
      break;
    case MiniFloat::NanIsNegZero:
      if (bits == signBit(f)) return std::numeric_limits<double>::quiet_NaN();
      break;
    case MiniFloat::NoSpecials: break;
  }
  double v = decodeMagnitude(f, mag);
  return neg ? -v : v;
}

std::uint32_t encodeMini(const MiniFloat& f, float value, bool saturate) {
  bool neg = std::signbit(value);
  std::uint32_t sign = neg ? signBit(f) : 0;
  if (std::isnan(value)) return nanCode(f, neg);
  double maxV = decodeMagnitude(f, maxCode(f));
  auto overflow = [&]() -> std::uint32_t {
    if (saturate || f.special == MiniFloat::NoSpecials) return sign | maxCode(f);
    if (f.special == MiniFloat::Ieee) return sign | (((1u << f.expBits) - 1) << f.mantBits);
    return nanCode(f, neg);
  };
  if (std::isinf(value)) return overflow();
  double a = std::fabs(static_cast<double>(value));
  std::uint32_t zero = f.special == MiniFloat::NanIsNegZero ? 0 : sign;
  if (a == 0) return zero;
  // Round to nearest even at the quantum of a's binade (the subnormal quantum below the
  // smallest normal); a / quantum is exact in double, nearbyint rounds half to even.
  int e;
  std::frexp(a, &e);
  int exponent = std::max(e - 1, 1 - f.bias);
  double quantum = std::ldexp(1.0, exponent - f.mantBits);
  double r = std::nearbyint(a / quantum) * quantum;
  if (r > maxV) return overflow();
  if (r == 0) return zero;
  std::frexp(r, &e);
  int re = e - 1;
  std::uint32_t mag;
  if (re < 1 - f.bias) {
    mag = static_cast<std::uint32_t>(r / std::ldexp(1.0, 1 - f.bias - f.mantBits));
  } else {
    auto m = static_cast<std::uint32_t>((r / std::ldexp(1.0, re) - 1.0) * (1u << f.mantBits));
    mag = static_cast<std::uint32_t>(re + f.bias) << f.mantBits | m;
  }
  return sign | mag;
}

float halfBitsToFloat(std::uint32_t h) {
  std::uint32_t sign = (h & 0x8000u) << 16;
  std::uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0) {
    v = std::ldexp(static_cast<float>(mant), -24);
    if (sign) v = -v;
    return v;
  }
  std::uint32_t bits = exp == 31 ? (sign | 0x7f800000u | (mant << 13)) : (sign | ((exp + 112) << 23) | (mant << 13));
  std::memcpy(&v, &bits, 4);
  return v;
}

std::uint32_t floatToHalfBits(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  std::uint32_t sign = (x >> 16) & 0x8000;
  std::uint32_t absx = x & 0x7fffffff;
  if (absx >= 0x7f800000) return sign | 0x7c00 | (absx > 0x7f800000 ? 0x200 : 0);
  if (absx >= 0x477ff000) return sign | 0x7c00;
  if (absx < 0x38800000) {
    float af;
    std::memcpy(&af, &absx, 4);
    return sign | static_cast<std::uint32_t>(std::nearbyint(af * 16777216.0f));
  }
  std::uint32_t h = ((absx >> 23) - 112) << 10 | ((absx & 0x7fffff) >> 13);
  std::uint32_t rest = absx & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;
  return sign | h;
}

std::uint32_t encodeE8M0(float value, bool saturate, E8M0Rounding rounding) {
  if (std::isnan(value)) return 0xff;
  if (std::isinf(value)) return saturate ? 0xfe : 0xff;
  std::uint32_t bits;
  std::memcpy(&bits, &value, 4);
  std::uint32_t e = (bits >> 23) & 0xff, m = bits & 0x7fffff;
  // Only the magnitude counts (the format has no sign). A float32 with exponent field e is
  // 2^(e-127) * 1.m, so e itself is the code rounded down; the mantissa decides up-rounding.
  bool up = false;
  switch (rounding) {
    case E8M0Rounding::Up: up = m != 0; break;
    case E8M0Rounding::Down: up = false; break;
    case E8M0Rounding::Nearest: up = m >= 0x400000; break;
  }
  std::uint32_t code = e + (up ? 1 : 0);
  if (code >= 0xff) return saturate ? 0xfe : 0xff;
  return code;
}

}  // namespace

const ElementTypeInfo& elementTypeInfo(std::int32_t code) {
  if (code < 0 || code > kLastKnown) return kTable[0];
  return kTable[code];
}

std::optional<std::int32_t> elementTypeFromName(std::string_view name) {
  for (const auto& t : kTable)
    if (t.code != kUndefined && name == t.name) return t.code;
  return std::nullopt;
}

std::optional<std::uint64_t> packedByteCount(std::int32_t code, std::uint64_t count) {
  int bits = elementTypeInfo(code).bits;
  if (bits == 0) return std::nullopt;
  if (bits < 8) {
    std::uint64_t perByte = 8u / static_cast<unsigned>(bits);
    return count / perByte + (count % perByte ? 1 : 0);
  }
  std::uint64_t bytes = static_cast<std::uint64_t>(bits / 8);
  if (count > std::numeric_limits<std::uint64_t>::max() / bytes) return std::numeric_limits<std::uint64_t>::max();
  return count * bytes;
}

void unpackSubByte(std::int32_t code, const std::uint8_t* packed, std::uint64_t count, std::uint8_t* out) {
  const ElementTypeInfo& t = elementTypeInfo(code);
  unsigned bits = static_cast<unsigned>(t.bits), perByte = 8 / bits, mask = (1u << bits) - 1;
  bool sign = t.kind == ElementKind::SignedInt;
  for (std::uint64_t i = 0; i < count; ++i) {
    unsigned v = (packed[i / perByte] >> ((i % perByte) * bits)) & mask;
    if (sign && (v & (1u << (bits - 1)))) v |= ~mask;  // sign-extend into the byte
    out[i] = static_cast<std::uint8_t>(v);
  }
}

void packSubByte(std::int32_t code, const std::uint8_t* unpacked, std::uint64_t count, std::uint8_t* packed) {
  const ElementTypeInfo& t = elementTypeInfo(code);
  unsigned bits = static_cast<unsigned>(t.bits), perByte = 8 / bits, mask = (1u << bits) - 1;
  std::uint64_t bytes = count / perByte + (count % perByte ? 1 : 0);
  std::memset(packed, 0, bytes);
  for (std::uint64_t i = 0; i < count; ++i)
    packed[i / perByte] = static_cast<std::uint8_t>(packed[i / perByte] | ((unpacked[i] & mask) << ((i % perByte) * bits)));
}

float narrowFloatToFloat(std::int32_t code, std::uint32_t bits) {
  switch (code) {
    case kFloat16: return halfBitsToFloat(bits & 0xffff);
    case kBFloat16: {
      std::uint32_t b = (bits & 0xffff) << 16;
      float v;
      std::memcpy(&v, &b, 4);
      return v;
    }
    case kFloat8E8M0:
      if ((bits & 0xff) == 0xff) return std::numeric_limits<float>::quiet_NaN();
      return std::ldexp(1.0f, static_cast<int>(bits & 0xff) - 127);
    default:
      if (const MiniFloat* f = miniFloat(code)) return static_cast<float>(decodeMini(*f, bits));
      return std::numeric_limits<float>::quiet_NaN();
  }
}

std::uint32_t floatToNarrowFloat(std::int32_t code, float value, bool saturate, E8M0Rounding rounding) {
  switch (code) {
    case kFloat16: return floatToHalfBits(value);
    case kBFloat16: {
      std::uint32_t x;
      std::memcpy(&x, &value, 4);
      if ((x & 0x7fffffff) > 0x7f800000) return (x >> 16) | 0x40;
      return (x + 0x7fff + ((x >> 16) & 1)) >> 16;
    }
    case kFloat8E8M0: return encodeE8M0(value, saturate, rounding);
    default:
      if (const MiniFloat* f = miniFloat(code)) return encodeMini(*f, value, saturate);
      return 0;
  }
}

double largestFinite(std::int32_t code) {
  switch (code) {
    case kFloat: return std::numeric_limits<float>::max();
    case kDouble: return std::numeric_limits<double>::max();
    case kFloat16: return 65504.0;
    case kBFloat16: return narrowFloatToFloat(kBFloat16, 0x7f7f);
    case kFloat8E8M0: return std::ldexp(1.0, 127);
    default:
      if (const MiniFloat* f = miniFloat(code)) return decodeMagnitude(*f, maxCode(*f));
      return 0;
  }
}

IntegerRange integerRange(std::int32_t code) {
  switch (code) {
    case kUInt2: return {0, 3};
    case kInt2: return {-2, 1};
    case kUInt4: return {0, 15};
    case kInt4: return {-8, 7};
    case kUInt8: return {0, 255};
    case kInt8: return {-128, 127};
    case kUInt16: return {0, 65535};
    case kInt16: return {-32768, 32767};
    case kUInt32: return {0, 4294967295u};
    case kInt32: return {std::numeric_limits<std::int32_t>::min(), 2147483647u};
    case kUInt64: return {0, std::numeric_limits<std::uint64_t>::max()};
    case kInt64: return {std::numeric_limits<std::int64_t>::min(), static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())};
    case kBool: return {0, 1};
    default: return {};
  }
}

}  // namespace graft
