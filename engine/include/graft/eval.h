// The reference evaluator: runs a model on the CPU with plain kernels, independent of any
// runtime, so constant folding, numeric verification of rewrites and calibration can compute.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include "graft/dtype.h"
#include "graft/ir.h"
#include "graft/progress.h"
#include "graft/result.h"

namespace graft {

// An n-dimensional array of values in CPU memory: what flows along an edge while a model
// runs. dtype is an onnx::TensorProto_DataType (graft/dtype.h). Copies share the bytes (arrays
// are never written after a kernel has produced them), so Identity/Reshape cost nothing.
// Sub-byte types (int4, uint4, int2, uint2, float4e2m1) are unpacked here, one byte per element
// (signed ones sign-extended): kernels index them like int8/uint8; arrayFromProto/arrayToProto pack.
class Array {
 public:
  Array() = default;
  // Zero-filled.
  Array(std::int32_t dtype, std::vector<std::int64_t> shape);
  // Bytes left uninitialized: for kernels that write every element.
  static Array uninitialized(std::int32_t dtype, std::vector<std::int64_t> shape);
  // The bytes stay where they are (a model's weights): nothing is copied, and the caller keeps
  // them alive and unchanged while the array or any copy of it is in use. clone() owns again.
  static Array borrowed(std::int32_t dtype, std::vector<std::int64_t> shape, const void* bytes);
  bool isBorrowed() const { return borrowed_; }
  // This array is the only holder of its own bytes (not borrowed, no copy or reshaped view shares
  // them): a kernel given it as a dying input may write its output there.
  bool ownsBufferAlone() const { return !borrowed_ && storage_ && storage_.use_count() == 1; }
  template <typename T>
  static Array scalar(std::int32_t dtype, T value) {
    Array a(dtype, {});
    *a.data<T>() = value;
    return a;
  }

  // Sequences (opset 11) and optionals (opset 15): a list of arrays, or an optional holding
  // one value or none. dtype() is the element type of the tensors inside (0 when unknown);
  // shape() is empty and size() 0.
  static Array sequence(std::int32_t elemType, std::vector<Array> items);
  static Array optional(std::int32_t elemType, std::optional<Array> value);
  bool isSequence() const { return kind_ == Kind::Sequence; }
  bool isOptional() const { return kind_ == Kind::Optional; }
  bool isTensor() const { return kind_ == Kind::Tensor; }
  // The sequence's elements, or the optional's value (none or one).
  const std::vector<Array>& items() const { return *items_; }

  bool valid() const { return dtype_ != 0 || kind_ != Kind::Tensor; }
  std::int32_t dtype() const { return dtype_; }
  const std::vector<std::int64_t>& shape() const { return shape_; }
  std::size_t rank() const { return shape_.size(); }
  // A model decides ranks: a kernel that asks for a dim the array lacks gets an exception (an
  // error of the node) rather than a read past the shape.
  std::int64_t dim(std::size_t i) const {
    if (i >= shape_.size()) throwNoSuchDim(i);
    return shape_[i];
  }
  std::int64_t size() const { return size_; }        // elements
  std::size_t elementSize() const { return elemSize_; }
  std::size_t bytes() const { return static_cast<std::size_t>(size_) * elemSize_; }

  void* raw() { return storage_.get(); }
  const void* raw() const { return storage_.get(); }
  template <typename T>
  T* data() { return static_cast<T*>(raw()); }
  template <typename T>
  const T* data() const { return static_cast<const T*>(raw()); }

  // Same bytes seen with another shape of the same element count.
  Array reshaped(std::vector<std::int64_t> shape) const;
  // Same bytes seen as another type of the same element size (int4 as its int8 carrier).
  Array relabeled(std::int32_t dtype) const;
  // A deep copy (own bytes).
  Array clone() const;
  // Strings (dtype STRING) keep their values here; raw() is then null.
  std::vector<std::string>& strings() { return *strings_; }
  const std::vector<std::string>& strings() const { return *strings_; }

