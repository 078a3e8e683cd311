// Shared pieces of Graft's schema definitions: type lists, the registration sink, attribute rules
// (allowed values the checker cannot see) and small shape-inference helpers.
#pragma once

#include <onnx/defs/schema.h>
#include <onnx/defs/shape_inference.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace graft::schema::detail {

using Types = std::vector<std::string>;

struct NewType {
  int value;         // TensorProto data_type
  const char* name;  // onnx type string
  int opset;         // first opset whose re-versions accept it
  enum Kind { Float, Integer } kind;
};
const std::vector<NewType>& newElementTypes();
void registerElementTypes();

// "tensor(float)" for "float".
Types tensors(std::initializer_list<const char*> names);
Types join(Types a, const Types& b);
Types floatTypes();    // float16, float, double, bfloat16
Types intTypes();      // int8..int64, uint8..uint64
Types numericTypes();  // intTypes + floatTypes
// Every tensor type of onnx 1.12 (numeric, bool, string, complex), plus the new element types
// of opsets up to `opset`.
Types allTensorTypes(int opset);
// The new element types accepted from `opset` on (e.g. 21: float8 ×4, int4, uint4).
Types newTypesUpTo(int opset);

// Attribute values a schema allows, checked by checkNodeRules (the onnx checker only looks at
// attribute names and types).
struct AttrRule {
  std::string op;
  int since = 0;
  std::string attr;
  std::vector<std::string> strings;            // allowed string values, when not empty
  std::vector<std::int64_t> ints;              // allowed int values, when not empty
  std::optional<std::int64_t> minInt, maxInt;  // allowed int range
  std::string why;                             // appended to the message
};
void addRule(AttrRule rule);
const std::vector<AttrRule>& rules();
void copyRules(const std::string& op, int fromSince, int toSince);

// A string attribute with a default and its allowed values.
void enumAttr(onnx::OpSchema& s, const char* name, const char* description, const char* defaultValue,
              std::vector<std::string> allowed);
// An int attribute with a default and its allowed values.
void intEnumAttr(onnx::OpSchema& s, const char* name, const char* description, std::int64_t defaultValue,
                 std::vector<std::int64_t> allowed);

// Registers a finished schema (domain "", since version set) with the library's registry.
void add(onnx::OpSchema&& schema);
onnx::OpSchema make(const char* name, int since, const std::string& doc);

// A new version of the newest schema of `op` below `since`: same formals, attributes, docs and
// inference, each type constraint that `widen` extends. Returns false when there is no base.
using Widen = std::function<Types(const std::string& param, const Types& allowed)>;
bool derive(const std::string& op, int since, const Widen& widen, const std::string& note,
            const std::function<void(onnx::OpSchema&)>& tweak = {});
// Widening rules of the type-only re-versions.
Types widenWithNewTypes(int opset, const Types& allowed);  // "all types" constraints gain the new types
Types widenWithBfloat16(const Types& allowed);             // float constraints gain bfloat16

// ---- inference helpers
// Integer values of a constant input (initializer or Constant), if known.
std::optional<std::vector<std::int64_t>> constInts(onnx::InferenceContext& ctx, size_t input);
int inputRank(onnx::InferenceContext& ctx, size_t input);  // -1 when unknown
bool hasInput(onnx::InferenceContext& ctx, size_t input);
void setOutputElemType(onnx::InferenceContext& ctx, size_t output, int elemType);
onnx::TensorShapeProto* outputShape(onnx::InferenceContext& ctx, size_t output);
// Elementwise unary: type and shape of input 0.
void sameAsInput0(onnx::InferenceContext& ctx);
// Numpy broadcasting of all present inputs; element type of input 0.
void broadcastInference(onnx::InferenceContext& ctx);

// Pooling output shapes with dilations and ceil_mode (a last window starting in the end padding
// is dropped); used by LpPool-18, AveragePool-19 and the opset-22 pooling re-versions.
onnx::InferenceFunction poolingInference();

// Registration of each group (one per source file).
void registerOpset18(); // axes-as-input, Split/Pad/Resize, Bitwise*, Col2Im, CenterCropPad, GroupNorm, LpPool, Mish, Optional*
void registerQuantCast();  // Cast/CastLike, Q/DQ, QLinearMatMul of 19–25, BitCast-26
void registerNewOps();     // 19–26: DeformConv, AffineGrid, GridSample, DFT, Gelu, ImageDecoder, strings, Attention, …
void registerReversions(); // the type-only re-versions of 19–25 and 22's bfloat16

}  // namespace graft::schema::detail
