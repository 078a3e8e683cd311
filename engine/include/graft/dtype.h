// Element types of ONNX tensors: what each code is called, its width and packing in a
// TensorProto, and the exact conversions of the narrow float formats (ONNX Cast rules).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace graft {

// TensorProto.DataType codes, including those libonnx 1.12 predates (17..26).
namespace dtype {
constexpr std::int32_t kUndefined = 0, kFloat = 1, kUInt8 = 2, kInt8 = 3, kUInt16 = 4, kInt16 = 5, kInt32 = 6,
                       kInt64 = 7, kString = 8, kBool = 9, kFloat16 = 10, kDouble = 11, kUInt32 = 12, kUInt64 = 13,
                       kComplex64 = 14, kComplex128 = 15, kBFloat16 = 16, kFloat8E4M3FN = 17, kFloat8E4M3FNUZ = 18,
                       kFloat8E5M2 = 19, kFloat8E5M2FNUZ = 20, kUInt4 = 21, kInt4 = 22, kFloat4E2M1 = 23,
                       kFloat8E8M0 = 24, kUInt2 = 25, kInt2 = 26;
constexpr std::int32_t kLastKnown = kInt2;
}  // namespace dtype

enum class ElementKind { Unknown, Bool, SignedInt, UnsignedInt, Float, Complex, String };

struct ElementTypeInfo {
  std::int32_t code = 0;
  const char* name = "undefined";  // numpy-like: "float32", "float8e4m3fn", "int4"
  int bits = 0;                    // width of one element as ONNX stores it (0: strings, unknown)
  ElementKind kind = ElementKind::Unknown;
  // A float type narrower than float32 whose elements are bit patterns (float16, bfloat16,
  // the float8s, float4e2m1, float8e8m0): kernels compute them as float32.
  bool narrowFloat = false;
  // Has no numpy dtype (bfloat16, float8, float4, e8m0, 4- and 2-bit integers).
  bool numpyLacks = false;
};

// Unknown codes give the "undefined" entry (code 0).
const ElementTypeInfo& elementTypeInfo(std::int32_t code);
inline const char* elementTypeName(std::int32_t code) { return elementTypeInfo(code).name; }
// The code for a name elementTypeInfo gives ("float8e4m3fn"), or nullopt.
std::optional<std::int32_t> elementTypeFromName(std::string_view name);
// 4- and 2-bit types: several elements share a byte in a TensorProto.
inline bool isSubByteType(std::int32_t code) {
  int b = elementTypeInfo(code).bits;
  return b > 0 && b < 8;
}
// Bytes raw_data holds for `count` elements (sub-byte types packed, the last byte zero-padded);
// nullopt for strings and unknown types, UINT64_MAX when the count overflows.
std::optional<std::uint64_t> packedByteCount(std::int32_t code, std::uint64_t count);

// Sub-byte packing over the flattened tensor, first element in the lowest bits. In memory
// (the evaluator's arrays) every element takes one byte: signed types sign-extended to int8,
// unsigned and float4 codes as uint8.
void unpackSubByte(std::int32_t code, const std::uint8_t* packed, std::uint64_t count, std::uint8_t* out);
void packSubByte(std::int32_t code, const std::uint8_t* unpacked, std::uint64_t count, std::uint8_t* packed);

// Float conversions. `bits` are the element's bit pattern (low bits for 8- and 4-bit types).
// Exact: every value of these formats is a float32.
float narrowFloatToFloat(std::int32_t code, std::uint32_t bits);

// How a float becomes a float8e8m0 (a power of two): Cast's round_mode.
enum class E8M0Rounding { Up, Down, Nearest };

// float32 to a narrow float with ONNX Cast semantics: round to nearest even; NaN stays NaN
// (float4e2m1 has none: +6); with `saturate` values past the largest finite one (and ±inf)
// become ±max, without it NaN for the types lacking infinity and ±inf for float8e5m2. The
// "uz" types have no -0 (it becomes +0). float16 and bfloat16 ignore `saturate` (IEEE rules).
std::uint32_t floatToNarrowFloat(std::int32_t code, float value, bool saturate = true,
                                 E8M0Rounding rounding = E8M0Rounding::Up);

// Largest finite value of a float type (float8 448/240/57344, float4 6, e8m0 2^127, ...); 0 otherwise.
double largestFinite(std::int32_t code);
// Range of an integer type ([-8, 7] for int4); {0, 0} for others.
struct IntegerRange {
  std::int64_t lo = 0;
  std::uint64_t hi = 0;
};
IntegerRange integerRange(std::int32_t code);

}  // namespace graft
