// Inside the evaluator: what a kernel sees (inputs, attributes, a way to run subgraphs) and
// the registry that maps op types to kernels. Kernels live in kernels_*.cpp by family.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include "graft/dtype.h"
#include "graft/eval.h"
#include "graft/ir.h"
#include "graft/result.h"

namespace graft::eval {

using DT = onnx::TensorProto_DataType;
constexpr std::int32_t kFloat = onnx::TensorProto_DataType_FLOAT;
constexpr std::int32_t kDouble = onnx::TensorProto_DataType_DOUBLE;
constexpr std::int32_t kFloat16 = onnx::TensorProto_DataType_FLOAT16;
constexpr std::int32_t kBFloat16 = onnx::TensorProto_DataType_BFLOAT16;
constexpr std::int32_t kInt8 = onnx::TensorProto_DataType_INT8;
constexpr std::int32_t kUInt8 = onnx::TensorProto_DataType_UINT8;
constexpr std::int32_t kInt16 = onnx::TensorProto_DataType_INT16;
constexpr std::int32_t kUInt16 = onnx::TensorProto_DataType_UINT16;
constexpr std::int32_t kInt32 = onnx::TensorProto_DataType_INT32;
constexpr std::int32_t kUInt32 = onnx::TensorProto_DataType_UINT32;
constexpr std::int32_t kInt64 = onnx::TensorProto_DataType_INT64;
constexpr std::int32_t kUInt64 = onnx::TensorProto_DataType_UINT64;
constexpr std::int32_t kBool = onnx::TensorProto_DataType_BOOL;
constexpr std::int32_t kString = onnx::TensorProto_DataType_STRING;
// Types libonnx 1.12 has no enum for. In arrays every element of them takes one byte: float8
// and e8m0 bit patterns, float4 codes in the low 4 bits, 4- and 2-bit integers as int8/uint8.
constexpr std::int32_t kFloat8E4M3FN = dtype::kFloat8E4M3FN;
constexpr std::int32_t kFloat8E4M3FNUZ = dtype::kFloat8E4M3FNUZ;
constexpr std::int32_t kFloat8E5M2 = dtype::kFloat8E5M2;
constexpr std::int32_t kFloat8E5M2FNUZ = dtype::kFloat8E5M2FNUZ;
constexpr std::int32_t kUInt4 = dtype::kUInt4;
constexpr std::int32_t kInt4 = dtype::kInt4;
constexpr std::int32_t kFloat4E2M1 = dtype::kFloat4E2M1;
constexpr std::int32_t kFloat8E8M0 = dtype::kFloat8E8M0;
constexpr std::int32_t kUInt2 = dtype::kUInt2;
constexpr std::int32_t kInt2 = dtype::kInt2;

// Bytes per element in an Array (1 for the sub-byte types, which arrays keep unpacked).
std::size_t elementSizeOf(std::int32_t dtype);
// float, double and the narrow floats (which the runner widens to float32 before most kernels).
bool isFloatType(std::int32_t dtype);
// float16, bfloat16, float8*, float4e2m1, float8e8m0: bit patterns computed as float32.
bool isNarrowFloat(std::int32_t dtype);
// int4/uint4/int2/uint2: kept as int8/uint8 bytes; the wider type with the same bytes.
std::int32_t subByteCarrier(std::int32_t dtype);
bool isIntegerType(std::int32_t dtype);
bool isSignedType(std::int32_t dtype);
const char* dtypeName(std::int32_t dtype);

std::uint16_t floatToHalf(float f);
float bfloat16ToFloat(std::uint16_t h);
std::uint16_t floatToBfloat16(float f);

// Elements of a shape; INT64_MAX when the product overflows or a dim is negative.
std::int64_t shapeSize(const std::vector<std::int64_t>& shape);

// Thrown by Array when a model asks for an array that cannot exist or does not fit the
// evaluator's memory budget; the runner turns it into an error naming the node.
class ArrayTooLarge : public std::runtime_error {
 public:
  explicit ArrayTooLarge(const std::string& what) : std::runtime_error(what) {}
};
// The evaluator's memory budget (bytes of live arrays, process-wide). chargeMemory throws
// ArrayTooLarge when the budget would be exceeded.
void chargeMemory(std::size_t bytes);
void releaseMemory(std::size_t bytes) noexcept;
std::size_t liveArrayBytes() noexcept;
// Recomputes the default budget from the process's current limits (unless one was set).
void refreshMemoryBudget();
// numpy broadcasting; empty optional-like failure via Status.
Result<std::vector<std::int64_t>> broadcastShapes(const std::vector<std::int64_t>& a,
                                                  const std::vector<std::int64_t>& b);
// Strides (in elements) of `shape` seen as broadcast to `out` (0 on broadcast dims).
std::vector<std::int64_t> broadcastStrides(const std::vector<std::int64_t>& shape,
                                           const std::vector<std::int64_t>& out);
std::vector<std::int64_t> contiguousStrides(const std::vector<std::int64_t>& shape);
// Materializes `a` broadcast to `shape` (any dtype).
Array expandTo(const Array& a, const std::vector<std::int64_t>& shape);
// Reads element i of an integer-valued array (any integer dtype or bool) as int64.
std::int64_t readIndex(const Array& a, std::int64_t i);
std::vector<std::int64_t> toInt64Vector(const Array& a);
double readDouble(const Array& a, std::int64_t i);
// Normalizes a possibly negative axis; false when out of range.
bool normalizeAxis(std::int64_t& axis, std::int64_t rank);

class Context;
struct Epilogue;  // conv_fusion.h
using SubgraphRunner =
    std::function<Result<std::vector<Array>>(const Graph& graph, const std::vector<Array>& inputs)>;

// What a kernel gets: the node (attributes), inputs (invalid Array for omitted optional
// ones), the opset of its domain, and where to put outputs.
class Context {
 public:
  Context(const Node& node, std::vector<Array> inputs, std::int64_t opset, const SubgraphRunner* runner)
      : node_(node), inputs_(std::move(inputs)), opset_(opset), runner_(runner) {
    outputs_.resize(node.outputs().size());
  }

