// Hostile models: the checks that keep the onnx library and the evaluator away from nodes they
// would crash or run away on, and a way to run a call that may still crash in a child process.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "graft/result.h"

namespace onnx {
class OpSchema;
}

namespace graft {

struct Diagnostic;  // graft/analysis.h

// ---------------------------------------------------------------- node checks

// What a node looks like to the checks: its op, attributes, how many inputs and outputs it
// names, which inputs are present (an omitted optional input is an empty name), and the rank
// of an input when known (-1 when not).
struct NodeShape {
  const onnx::NodeProto* node = nullptr;  // attributes, op type, domain
  std::size_t inputCount = 0;
  std::size_t outputCount = 0;
  std::function<bool(std::size_t)> inputPresent;  // default: every input below inputCount
  std::function<int(std::size_t)> inputRank;      // default: unknown
};

// Checks a node against its registered schema, generically for every registered OpSchema (so
// schemas registered later, e.g. newer opsets, are checked the same way): number of inputs and
// outputs, required inputs present, required attributes present, attribute types, attribute
// values where a wrong one crashes or loops (strides, dilations, kernel_shape, group, pads,
// perm, blocksize, batch_dims, ...), and input ranks where shape inference or the kernels
// index dims without looking (Conv's W, LayerNormalization's X, RNN weights, ...).
// Returns the first problem as a sentence, or nullopt.
std::optional<std::string> checkNodeAgainstSchema(const NodeShape& node, const onnx::OpSchema& schema);

// The registered schema for a node at the given opset of its domain; nullptr when none.
const onnx::OpSchema* findSchema(const std::string& opType, const std::string& domain, std::int64_t opset);

// Largest dim a declared type may carry before it is treated as unknown: beyond it no real
// tensor fits in memory, and onnx 1.12 builds shapes of that rank (ConstantOfShape of an
// input declared int64[2^62] grows until the kernel kills the process).
constexpr std::int64_t kMaxDeclaredDim = std::int64_t(1) << 40;

// ---------------------------------------------------------------- model checks

// Everything in a model that the onnx library's shape inference or checker could crash, hang
// or exhaust memory on: nodes failing checkNodeAgainstSchema (ranks from declared types),
// model-local functions that call themselves (directly or mutually) or contain such nodes,
// declared dims that are negative or above kMaxDeclaredDim, element types that do not exist.
// Diagnostics are errors; node is the node's label ("<name>" or "<op> #<index>").
std::vector<Diagnostic> findOnnxHazards(const onnx::ModelProto& proto);

// Makes a copy of a model safe to hand to onnx inference: every hazardous node (in any graph
// or function body) moves to a domain the library does not know, so the library skips it;
// recursive functions are removed; out-of-bounds declared dims become unknown. Returns what
// was defused, the same diagnostics findOnnxHazards gives.
std::vector<Diagnostic> defuseForOnnx(onnx::ModelProto& proto);
// The domain defused nodes are moved to (messages that name it are internal).
extern const char* const kDefusedDomain;

// ---------------------------------------------------------------- isolation

struct IsolationOptions {
  std::string what = "the onnx library";  // names the call in messages: "<what> crashed ..."
  double timeoutSeconds = 120;
  // Address space the child may add to what the process already has (RLIMIT_AS), 0 = 4 GiB.
  std::uint64_t extraAddressSpace = 0;
  std::function<bool()> cancelled;  // polled while waiting
};

// Runs fn in a forked child and returns the bytes it returns. A crash (any signal), a timeout,
// running out of memory or an exception in the child becomes an error that says so; this
// process is untouched. fn must not touch Qt, logging or other threads' state. When the
// environment sets GRAFT_ISOLATE=0, or fork fails, fn runs in this process instead (exceptions
// still become errors).
Result<std::string> runIsolated(const std::function<std::string()>& fn, const IsolationOptions& options = {});
// True inside the child of runIsolated (code that logs checks it: spdlog's locks may be held).
bool inIsolatedChild();

}  // namespace graft