 private:
  [[noreturn]] void throwNoSuchDim(std::size_t i) const;
  std::int32_t dtype_ = 0;
  std::vector<std::int64_t> shape_;
  std::int64_t size_ = 0;
  std::size_t elemSize_ = 0;
  std::shared_ptr<std::byte> storage_;
  std::shared_ptr<std::vector<std::string>> strings_;
  bool borrowed_ = false;
  enum class Kind { Tensor, Sequence, Optional } kind_ = Kind::Tensor;
  std::shared_ptr<const std::vector<Array>> items_;
};

using NamedArrays = std::map<std::string, Array>;

// "[1,3,224,224]"; "float32[1,3]" with the type.
std::string formatShape(const std::vector<std::int64_t>& shape);
std::string formatArrayType(const Array& array);

// --------------------------------------------------------------- conversions and files

// A TensorProto's values (typed fields, raw_data, or external data under baseDir).
Result<Array> arrayFromProto(const onnx::TensorProto& proto, const std::string& baseDir = {});
// An initializer, reading mapped external bytes where it has them.
Result<Array> arrayFromTensor(const Tensor& tensor);
// The same values without a copy where the tensor's bytes can be used as they are (raw or external
// data, aligned for the element type); otherwise a copy as arrayFromTensor makes. The array borrows
// from the model: the model must outlive it and its weights must not change meanwhile.
Result<Array> arrayViewOfTensor(const Tensor& tensor);
onnx::TensorProto arrayToProto(const Array& array, const std::string& name);
// How castArray treats values the destination cannot hold (ONNX Cast's attributes).
struct CastOptions {
  // float8/float4/e8m0 destinations: out of range (and ±inf) becomes ±max; otherwise NaN, or
  // ±inf for float8e5m2 (graft/dtype.h).
  bool saturate = true;
  E8M0Rounding e8m0Rounding = E8M0Rounding::Up;
  // int4/int2 destinations take values modulo 2^bits like the wider integers (Cast-25 on);
  // false: rounded and clamped to their range (Cast-21..24). Also float4's NaN: -0 vs +6.
  bool wrapNarrowIntegers = true;
};
// Converts every element (float <-> float16/float8/float4, integers wrap as C++ casts do, bool).
Result<Array> castArray(const Array& array, std::int32_t dtype, const CastOptions& options = {});
// Every element widened to double (for statistics and comparison); fails for strings.
Result<std::vector<double>> arrayToDoubles(const Array& array);

Result<Array> readNpy(const std::string& path);
// The array in a type numpy has: bfloat16, float8, float4 and e8m0 decoded to float32, int4/int2
// as int8, uint4/uint2 as uint8; others unchanged.
Array numpyCompatible(const Array& array);
// Writes numpyCompatible(array).
Status writeNpy(const std::string& path, const Array& array);
// A serialized TensorProto (.pb, as in the ONNX backend test data).
Result<Array> readTensorProtoFile(const std::string& path);
// .npy or .pb by extension.
Result<Array> readArrayFile(const std::string& path);
// A .pb file holding the value `type` describes: a TensorProto, or a SequenceProto /
// OptionalProto (nested as deep as the type says), as the ONNX backend test data stores them.
Result<Array> readValueProtoFile(const std::string& path, const onnx::TypeProto& type);

struct ArrayStats {
  double min = 0, max = 0, mean = 0, std = 0;
  std::int64_t nanCount = 0, infCount = 0;
};
ArrayStats arrayStats(const Array& array);

// --------------------------------------------------------------- kernels

// Whether the evaluator has a kernel for an op ("" and "ai.onnx" are the default domain).
bool isOpSupported(std::string_view opType, std::string_view domain = {});
// "Conv", "com.microsoft:Attention", sorted.
std::vector<std::string> supportedOps();

// --------------------------------------------------------------- running

struct EvalOptions {
  ProgressFn progress;  // called before each node of the main graph; false cancels
  int threads = 0;      // 0: every core
  // Return these values too (names of intermediate values of the main graph).
  std::vector<std::string> extraOutputs;
  // Return every value of the main graph (for looking at edges after a run); costs memory.
  bool keepAllValues = false;
  // Reject inputs whose static dims differ from the declared ones (element types are always checked).
  bool checkInputShapes = true;
  // Called with every value a node of the main graph computes, right after the node ran (calibration
  // reads activations here without keeping them alive). Unset: no cost.
  std::function<void(const Value& value, const Array& array)> observe;
  // Run Conv, MatMul and Gemm on the portable Eigen kernels instead of oneDNN (when the engine
  // was built with it): the fallback path, kept as a second reference. GRAFT_EVAL_KERNELS=eigen
  // in the environment does the same for every run.
  bool referenceKernels = false;
  // Run chains of nodes as one where the result is what a runtime's fused kernel computes (a
  // QDQ Conv as an integer QLinearConv, as ONNX Runtime does from its `extended` level on), and
  // the chains exporters write op by op (decomposed LayerNorm, erf GELU, MatMul with its bias,
  // scaled and masked Softmax) as one kernel each, and let a float Conv do the Add of a residual
  // and the Relu/Clip after it as it writes its output (the same values as unfused). Off, or in
  // runs that observe or keep every value (or ask for a value a fusion would skip), each node runs
  // as written.
  bool fuse = true;
  // Node executions the run may take, subgraph nodes included (a Loop of 2^62 trips stops here
  // with an error); 0 = no limit.
  std::uint64_t maxSteps = std::uint64_t(1) << 26;
};

// The kernel library float Conv/MatMul/Gemm run on in this process: "oneDNN 2.6.3", or
// "Eigen (AVX2/FMA)" / "Eigen (baseline x86-64)" when oneDNN is not built in or switched off.
const char* evalKernelLibrary();

// The evaluator's memory budget: the arrays alive in all runs together may not exceed it, and a
// run that would is stopped with an error naming the node (never an out-of-memory kill). The
// default is half the physical memory, and less when the address-space limit (RLIMIT_AS,
// `ulimit -v`) or the cgroup's memory.max leaves less (then three quarters of what is left);
// GRAFT_EVAL_MEMORY_MIB in the environment or setEvalMemoryBudget sets it.
std::uint64_t evalMemoryBudget();
void setEvalMemoryBudget(std::uint64_t bytes);  // 0: back to the default

struct EvalStats {
  std::size_t nodesRun = 0;
  std::size_t nodesFused = 0;  // of nodesRun: done inside another node's fused kernel (EvalOptions::fuse)
  std::size_t peakBytes = 0;  // largest sum of live activation bytes (initializers excluded)
  double seconds = 0;
};

// A model prepared for running many times (initializers converted once).
class Evaluator {
 public:
  // Fails when the graph has a cycle. Unknown ops are reported by run(), naming the node.
  static Result<std::unique_ptr<Evaluator>> create(const Model& model);
  ~Evaluator();