  const Node& node() const { return node_; }
  std::int64_t opset() const { return opset_; }
  std::size_t inputCount() const { return inputs_.size(); }
  bool hasInput(std::size_t i) const { return i < inputs_.size() && inputs_[i].valid(); }
  const Array& input(std::size_t i) const { return inputs_[i]; }
  std::vector<Array>& inputs() { return inputs_; }
  std::size_t outputCount() const { return outputs_.size(); }
  bool wantsOutput(std::size_t i) const { return i < outputs_.size() && node_.output(i) != nullptr; }
  void setOutput(std::size_t i, Array a) {
    if (i < outputs_.size()) outputs_[i] = std::move(a);
  }
  std::vector<Array>& outputs() { return outputs_; }

  bool hasAttr(std::string_view name) const { return node_.attribute(name) != nullptr; }
  std::int64_t attrInt(std::string_view name, std::int64_t def) const;
  float attrFloat(std::string_view name, float def) const;
  std::string attrString(std::string_view name, const std::string& def = {}) const;
  std::vector<std::int64_t> attrInts(std::string_view name) const;
  std::vector<float> attrFloats(std::string_view name) const;
  std::vector<std::string> attrStrings(std::string_view name) const;
  const onnx::TensorProto* attrTensor(std::string_view name) const;
  const Graph* subgraph(std::string_view attribute) const;
  Result<std::vector<Array>> runSubgraph(const Graph& graph, const std::vector<Array>& inputs) const;

