// Quantization: calibrate a float model on sample data, rewrite it to INT8 (static QDQ or dynamic)
// or to blocked 4/8-bit weights (MatMulNBits or opset-21 DequantizeLinear), and measure per node what it cost.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "graft/eval.h"
#include "graft/ir.h"
#include "graft/progress.h"
#include "graft/result.h"

namespace graft {

struct Profile;  // graft/rewrite.h

namespace quant {

// ------------------------------------------------------------------------- calibration data

// Samples of model inputs, by input name. The held-back part scores a quantization; only the
// calibration part sets ranges, so scores are measured on inputs ranges never saw.
struct SampleSet {
  std::vector<NamedArrays> calibration;
  std::vector<NamedArrays> holdout;
  bool random = false;    // seeded random inputs: ranges and scores mean little; every report says so
  std::string source;     // folder, or "seeded random inputs (seed N)"
  std::string hash;       // of the sample bytes: a cache key together with the model revision
};

// A folder with one subfolder per sample holding INPUTNAME.npy files, or the ONNX test layout
// test_data_set_K/input_J.pb (J in graph input order). Every sample is checked against the model's
// inputs (names, element types, static dims); a misfit is an InvalidArgument naming sample and input.
// `holdout` samples (the last ones) are kept for scoring; -1 picks a third (at least 1 when there are 2+).
Result<SampleSet> loadSampleFolder(const Model& model, const std::string& dir, int holdout = -1);
// Seeded random inputs (graft::randomInputs), labelled as such.
Result<SampleSet> randomSamples(const Model& model, int calibrationCount, int holdoutCount, std::uint64_t seed = 1);

// ------------------------------------------------------------------------- statistics

// What calibration saw of one float tensor over every calibration sample.
struct TensorStats {
  double min = 0, max = 0;
  double avgMin = 0, avgMax = 0;  // moving average (constant 0.01, as ONNX Runtime's calibrator) of per-sample min/max
  std::uint64_t count = 0;
  // 2048-bin histograms of the positive values and of the magnitudes of the negative ones, each
  // over [0, range]; the range doubles (merging bin pairs) when a later sample exceeds it.
  static constexpr int kBins = 2048;
  std::vector<double> positive, negative;
  double posRange = 0, negRange = 0;
};

enum class CalibrationMethod { MinMax, MovingAverage, Percentile, Entropy };
const char* methodName(CalibrationMethod method);
std::optional<CalibrationMethod> parseCalibrationMethod(const std::string& name);

// Cached result of running the float model over the samples: statistics of every tensor that
// could be quantized, the float outputs and node values on held-back samples (for scoring), and
// for weight-only methods the Gram matrix X^T X of each MatMul's input (GPTQ's Hessian, AWQ's scales).
struct Calibration {
  std::uint64_t revision = 0;
  std::string dataHash;
  std::map<std::string, TensorStats> stats;
  std::map<std::string, std::vector<double>> gram;       // value name -> K*K row-major
  std::map<std::string, std::vector<double>> meanAbs;    // value name -> K (mean |x| per input channel)
  std::map<std::string, std::int64_t> gramRows;          // rows accumulated
  std::vector<NamedArrays> floatHoldout;                 // every tensor scored, per held-back sample
  bool randomData = false;
  std::string dataSource;
  bool matches(const Model& model, const SampleSet& data) const {
    return revision == model.revision() && dataHash == data.hash;
  }
};

struct CalibrateOptions {
  bool collectStats = true;   // ranges (static INT8); without it only held-back samples run, for scoring
  bool collectGram = false;   // for GPTQ/AWQ
  ProgressFn progress;
};

// Runs the float model over the calibration samples (statistics) and the held-back ones (reference
// values for scoring). Cancel stops it with ErrorCode::Cancelled.
Result<std::shared_ptr<Calibration>> calibrate(const Model& model, const SampleSet& data, const CalibrateOptions& options = {});

// [lo, hi] chosen from the statistics (always containing 0). percentile is in percent (99.999).
std::pair<double, double> chooseRange(const TensorStats& stats, CalibrationMethod method, double percentile = 99.999);

// ------------------------------------------------------------------------- rounding

// round half to even of x/scale, plus the zero point after rounding, saturated to [qmin, qmax]:
// what QuantizeLinear does (x/scale computed in float32 like the spec).
std::int32_t quantizeValue(float x, float scale, std::int32_t zeroPoint, std::int32_t qmin, std::int32_t qmax);

// ------------------------------------------------------------------------- blocked weights

// A [K, N] weight quantized in blocks of blockSize along K, per column: the one form both
// encodings convert to and from exactly. Values are stored unsigned (0 .. 2^bits-1).
struct BlockedWeight {
  std::int64_t K = 0, N = 0, blockSize = 32;
  int bits = 4;
  std::vector<std::uint8_t> q;      // [N][K], unsigned
  std::vector<float> scales;        // [N][blocks]
  std::vector<std::uint8_t> zeros;  // [N][blocks], unsigned; empty: the default 2^(bits-1)
  std::int64_t blocks() const { return (K + blockSize - 1) / blockSize; }
  std::uint8_t zero(std::int64_t n, std::int64_t b) const {
    return zeros.empty() ? static_cast<std::uint8_t>(1u << (bits - 1)) : zeros[static_cast<std::size_t>(n * blocks() + b)];
  }
  std::vector<float> dequantized() const;  // [K][N]
};

// Round-to-nearest blocks of a [K, N] row-major float weight: asymmetric ranges contain 0 (MLAS's
// convention), symmetric ones are absmax / (2^(bits-1) - 1) around the default zero point.
BlockedWeight quantizeRtn(const std::vector<float>& w, std::int64_t K, std::int64_t N, int bits, std::int64_t blockSize, bool symmetric);

// MatMulNBits inputs: B [N, blocks, blockSize*bits/8] (N-major, each block's values low bits
// first, a partial last block padded with the zero point), scales [N*blocks], zero points packed
// per column: N * ceil(blocks*bits/8) bytes, low bits first (absent when all are 2^(bits-1)).
struct MatMulNBitsTensors {
  std::vector<std::uint8_t> b;
  std::vector<std::int64_t> bShape;
  std::vector<float> scales;
  std::vector<std::uint8_t> zeroPoints;  // empty: none
};
MatMulNBitsTensors packMatMulNBits(const BlockedWeight& w);
// zeroPoints may be the per-column layout ONNX Runtime reads or Intel Neural Compressor's global one
// (ceil(N*blocks*bits/8) bytes, 0x88 fill): `incLayout` says which was found.
Result<BlockedWeight> unpackMatMulNBits(std::int64_t K, std::int64_t N, int bits, std::int64_t blockSize,
                                        const std::vector<std::uint8_t>& b, const std::vector<float>& scales,
                                        const std::vector<std::uint8_t>* zeroPoints, bool* incLayout = nullptr);
// The zero-point bytes each layout takes.
std::int64_t zeroPointBytesOrt(std::int64_t N, std::int64_t blocks, int bits);
std::int64_t zeroPointBytesGlobal(std::int64_t N, std::int64_t blocks, int bits);

// DequantizeLinear(axis=0, block_size) on a [K, N] 4- or 8-bit initializer: signed (INT4/INT8,
// value - 2^(bits-1)) when every zero point is the default, then without a zero point input;
// otherwise unsigned with a [blocks, N] zero point of the same type. Scales [blocks, N].
struct BlockedQdqTensors {
  onnx::TensorProto data, scale, zeroPoint;  // zeroPoint empty (no name) when not needed
  bool hasZeroPoint = false;
};
BlockedQdqTensors packBlockedQdq(const BlockedWeight& w, const std::string& baseName);
Result<BlockedWeight> unpackBlockedQdq(const onnx::TensorProto& data, const onnx::TensorProto& scale,
                                       const onnx::TensorProto* zeroPoint, std::int64_t blockSize);

// Sub-byte tensors in ONNX: two 4-bit values a byte, first element in the low nibble.
std::vector<std::uint8_t> packNibbles(const std::vector<std::uint8_t>& values);

// ------------------------------------------------------------------------- rewriting

enum class Mode { Static, Dynamic, WeightOnly };
enum class WeightMethod { Rtn, Gptq, Awq };
enum class BlockedFormat { MatMulNBits, Qdq };

// Where Q/DQ go for a backend, read from its profile's `quantize-*` keys (docs/rules.md).
struct Placement {
  std::string backend = "portable";
  std::set<std::string> ops = {"Conv", "MatMul", "Gemm"};  // whose float inputs are quantized
  std::set<std::string> sameScaleOps;  // pass-through ops (MaxPool, Reshape, ...): quantized like their input
  bool quantizeOutputs = false;        // a Q/DQ pair on outputs of quantized ops too (QLinear fusion)
  bool removeRelu = false;             // Relu after a quantized op folds into its u8 zero point
  bool activationsSigned = false;      // s8 symmetric activations (TensorRT)
  bool dynamicContrib = false;         // com.microsoft.DynamicQuantizeMatMul for dynamic MatMul
};
Placement placementFor(const Profile& profile);

struct QuantizeOptions {
  Mode mode = Mode::Static;
  // static
  CalibrationMethod method = CalibrationMethod::Percentile;
  double percentile = 99.999;
  bool signedActivations = false;   // s8 symmetric instead of u8 asymmetric
  std::optional<bool> signedOverride;  // set when the user chose; otherwise the placement decides
  Placement placement;
  // weight-only
  int bits = 4;
  std::int64_t blockSize = 32;
  bool symmetric = false;
  WeightMethod weightMethod = WeightMethod::Rtn;
  BlockedFormat format = BlockedFormat::MatMulNBits;
  // MatMulNBits' accuracy_level: the lowest precision a runtime may compute A in (0 unset = float,
  // 1 fp32, 2 fp16, 3 bf16, 4 int8). 4, what ONNX Runtime advises for CPUs, lets it use integer
  // kernels and Graft's evaluator bf16 (AMX); 0 keeps every product in float.
  int accuracyLevel = 4;
  bool includeGather = false;
  // every mode
  std::set<std::string> exclude;  // node names kept in float
  ProgressFn progress;
};

// One float node the rewrite replaced, and where the replacement's output lives: the quantized
// model's value with the same name as the float node's first output (the rewrite keeps names).
struct QuantizedNode {
  std::string node, opType;
  std::string output;             // value name in the quantized model
  std::string floatOutput;        // the float value it stands for (differs when a Relu was folded into it)
  std::string form;               // "QDQ", "MatMulInteger", "DynamicQuantizeMatMul", "MatMulNBits", "DequantizeLinear+MatMul"
  std::int64_t weightElements = 0;
  std::int64_t weightBytesBefore = 0, weightBytesAfter = 0;  // after: data + scales + zero points
};

struct QuantizeReport {
  std::vector<QuantizedNode> nodes;
  std::vector<std::string> skipped;  // "node: why"
  std::uint64_t bytesBefore = 0, bytesAfter = 0;  // every initializer
};

// Rewrites `model` in place (journaled, so one undo step reverts it). Static mode needs a
// calibration for the activation ranges; GPTQ/AWQ need one made with collectGram.
// Fails with InvalidArgument and leaves the model untouched when nothing can be quantized or an option is out of range.
Result<QuantizeReport> quantizeModel(Model& model, const QuantizeOptions& options, const Calibration* calibration);
// Checks options against a model without changing it (block size range, bits, what is quantizable).
Status checkOptions(const Model& model, const QuantizeOptions& options);

// ------------------------------------------------------------------------- conversion and checks

struct ConvertReport {
  int converted = 0;
  int repairedZeroPoints = 0;  // MatMulNBits nodes whose INC-packed zero points were repacked
};
// Every blocked weight to the other encoding (exact: same dequantized weights, same outputs).
Result<ConvertReport> convertBlockedWeights(Model& model, BlockedFormat to);
// Repacks INC's global zero points into ONNX Runtime's per-column layout, in place.
Result<int> repairZeroPoints(Model& model);

struct QuantProblem {
  bool error = true;
  std::string node, opType, message;
};
// MatMulNBits attributes and input sizes, zero-point layouts (naming INC's), 4-bit tensor sizes,
// blocked DequantizeLinear axis/block_size/scale shapes.
std::vector<QuantProblem> validateQuantization(const Model& model);

// ------------------------------------------------------------------------- error analysis

struct NodeError {
  std::string node, opType, output;  // output: the float value it is compared with
  double sqnr = 0;    // dB; +inf when identical
  double cosine = 1;
};
struct SizeSummary {
  std::uint64_t bytesBefore = 0, bytesAfter = 0;
  std::int64_t weightElements = 0;          // quantized weights
  std::int64_t weightBytesBefore = 0, weightBytesAfter = 0;
  double bitsPerWeight() const { return weightElements ? 8.0 * static_cast<double>(weightBytesAfter) / static_cast<double>(weightElements) : 0; }
};
struct ErrorReport {
  std::vector<NodeError> nodes;                   // in graph order
  std::map<std::string, double> outputSqnr;       // per model output, dB
  double sqnr = 0;                                // lowest over outputs
  std::optional<double> top1Agreement;            // for [batch, classes] outputs
  int samples = 0;
  bool randomData = false;
  std::string dataSource;
  SizeSummary sizes;
  std::vector<std::string> excluded;              // by accuracy-driven exclusion, with why
  std::vector<std::string> excludedWhy;
};

// 10*log10(sum ref^2 / sum (ref-q)^2); +inf when equal.
double sqnrDb(const std::vector<double>& ref, const std::vector<double>& q);

// Runs the quantized model on the held-back samples and compares each quantized node's output
// and every model output with the float values calibration kept.
Result<ErrorReport> analyzeError(const Model& quantized, const QuantizeReport& report, const Calibration& calibration,
                                 const SampleSet& data, const ProgressFn& progress = {});

// Quantize a copy, score it; then, while the output SQNR is below target, keep the most
// sensitive quantized node (largest SQNR drop from its inputs to its output) in float and repeat.
struct AutoResult {
  std::unique_ptr<Model> model;
  QuantizeReport report;
  ErrorReport error;
};
Result<AutoResult> quantizeAndScore(const Model& model, QuantizeOptions options, const Calibration* calibration,
                                    const SampleSet& data, std::optional<double> targetSqnr);

// A deep copy through the proto (external weights are read in).
Result<std::unique_ptr<Model>> cloneModel(const Model& model);

}  // namespace quant
}  // namespace graft
