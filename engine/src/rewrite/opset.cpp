// Converting a model to another ai.onnx opset with ONNX's own version converter (libonnx), for
// profiles whose backend wants a newer opset than the exporter wrote (TensorRT's opset-17
// LayerNormalization) and for `graft-cli convert --opset`.
#include <algorithm>
#include <iterator>
#include <stdexcept>

#include <onnx/defs/schema.h>
#include <onnx/version_converter/convert.h>

#include "graft/guard.h"
#include "graft/io.h"
#include "graft/rewrite.h"
#include "graft/schema.h"

namespace graft {

// Conversions that start or end past opset 17, which the library's converter does not know
// (opset_convert.cpp).
Result<std::unique_ptr<Model>> convertOpsetBeyondLibrary(const Model& model, std::int64_t current, std::int64_t target);

Result<std::unique_ptr<Model>> convertOpset(const Model& model, std::int64_t target) {
  std::int64_t current = model.opsetVersion("");
  if (current < 0) return Status(ErrorCode::InvalidArgument, "the model imports no ai.onnx opset, so there is nothing to convert");
  schema::ensureRegistered();
  const auto& ranges = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto known = ranges.find("");
  std::int64_t newest = known == ranges.end() ? 0 : known->second.second;
  if (target < 1 || target > newest)
    return Status(ErrorCode::Unsupported, "opset " + std::to_string(target) + " is outside what Graft knows (ai.onnx 1 to " +
                                              std::to_string(newest) + ")");
  if ((target > schema::kLibraryMaxOnnxOpset || current > schema::kLibraryMaxOnnxOpset) && target != current)
    return convertOpsetBeyondLibrary(model, current, target);
  if (target == current) {
    auto same = Model::fromProto(model.toProto());
    if (same) same.value()->setSource(model.sourcePath(), model.sourceDir());
    return same;
  }
  // The converter's adapters index inputs and attributes as the schemas promise them, so a
  // hostile node can crash it: it runs in a child process (guard.h) that returns the converted
  // model's bytes.
  const onnx::ModelProto input = model.toProto();
  IsolationOptions iso;
  iso.what = "the converter";
  // It holds the model about four times over (its graph, the result, the result's bytes).
  iso.extraAddressSpace = std::max<std::uint64_t>(std::uint64_t(4) << 30, 4 * input.ByteSizeLong());
  iso.timeoutSeconds = 600;
  auto bytesOut = runIsolated(
      [&]() -> std::string {
        std::string out;
        if (!onnx::version_conversion::ConvertVersion(input, static_cast<int>(target)).SerializeToString(&out))
          throw std::runtime_error("the converted model could not be serialized");
        return out;
      },
      iso);
  if (!bytesOut)
    // The converter throws for ops it has no adapter for (and for other domains' nodes); its text
    // names the op and the step. A crash or a timeout says so.
    return Status(ErrorCode::Unsupported, "ONNX's version converter cannot take this model from opset " +
                                              std::to_string(current) + " to " + std::to_string(target) + ": " +
                                              bytesOut.message());
  auto parsed = parseModelProto(bytesOut.value(), "the converted model");
  if (!parsed) return parsed.status();
  onnx::ModelProto converted = std::move(parsed.value());
  // The converter leaves ir_version alone, but newer opsets come with newer IR rules (from IR 4,
  // initializers need not be graph inputs, and its Pad adapter relies on that): raise it to the
  // IR version ONNX released with the target opset (onnx/docs/Versioning.md), never lower it.
  static constexpr std::int64_t kIrForOpset[] = {3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 5, 6, 7, 7, 7, 8, 8, 8};  // index: opset
  if (target < static_cast<std::int64_t>(std::size(kIrForOpset)) && converted.ir_version() < kIrForOpset[target])
    converted.set_ir_version(kIrForOpset[target]);
  // Rebuilt through io so external data is found beside the original model as before.
  std::string bytes;
  if (!converted.SerializeToString(&bytes)) return Status(ErrorCode::Invalid, "the converted model could not be serialized");
  auto rebuilt = loadModelFromBytes(bytes, model.sourceDir());
  if (!rebuilt) return Status(rebuilt.status().code(), "the converted model does not load: " + rebuilt.message());
  rebuilt.value()->setSource(model.sourcePath(), model.sourceDir());
  return rebuilt;
}

}  // namespace graft