  // Failures a kernel reports; the runner prefixes "node 'name' (Op): ".
  Status fail(std::string message) const { return {ErrorCode::InvalidArgument, std::move(message)}; }
  Status unsupported(std::string message) const { return {ErrorCode::Unsupported, std::move(message)}; }
  // Checks input i is present.
  Status require(std::size_t i, const char* what) const;
  // Input i is one of the evaluator's constants (an initializer not overridden by the caller):
  // its bytes stay at the same address, unchanged, for the life of the Evaluator, so a kernel
  // may cache work derived from them keyed by that address (repacked convolution weights).
  bool inputIsConstant(std::size_t i) const { return i < 64 && (constantInputs_ >> i) & 1u; }
  void setConstantInputs(std::uint64_t mask) { constantInputs_ = mask; }
  // Work of later nodes the runner handed to this Conv (conv_fusion.h), or null. A kernel that did it
  // says so (its output is then those nodes' result); otherwise the runner runs them itself.
  const Epilogue* epilogue() const { return epilogue_; }
  void setEpilogue(const Epilogue* e) { epilogue_ = e; }
  void markEpilogueApplied() { epilogueApplied_ = true; }
  bool epilogueApplied() const { return epilogueApplied_; }

 private:
  const Node& node_;
  std::vector<Array> inputs_;
  std::vector<Array> outputs_;
  std::int64_t opset_;
  const SubgraphRunner* runner_;
  std::uint64_t constantInputs_ = 0;
  const Epilogue* epilogue_ = nullptr;
  bool epilogueApplied_ = false;
};

using KernelFn = Status (*)(Context& ctx);

struct KernelInfo {
  KernelFn fn = nullptr;
  // The kernel handles float16/bfloat16 itself; otherwise the runner widens half inputs
  // to float32 and narrows float32 outputs back.
  bool nativeHalf = false;
};

// Registration, called once from registry.cpp by each family.
void registerKernel(std::string_view domain, std::string_view opType, KernelFn fn, bool nativeHalf = false);
const KernelInfo* findKernel(std::string_view domain, std::string_view opType);

void registerElementwiseKernels();
void registerShapeKernels();
void registerReduceKernels();
void registerNnKernels();
void registerLinalgKernels();
void registerSignalKernels();
void registerRnnKernels();
void registerControlKernels();
void registerQuantKernels();
void registerContribKernels();
void registerAttentionKernels();
void registerImageKernels();
void registerImageDecoderKernels();
void registerStringKernels();
void registerNewerKernels();
void registerSequenceKernels();
void registerQuantDynamicKernels();
void ensureKernelsRegistered();

// Runs one node on given inputs (by position; invalid Array for omitted ones). Used by folding.
// maxSteps bounds the node executions inside it (subgraphs of Loop, Scan, If); 0 = none.
Result<std::vector<Array>> runSingleNode(const Node& node, const std::vector<Array>& inputs,
                                         std::uint64_t maxSteps = 0);

// Large buffers of finished nodes kept for the nodes after them: without it every node's output
// is a fresh allocation that the C library hands back to the system and the kernel zeroes again
// (a fifth of a BERT run went to page faults). One pool per Evaluator, used by the arrays created
// on the thread that runs it while a BufferPoolScope is alive; a buffer freed after its pool is
// gone goes straight back to the C library.
class BufferPool : public std::enable_shared_from_this<BufferPool> {
 public:
  static constexpr std::size_t kMinBytes = std::size_t(64) << 10;  // smaller ones: malloc keeps them anyway
  explicit BufferPool(std::size_t capBytes) : capBytes_(capBytes) {}
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;
  std::shared_ptr<std::byte> take(std::size_t bytes);

 private:
  void give(void* p, std::size_t capacity);
  std::mutex mutex_;
  std::multimap<std::size_t, void*> free_;
  std::size_t cached_ = 0, capBytes_;
};
class BufferPoolScope {
 public:
  explicit BufferPoolScope(std::shared_ptr<BufferPool> pool);
  ~BufferPoolScope();
  BufferPoolScope(const BufferPoolScope&) = delete;
  BufferPoolScope& operator=(const BufferPoolScope&) = delete;

 private:
  std::shared_ptr<BufferPool> previous_;
};

// Threads for the kernels' parallel loops (set by the runner from EvalOptions::threads; 0 = every core).
void setThreads(int threads);
int threadCount();
// Runs fn(begin, end) over [0, count) in chunks of `grain`, on the calling thread and the
// pool's helpers. Nested calls run serially.
void parallelFor(std::int64_t count, std::int64_t grain, const std::function<void(std::int64_t, std::int64_t)>& fn);

}  // namespace graft::eval

