// Loading and saving models: protobuf limits, external data mapped (never copied) and
// confined to the model's folder, atomic saves that never damage the file being replaced.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "graft/ir.h"
#include "graft/progress.h"
#include "graft/result.h"

namespace graft {

// A read-only memory mapping of a whole file; pages are read by the OS on first touch,
// so a view that never looks at a weight never reads it.
class MappedFile {
 public:
  static Result<std::shared_ptr<const MappedFile>> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }
  std::uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  const void* data_ = nullptr;
  std::uint64_t size_ = 0;
  std::string path_;
};

struct LoadOptions {
  // Check every external tensor's file and range at load (cheap: stat, no reads).
  bool checkExternalData = true;
};

// Reads and parses a .onnx file into the IR and attaches external data. Errors name the
// file, and for external data the tensor, location, offset and length.
Result<std::unique_ptr<Model>> loadModel(const std::string& path, const LoadOptions& options = {},
                                         const ProgressFn& progress = {});

// Parses serialized bytes (no file; external data resolved against baseDir, which may be
// empty to refuse all external data). Used by the fuzzer and by tests.
Result<std::unique_ptr<Model>> loadModelFromBytes(std::string_view bytes, const std::string& baseDir = {},
                                                  const LoadOptions& options = {});

// Parses a ModelProto with raised protobuf limits; no IR, no external data.
Result<onnx::ModelProto> parseModelProto(std::string_view bytes, std::string_view what);

// Resolves an external-data location against the model folder: rejects absolute paths,
// '..' escapes and symlinks leading outside. Returns the canonical path.
Result<std::string> resolveExternalLocation(const std::string& baseDir, const std::string& location,
                                            std::string_view tensorName);

struct SaveOptions {
  enum class Data {
    Auto,      // external when the model was loaded with external data or would exceed 2 GiB, else inline
    Inline,    // every tensor inside the .onnx (fails above protobuf's 2 GiB limit)
    External,  // tensors of at least `threshold` bytes go to one file beside the model
  };
  Data data = Data::Auto;
  std::uint64_t threshold = 1024;  // bytes; smaller tensors stay inline
  std::string externalFile;        // file name for External; default "<model file name>.data"
  // OUT may be a symbolic link; the save then replaces the file it leads to. Without this a link
  // is refused, as are devices, FIFOs and folders always.
  bool throughSymlink = false;
};

struct SaveReport {
  std::uint64_t modelBytes = 0;
  std::uint64_t externalBytes = 0;
  std::string externalFile;  // empty when everything is inline
  std::size_t externalTensors = 0;
};

// Writes atomically: temporary files in the target folder, fsync, rename over the target; with
// external data the model and its data file change as a pair (a kill at any point leaves the
// old pair or the new one). Refuses an OUT that is not a regular file.
// Safe when `path` is the model's own source: the old file stays intact until the rename,
// and mapped external data stays readable.
Result<SaveReport> saveModel(const Model& model, const std::string& path, const SaveOptions& options = {},
                             const ProgressFn& progress = {});

// For tests: called with a short name before every call that changes the disk during a save
// (create, write, fsync, rename, link, unlink), so a test can stop the process at each in turn.
void setSaveStepHook(std::function<void(std::string_view step)> hook);

// Serializes to bytes with every tensor inline (external bytes copied in). For tests and
// small models; fails above 2 GiB.
Result<std::string> serializeModel(const Model& model);

}  // namespace graft
