// The reference evaluator: runs a model on the CPU with plain kernels, independent of any
// runtime, so constant folding, numeric verification of rewrites and calibration can compute.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include "graft/ir.h"
#include "graft/progress.h"
#include "graft/result.h"

namespace graft {

// An n-dimensional array of values in CPU memory: what flows along an edge while a model
// runs. dtype is an onnx::TensorProto_DataType. Copies share the bytes (arrays are never
// written after a kernel has produced them), so Identity/Reshape cost nothing.
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
  template <typename T>
  static Array scalar(std::int32_t dtype, T value) {
    Array a(dtype, {});
    *a.data<T>() = value;
    return a;
  }

  bool valid() const { return dtype_ != 0; }
  std::int32_t dtype() const { return dtype_; }
  const std::vector<std::int64_t>& shape() const { return shape_; }
  std::size_t rank() const { return shape_.size(); }
  std::int64_t dim(std::size_t i) const { return shape_[i]; }
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
  // A deep copy (own bytes).
  Array clone() const;
  // Strings (dtype STRING) keep their values here; raw() is then null.
  std::vector<std::string>& strings() { return *strings_; }
  const std::vector<std::string>& strings() const { return *strings_; }

 private:
  std::int32_t dtype_ = 0;
  std::vector<std::int64_t> shape_;
  std::int64_t size_ = 0;
  std::size_t elemSize_ = 0;
  std::shared_ptr<std::byte> storage_;
  std::shared_ptr<std::vector<std::string>> strings_;
  bool borrowed_ = false;
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
// Converts every element (float <-> float16, integer saturation as C++ casts do, bool).
Result<Array> castArray(const Array& array, std::int32_t dtype);
// Every element widened to double (for statistics and comparison); fails for strings.
Result<std::vector<double>> arrayToDoubles(const Array& array);

Result<Array> readNpy(const std::string& path);
Status writeNpy(const std::string& path, const Array& array);
// A serialized TensorProto (.pb, as in the ONNX backend test data).
Result<Array> readTensorProtoFile(const std::string& path);
// .npy or .pb by extension.
Result<Array> readArrayFile(const std::string& path);

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
};

struct EvalStats {
  std::size_t nodesRun = 0;
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

// Feeds both models the same seeded inputs (matched by name) and compares outputs by name
// (or by position when the names differ but the counts agree).
Result<VerifyReport> verifyModels(const Model& a, const Model& b, const VerifyOptions& options = {});

}  // namespace graft
