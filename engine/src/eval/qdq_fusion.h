// QDQ convolutions run as integer convolutions: a static INT8 QDQ model writes every Conv as
// DequantizeLinear(x) -> Conv(., DequantizeLinear(w), DequantizeLinear(b)) -> [Relu] ->
// QuantizeLinear, which the evaluator can run as one QLinearConv on the bytes (int32 sums,
// requantized as ONNX Runtime does), as ONNX Runtime itself does at its `extended`/`all` levels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "graft/eval.h"
#include "graft/ir.h"

namespace graft::eval {

// One chain of a graph's topological order. Every parameter (scales, zero points, weights, bias)
// is an initializer the caller cannot override, checked when the plan is made; only x comes at run time.
struct QdqConv {
  std::size_t convAt = 0, reluAt = 0, quantizeAt = 0;  // positions in the order
  // The DequantizeLinear nodes of x, w and b that feed only this Conv: not run when it is fused
  // (so the float weights are never made), positions in the order.
  std::vector<std::size_t> skippedBefore;
  bool relu = false;
  // A MaxPool between the Relu (or Conv) and the QuantizeLinear: it runs on the bytes.
  const Node* pool = nullptr;
  std::size_t poolAt = 0;
  // A residual Add instead of a Conv: x and b are its two quantized inputs. With `mul`, a Mul of
  // the two instead (a QDQ model's SiLU, x * Sigmoid(x)): a table of 65,536 bytes, one per pair
  // of input bytes, made as the unary chains' tables are.
  bool add = false;
  bool mul = false;
  // A Mul whose b is the output of a unary chain on the same x (the SiLU: x * Sigmoid(x)): that
  // chain's op. Then y is a function of x alone, a 256-byte table composed of the two.
  const Node* bFromUnary = nullptr;
  // A MatMul by a constant int8 weight [K, N] instead of a Conv, with float output: the head is
  // the MatMul, y its output or that of the Add of a constant bias row after it (at quantizeAt;
  // convAt when there is none), floatBias that row. No QuantizeLinear, no Relu.
  bool matmul = false;
  // An elementwise float op of one input instead of a Conv (Sigmoid, Tanh, HardSwish, ...,
  // tableUnaryOp): 8-bit x in, 8-bit y out, so the chain is a table of 256 bytes, made by running
  // the DequantizeLinear, the op, the Relu (if any) and the QuantizeLinear as written on every byte
  // (the runner's unaryTable): bit for bit what the nodes give.
  bool unary = false;
  const Value *b = nullptr, *bScale = nullptr, *bZero = nullptr;
  const Node* conv = nullptr;  // the chain's head: the Conv, or the Add
  const Value *x = nullptr, *xScale = nullptr, *xZero = nullptr;
  const Value *w = nullptr, *wScale = nullptr, *wZero = nullptr;
  const Value* bias = nullptr;       // int32 at x_scale * w_scale: the chain is a QLinearConv
  const Value* floatBias = nullptr;  // a float bias (an initializer, maybe behind Identity nodes)
  const Value *yScale = nullptr, *yZero = nullptr, *y = nullptr;
};

// Whether a chain's head reads its input `index` as one of the chain's quantized inputs (input 0,
// or the second input of an Add or Mul chain): the bytes it takes instead of their dequantized floats.
inline bool readsQuantized(const QdqConv& c, std::size_t index) { return index == 0 || (c.add && index == 1); }

// Whether op computes each output element from its input element and its attributes alone, in
// float, with one input and one output: what a unary chain may turn into a table.
bool tableUnaryOp(const Node& op);

// out[i] = table[in[i]] for n bytes (a unary chain's run): 64 bytes per step with AVX-512 VBMI's
// byte permutes where the CPU has them (not under GRAFT_EVAL_SIMD=generic), else a plain loop.
void mapBytes(const std::uint8_t* in, std::uint8_t* out, std::int64_t n, const std::uint8_t* table);

// A MatMul chain's float output from the bytes: the exact int32 sums of (a - a_zero) * w on the
// kernel library, then y = float(acc) * (a_scale * w_scale[n]) + bias[n] per column; false when it
// does not apply to these arrays (the caller runs the nodes as written).
bool runQdqMatMul(const QdqConv& chain, const Array& a, const std::function<const Array*(const Value*)>& constant, Array& y);

// The chains of `order` (a graph without subgraphs) that can run fused (and residual Adds of two
// DequantizeLinear outputs into a QuantizeLinear): the Conv's input and
// output each have one reader, the weights are symmetric int8 (zero point 0) per tensor or per
// output channel, the bias (if any) is int32 at scale x_scale * w_scale, and x and y have one
// scale and zero point each.
std::vector<QdqConv> planQdqConvs(const std::vector<Node*>& order);

// A residual Add chain on uint8 a and b of one shape: y from the bytes, bit for bit what the nodes
// compute; false when the arrays do not fit (the caller runs the nodes).
bool runQdqAdd(const QdqConv& chain, const Array& a, const Array& b, const std::function<const Array*(const Value*)>& constant, Array& y);

// The values a fused chain never produces (so a run that must see one of them runs it unfused).
std::vector<const Value*> qdqIntermediates(const QdqConv& chain);

// QLinearConv's nine inputs for the chain, with x (uint8 or int8) given: scalar zero points are
// made when the model has none. Empty when x's element type does not fit.
std::vector<Array> qdqConvInputs(const QdqConv& chain, const Array& x, const std::function<const Array*(const Value*)>& constant);

// ConvInteger's four inputs for a chain with a float bias (or none needed): x, w and zero points.
std::vector<Array> qdqConvIntegerInputs(const QdqConv& chain, const Array& x, const std::function<const Array*(const Value*)>& constant);

// A float-bias chain's output from the exact int32 sums: per output channel m,
// y = float(acc) * (x_scale * w_scale[m]) + bias[m], then quantized as QuantizeLinear does (y /
// y_scale in float32, half to even, plus the zero point, saturated). What the float Conv computes
// up to the order of its float sums.
Array quantizeConvSums(const Array& acc, const QdqConv& chain, const std::function<const Array*(const Value*)>& constant);

// A float-bias chain's requantization for the kernel library (onednnInt8ConvRequantized): per
// output channel scale x_scale * w_scale[m] / y_scale and bias[m] / (x_scale * w_scale[m]) in
// accumulator units, y's zero point and type. False when a scale is not usable.
bool qdqLibraryRequantization(const QdqConv& chain, const std::function<const Array*(const Value*)>& constant, std::vector<float>& scale,
                              std::vector<float>& bias, std::int32_t& yZero, bool& yUnsigned);

// An int32-bias chain's exact requantization (QLinearConv's): multiplier[m] = x_scale * w_scale[m]
// / y_scale in float32, the bias as written, y's zero point and type.
void qdqExactRequantization(const QdqConv& chain, const std::function<const Array*(const Value*)>& constant, std::vector<float>& multiplier,
                            const std::int32_t*& bias, std::int32_t& yZero, bool& yUnsigned);

// Channels-last copies of 8-bit NCHW arrays ([N, C, H, W] -> [N, H, W, C] in memory and shape)
// and back: how fused QDQ chains pass activations among themselves (see the runner).
Array bytesToChannelsLast(const Array& nchw);
Array bytesToChannelsFirst(const Array& nhwc);

// A chain's MaxPool on its channels-last bytes x ([N, H, W, C], uint8 or int8) into y; false when
// the arrays do not fit.
bool maxPoolBytesChannelsLast(const Node& pool, const Array& x, Array& y);

// Relu between Conv and QuantizeLinear is max(q, y_zero_point): exactly what quantizing the
// Relu's output gives.
void applyQuantizedRelu(Array& y, const Array& yZero);

}  // namespace graft::eval