// Type dispatch with a fixed type list so instantiations stay bounded.
#define GRAFT_DISPATCH_CASE(CODE, TYPE, ...) \
  case CODE: {                               \
    using T = TYPE;                          \
    __VA_ARGS__;                             \
    break;                                   \
  }

#define GRAFT_DISPATCH_FLOAT(dtype, ...)                           \
  switch (dtype) {                                                 \
    GRAFT_DISPATCH_CASE(::graft::eval::kFloat, float, __VA_ARGS__)   \
    GRAFT_DISPATCH_CASE(::graft::eval::kDouble, double, __VA_ARGS__) \
    default:                                                       \
      return ctx.unsupported(std::string("element type ") + ::graft::eval::dtypeName(dtype) + " is not supported here"); \
  }

#define GRAFT_DISPATCH_NUMERIC(dtype, ...)                                \
  switch (dtype) {                                                        \
    GRAFT_DISPATCH_CASE(::graft::eval::kFloat, float, __VA_ARGS__)          \
    GRAFT_DISPATCH_CASE(::graft::eval::kDouble, double, __VA_ARGS__)        \
    GRAFT_DISPATCH_CASE(::graft::eval::kInt8, std::int8_t, __VA_ARGS__)     \
    GRAFT_DISPATCH_CASE(::graft::eval::kUInt8, std::uint8_t, __VA_ARGS__)   \
    GRAFT_DISPATCH_CASE(::graft::eval::kInt16, std::int16_t, __VA_ARGS__)   \
    GRAFT_DISPATCH_CASE(::graft::eval::kUInt16, std::uint16_t, __VA_ARGS__) \
    GRAFT_DISPATCH_CASE(::graft::eval::kInt32, std::int32_t, __VA_ARGS__)   \
    GRAFT_DISPATCH_CASE(::graft::eval::kUInt32, std::uint32_t, __VA_ARGS__) \
    GRAFT_DISPATCH_CASE(::graft::eval::kInt64, std::int64_t, __VA_ARGS__)   \
    GRAFT_DISPATCH_CASE(::graft::eval::kUInt64, std::uint64_t, __VA_ARGS__) \
    default:                                                              \
      return ctx.unsupported(std::string("element type ") + ::graft::eval::dtypeName(dtype) + " is not supported here"); \
  }

#define GRAFT_DISPATCH_ALL(dtype, ...)                                    \
  switch (dtype) {                                                        \
    GRAFT_DISPATCH_CASE(::graft::eval::kFloat, float, __VA_ARGS__)          \
    GRAFT_DISPATCH_CASE(::graft::eval::kDouble, double, __VA_ARGS__)        \
    GRAFT_DISPATCH_CASE(::graft::eval::kInt8, std::int8_t, __VA_ARGS__)     \
    GRAFT_DISPATCH_CASE(::graft::eval::kUInt8, std::uint8_t, __VA_ARGS__)   \
    GRAFT_DISPATCH_CASE(::graft::eval::kInt16, std::int16_t, __VA_ARGS__)   \
    GRAFT_DISPATCH_CASE(::graft::eval::kUInt16, std::uint16_t, __VA_ARGS__) \
    GRAFT_DISPATCH_CASE(::graft::eval::kInt32, std::int32_t, __VA_ARGS__)   \
    GRAFT_DISPATCH_CASE(::graft::eval::kUInt32, std::uint32_t, __VA_ARGS__) \
    GRAFT_DISPATCH_CASE(::graft::eval::kInt64, std::int64_t, __VA_ARGS__)   \
    GRAFT_DISPATCH_CASE(::graft::eval::kUInt64, std::uint64_t, __VA_ARGS__) \
    GRAFT_DISPATCH_CASE(::graft::eval::kBool, bool, __VA_ARGS__)            \
    default:                                                              \
      return ctx.unsupported(std::string("element type ") + ::graft::eval::dtypeName(dtype) + " is not supported here"); \
  }