  // inputs by graph input name; initializers that are also graph inputs may be overridden.
  // Checks dtype and static dims against the declared inputs.
  Result<NamedArrays> run(const NamedArrays& inputs, const EvalOptions& options = {});
  const EvalStats& lastStats() const;
  // The fused chains of the main graph as (name of the chain's last node, what it computes, e.g.
  // "LayerNorm"): progress reports a chain once, under its last node's name.
  std::vector<std::pair<std::string, std::string>> fusedChains() const;

  struct Impl;

 private:
  explicit Evaluator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One-shot convenience: create + run.
Result<NamedArrays> evaluate(const Model& model, const NamedArrays& inputs, const EvalOptions& options = {});

// What a graph input wants: dtype and dims (-1 with dimNames[i] for symbolic/unknown ones).
struct InputSpec {
  std::string name;
  std::int32_t dtype = 0;
  std::vector<std::int64_t> shape;
  std::vector<std::string> dimNames;
};
// Graph inputs that are not initializers.
std::vector<InputSpec> modelInputs(const Model& model);

// Seeded random values for every model input: floats ~ N(0,1); integers in [0, 256) unless
// the input feeds Gather/Embedding indices (then kept below the gathered axis), masks all 1,
// bool true. Symbolic dims from `dims` by name, else 1.
Result<NamedArrays> randomInputs(const Model& model, std::uint64_t seed,
                                 const std::map<std::string, std::int64_t>& dims = {});

// --------------------------------------------------------------- constant folding

struct FoldOptions {
  // Largest folded output kept (bytes); bigger results stay computed at run time so the
  // file does not grow.
  std::uint64_t maxBytes = 1u << 20;
  // Node executions one folded node may take inside its subgraphs (Loop, Scan, If): folding is
  // a convenience, so a loop that runs longer is left to run time.
  std::uint64_t maxStepsPerNode = 100000;
  ProgressFn progress;
};

struct FoldReport {
  struct Folded {
    std::string node, opType;
    std::vector<std::string> outputs;  // names kept: consumers read initializers of the same names
  };
  struct Refused {
    std::string node, opType, reason;
  };
  std::vector<Folded> folded;
  std::vector<Refused> refused;  // all inputs constant but not folded (too large, no kernel, error)
};

// Folds every node of the main graph whose inputs are all constant (initializers, Constant
// outputs, Shape of an input whose dims are static) into initializers, repeatedly.
Result<FoldReport> foldConstants(Model& model, const FoldOptions& options = {});

// --------------------------------------------------------------- verify

struct VerifyOptions {
  std::uint64_t seed = 0;
  double atol = 1e-4;
  double rtol = 1e-3;
  std::map<std::string, std::int64_t> dims;
  ProgressFn progress;
};

struct OutputComparison {
  std::string name;
  std::string typeA, typeB;  // "float32[1,1000]"
  double maxAbsDiff = 0, maxRelDiff = 0, cosine = 1;
  std::optional<double> top1Agreement;  // fraction of rows with the same argmax, for [N, C]
  bool withinTolerance = true;          // |a-b| <= atol + rtol*|b| everywhere
  std::string problem;                  // set when this output cannot be compared
};

struct VerifyReport {
  bool comparable = true;
  std::string whyNot;  // when not comparable
  std::vector<OutputComparison> outputs;
  bool withinTolerance = false;
};

// Compares two arrays element by element: max abs/rel difference (relative to b), cosine, top-1
// agreement for [N, C]; within tolerance when |a - b| <= atol + rtol*|b| everywhere.
OutputComparison compareArrays(const std::string& name, const Array& a, const Array& b, double atol, double rtol);

// Feeds both models the same seeded inputs (matched by name) and compares outputs by name
// (or by position when the names differ but the counts agree).
Result<VerifyReport> verifyModels(const Model& a, const Model& b, const VerifyOptions& options = {});

}  // namespace graft
