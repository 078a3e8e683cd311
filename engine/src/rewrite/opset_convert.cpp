// Opset conversion past what the onnx library's version converter knows (it stops at 17).
#include "graft/rewrite.h"
#include "graft/schema.h"

namespace graft {

Result<std::unique_ptr<Model>> convertOpsetBeyondLibrary(const Model& model, std::int64_t current,
                                                         std::int64_t target) {
  (void)model;
  return Status(ErrorCode::Unsupported, "converting from opset " + std::to_string(current) + " to " +
                                            std::to_string(target) + " is not supported yet");
}

}  // namespace graft
