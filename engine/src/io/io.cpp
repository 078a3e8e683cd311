// Loading and saving (see graft/io.h). The model file and its external data are mapped,
// never read whole into a second buffer; saves go through temporary files and rename.
#include "graft/io.h"
#include "graft/numbers.h"

#include "graft/dtype.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/wire_format_lite.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <functional>
#include <signal.h>

namespace fs = std::filesystem;

namespace graft {

namespace {

std::string sysError() { return std::strerror(errno); }

std::string humanBytes(std::uint64_t n) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 6) {
    v /= 1024;
    ++u;
  }
  char buf[64];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(n));
  else
    std::snprintf(buf, sizeof buf, "%s %s", formatFixed(v, 1).c_str(), units[u]);
  return buf;
}

std::string dimsText(const onnx::TensorProto& t) {
  // Appends piecewise: GCC 12 at -O2 misreports `"x" + std::string` as overlapping (-Wrestrict).
  std::string s = "[";
  for (int i = 0; i < t.dims_size(); ++i) {
    if (i) s += ',';
    s += std::to_string(t.dims(i));
  }
  s += ']';
  return s;
}

// protobuf logs parse problems to stderr by default; route them to our log instead.
void installProtobufLogHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    google::protobuf::SetLogHandler([](google::protobuf::LogLevel level, const char* file, int line,
                                       const std::string& message) {
      if (level >= google::protobuf::LOGLEVEL_ERROR)
        spdlog::warn("protobuf: {} ({}:{})", message, file, line);
      else
        spdlog::debug("protobuf: {} ({}:{})", message, file, line);
    });
  });
}

bool parseU64(const std::string& s, std::uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Bytes a tensor must hold for its dims and dtype; nullopt for strings and unknown types.
std::optional<std::uint64_t> expectedBytes(const onnx::TensorProto& t, std::uint64_t elements) {
  if (t.data_type() == onnx::TensorProto::STRING) return std::nullopt;
  return packedByteCount(t.data_type(), elements);
}

// Checks that a tensor holds as much data as its dims declare. This is what stops absurd
// dims (2^40 elements) from ever reaching code that would allocate for them.
Status checkTensorSize(const Tensor& tensor, const std::string& where) {
  const auto& t = tensor.proto();
  for (auto d : t.dims())
    if (d < 0)
      return {ErrorCode::Corrupt, where + " tensor '" + t.name() + "' has a negative dimension " + dimsText(t)};
  std::uint64_t elements = tensor.elementCount();
  if (t.data_type() == onnx::TensorProto::STRING) {
    // Strings have no fixed size, so ONNX keeps them in string_data only. Accepting them as
    // external data would load a model whose save (which inlines the bytes as raw_data) we
    // then refuse to open (found by fuzz_load: tests/data/crashers/string_external.onnx).
    if (t.data_location() == onnx::TensorProto::EXTERNAL)
      return {ErrorCode::Corrupt, where + " tensor '" + t.name() +
                                      "' holds strings in external data, which ONNX does not allow; string "
                                      "tensors must be stored inline (string_data)"};
    if (static_cast<std::uint64_t>(t.string_data_size()) != elements)
      return {ErrorCode::Corrupt, where + " tensor '" + t.name() + "' has dims " + dimsText(t) + " (" +
                                      std::to_string(elements) + " strings) but holds " +
                                      std::to_string(t.string_data_size())};
    return Status::ok();
  }
  auto need = expectedBytes(t, elements);
  if (!need) return Status::ok();
  bool raw = tensor.isExternal() || t.has_raw_data();
  if (!raw) {
    // Typed fields: a tensor with no data at all (e.g. a stripped copy) counts as empty.
    std::uint64_t stored = static_cast<std::uint64_t>(t.float_data_size()) + t.int32_data_size() +
                           t.int64_data_size() + t.double_data_size() + t.uint64_data_size();
    std::uint64_t needElems = elements;
    if (t.data_type() == onnx::TensorProto::COMPLEX64 || t.data_type() == onnx::TensorProto::COMPLEX128)
      needElems = elements > UINT64_MAX / 2 ? UINT64_MAX : elements * 2;
    // Sub-byte types keep one packed byte per int32_data entry.
    if (isSubByteType(t.data_type())) needElems = packedByteCount(t.data_type(), elements).value_or(elements);
    if (stored == needElems) return Status::ok();
    return {ErrorCode::Corrupt, where + " tensor '" + t.name() + "' has dims " + dimsText(t) + " (" +
                                    std::to_string(elements) + " elements) but stores " + std::to_string(stored) +
                                    " values"};
  }
  std::uint64_t have = tensor.storedBytes();
  if (have < *need)
    return {ErrorCode::Corrupt, where + " tensor '" + t.name() + "' has dims " + dimsText(t) + " of " +
                                    dataTypeName(t.data_type()) + ", which needs " + humanBytes(*need) +
                                    ", but it holds " + humanBytes(have)};
  // More data than the dims need is refused too: check would call the tensor valid, run would
  // refuse it, and a save would copy the excess (3 GiB behind a 4-element tensor). External data
  // without a length runs to the end of its file, which holds other tensors, so it is exempt.
  bool explicitLength = t.has_raw_data();
  for (const auto& e : t.external_data()) explicitLength = explicitLength || e.key() == "length";
  if (have > *need && explicitLength)
    return {ErrorCode::Corrupt, where + " tensor '" + t.name() + "' has dims " + dimsText(t) + " of " +
                                    dataTypeName(t.data_type()) + ", which needs " + humanBytes(*need) +
                                    ", but it holds " + humanBytes(have) + " (more data than its dims)"};
  return Status::ok();
}

struct ExternalInfo {
  std::string location;
  std::uint64_t offset = 0;
  std::optional<std::uint64_t> length;
};

Result<ExternalInfo> readExternalInfo(const onnx::TensorProto& t) {
  ExternalInfo info;
  for (const auto& kv : t.external_data()) {
    if (kv.key() == "location") {
      info.location = kv.value();
    } else if (kv.key() == "offset") {
      if (!parseU64(kv.value(), info.offset))
        return Status(ErrorCode::Corrupt, "tensor '" + t.name() + "': external data offset '" + kv.value() +
                                              "' is not a number");
    } else if (kv.key() == "length") {
      std::uint64_t len = 0;
      if (!parseU64(kv.value(), len))
        return Status(ErrorCode::Corrupt, "tensor '" + t.name() + "': external data length '" + kv.value() +
                                              "' is not a number");
      info.length = len;
    }
  }
  if (info.location.empty())
    return Status(ErrorCode::Corrupt, "tensor '" + t.name() + "' is marked external but has no location");
  return info;
}

// Maps each external file once per load; tensors share the mapping.
struct ExternalResolver {
  std::string baseDir;
  std::map<std::string, std::shared_ptr<const MappedFile>> files;

  Result<std::shared_ptr<ExternalRef>> resolve(const onnx::TensorProto& t) {
    auto info = readExternalInfo(t);
    if (!info) return info.status();
    auto path = resolveExternalLocation(baseDir, info->location, t.name());
    if (!path) return path.status();
    std::shared_ptr<const MappedFile> file;
    if (auto it = files.find(*path); it != files.end()) {
      file = it->second;
    } else {
      auto mapped = MappedFile::open(*path);
      if (!mapped)
        return Status(ErrorCode::NotFound, "external data file '" + info->location + "' of tensor '" + t.name() +
                                               "' cannot be read: " + mapped.message());
      file = *mapped;
      files[*path] = file;
    }
    std::uint64_t size = file->size();
    std::uint64_t length = info->length ? *info->length : (info->offset <= size ? size - info->offset : 0);
    if (info->offset > size || length > size - info->offset)
      return Status(ErrorCode::Corrupt, "external data file '" + info->location + "' is too short for tensor '" +
                                            t.name() + "': it needs bytes " + std::to_string(info->offset) + ".." +
                                            std::to_string(info->offset + length) + " (offset " +
                                            std::to_string(info->offset) + ", length " + std::to_string(length) +
                                            ") but the file has " + std::to_string(size) + " bytes");
    auto ref = std::make_shared<ExternalRef>();
    ref->file = file;
    ref->location = info->location;
    ref->offset = info->offset;
    ref->length = length;
    return ref;
  }
};

// Constant-node tensors and other attribute tensors with external data are small in
// practice; they are read into raw_data so the node is self-contained.
Status inlineAttributeTensors(onnx::NodeProto& node, ExternalResolver& resolver, const std::string& where) {
  for (auto& attr : *node.mutable_attribute()) {
    auto fix = [&](onnx::TensorProto& t) -> Status {
      if (t.data_location() != onnx::TensorProto::EXTERNAL) return checkTensorSize(Tensor(t), where);
      auto ref = resolver.resolve(t);
      if (!ref) return ref.status();
      std::string_view all = (*ref)->file->bytes();
      t.set_raw_data(std::string(all.substr((*ref)->offset, (*ref)->length)));
      t.clear_external_data();
      t.set_data_location(onnx::TensorProto::DEFAULT);
      return checkTensorSize(Tensor(t), where);
    };
    if (attr.has_t())
      if (auto s = fix(*attr.mutable_t()); !s) return s;
    for (auto& t : *attr.mutable_tensors())
      if (auto s = fix(t); !s) return s;
  }
  return Status::ok();
}

Status attachExternalData(Model& model, const std::string& baseDir, const LoadOptions& options) {
  ExternalResolver resolver{baseDir, {}};
  Status status;
  model.forEachGraph([&](Graph& g) {
    if (!status) return;
    std::string where = g.parentNode() ? "subgraph '" + g.name() + "':" : "initializer";
    for (Value* v : g.initializers()) {
      Tensor& t = *v->initializer();
      if (t.proto().data_location() == onnx::TensorProto::EXTERNAL) {
        if (!options.checkExternalData) continue;
        auto ref = resolver.resolve(t.proto());
        if (!ref) {
          status = ref.status();
          return;
        }
        t.setExternal(*ref);
      }
      if (auto s = checkTensorSize(t, where); !s) {
        status = s;
        return;
      }
    }
    for (Node* n : g.nodes()) {
      // Attribute tensors live in the node's proto; fixing them in place is safe before any observer exists.
      auto& proto = const_cast<onnx::NodeProto&>(n->proto());
      if (auto s = inlineAttributeTensors(proto, resolver, "node '" + n->name() + "' (" + n->opType() + ") attribute");
          !s) {
        status = s;
        return;
      }
    }
  });
  return status;
}

Result<std::unique_ptr<Model>> buildModel(onnx::ModelProto proto, const std::string& baseDir,
                                          const LoadOptions& options, const std::string& what) {
  auto model = Model::fromProto(std::move(proto));
  if (!model) return Status(model.status().code(), what + ": " + model.message());
  if (auto s = attachExternalData(**model, baseDir, options); !s) return Status(s.code(), what + ": " + s.message());
  // A cycle makes every later analysis meaningless; say so now rather than later.
  Status cyc;
  (*model)->forEachGraph([&](const Graph& g) {
    if (!cyc) return;
    auto order = g.topologicalOrder();
    if (!order) cyc = order.status();
  });
  if (!cyc) return Status(cyc.code(), what + ": " + cyc.message());
  return model;
}

}  // namespace

// ------------------------------------------------------------------ MappedFile

Result<std::shared_ptr<const MappedFile>> MappedFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status(errno == ENOENT ? ErrorCode::NotFound : ErrorCode::Io, path + ": " + sysError());
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    auto err = sysError();
    ::close(fd);
    return Status(ErrorCode::Io, path + ": " + err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status(ErrorCode::InvalidArgument, path + " is a folder, not a file");
  }
  std::shared_ptr<MappedFile> f(new MappedFile());
  f->path_ = path;
  f->size_ = static_cast<std::uint64_t>(st.st_size);
  if (f->size_ > 0) {
    void* p = ::mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      auto err = sysError();
      ::close(fd);
      return Status(ErrorCode::Io, path + ": cannot map file: " + err);
    }
    f->data_ = p;
  }
  ::close(fd);
  return std::shared_ptr<const MappedFile>(std::move(f));
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<void*>(data_), size_);
}

// ------------------------------------------------------------------ loading

namespace {

// The model's bytes in chunks for protobuf, giving back the mapped pages of each chunk once the
// parser has moved past it: protobuf copies weights into the message, so without this a model's
// weights would count twice in the process's memory while it parses (mapping + message).
class ReleasingArrayStream : public google::protobuf::io::ZeroCopyInputStream {
 public:
  // mapped: bytes_ is a read-only file mapping (never pass heap memory: its pages would be zeroed).
  ReleasingArrayStream(std::string_view bytes, bool mapped) : bytes_(bytes), mapped_(mapped) {}
  bool Next(const void** data, int* size) override {
    release();
    if (pos_ >= bytes_.size()) return false;
    std::size_t n = std::min(kChunk, bytes_.size() - pos_);
    *data = bytes_.data() + pos_;
    *size = static_cast<int>(n);
    pos_ += n;
    return true;
  }
  void BackUp(int count) override {
    pos_ -= static_cast<std::size_t>(count);
  }
  bool Skip(int count) override {
    std::size_t n = std::min(static_cast<std::size_t>(count), bytes_.size() - pos_);
    pos_ += n;
    return n == static_cast<std::size_t>(count);
  }
  std::int64_t ByteCount() const override { return static_cast<std::int64_t>(pos_); }

 private:
  static constexpr std::size_t kChunk = std::size_t(4) << 20;
  // Everything before pos_ has been read; drop whole pages of it (only when bytes_ is a mapping
  // large enough to matter; reading a dropped page again just maps it in again from the file).
  void release() {
    if (!mapped_ || bytes_.size() < 2 * kChunk) return;
    static const std::uintptr_t page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    auto begin = (reinterpret_cast<std::uintptr_t>(bytes_.data()) + released_ + page - 1) / page * page;
    auto end = (reinterpret_cast<std::uintptr_t>(bytes_.data()) + pos_) / page * page;
    if (end > begin + kChunk) {
      ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
      released_ = end - reinterpret_cast<std::uintptr_t>(bytes_.data());
    }
  }
  std::string_view bytes_;
  bool mapped_;
  std::size_t pos_ = 0, released_ = 0;
};

// How deeply messages nest in a serialized ModelProto (the model itself is level 1), walked
// with an explicit stack so a hostile depth cannot overflow ours; nullopt when the bytes are not
// well-formed. Only run after the parser refused a file, to tell "too deep" from "damaged".
std::optional<int> messageNestingDepth(std::string_view bytes) {
  using google::protobuf::Descriptor;
  using google::protobuf::FieldDescriptor;
  using WFL = google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  struct Level {
    const Descriptor* type;
    google::protobuf::io::CodedInputStream::Limit limit;
  };
  std::vector<Level> stack = {{onnx::ModelProto::descriptor(), in.PushLimit(static_cast<int>(bytes.size()))}};
  int deepest = 1;
  while (!stack.empty()) {
    const std::uint32_t tag = in.ReadTag();
    if (tag == 0) {
      if (in.BytesUntilLimit() != 0) return std::nullopt;  // a malformed tag, not the end
      in.PopLimit(stack.back().limit);
      stack.pop_back();
      continue;
    }
    const FieldDescriptor* field = stack.back().type->FindFieldByNumber(static_cast<int>(WFL::GetTagFieldNumber(tag)));
    if (field && field->type() == FieldDescriptor::TYPE_MESSAGE &&
        WFL::GetTagWireType(tag) == WFL::WIRETYPE_LENGTH_DELIMITED) {
      std::uint32_t length = 0;
      if (!in.ReadVarint32(&length) || static_cast<int>(length) < 0 ||
          static_cast<int>(length) > in.BytesUntilLimit())
        return std::nullopt;
      stack.push_back({field->message_type(), in.PushLimit(static_cast<int>(length))});
      deepest = std::max(deepest, static_cast<int>(stack.size()));
      continue;
    }
    if (!WFL::SkipField(&in, tag)) return std::nullopt;
  }
  return deepest;
}

// protobuf's default is 100; ONNX files nest about three levels per If/Loop body, so 256 allows
// some 80 nested control-flow bodies while keeping the parser's own recursion within any stack.
constexpr int kProtobufNestingLimit = 256;

Result<onnx::ModelProto> parseModelBytes(std::string_view bytes, std::string_view what, bool mapped) {
  installProtobufLogHandler();
  const std::string w(what);
  if (bytes.empty()) return Status(ErrorCode::Corrupt, w + " is empty (0 bytes); it is not an ONNX model");
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    return Status(ErrorCode::Unsupported, w + " is " + humanBytes(bytes.size()) +
                                              "; protobuf cannot parse a model over 2 GiB. Keep the weights in "
                                              "external data (e.g. onnx.save(..., save_as_external_data=True))");
  onnx::ModelProto proto;
  ReleasingArrayStream raw(bytes, mapped);
  google::protobuf::io::CodedInputStream in(&raw);
  in.SetTotalBytesLimit(INT_MAX);
  in.SetRecursionLimit(kProtobufNestingLimit);
  bool ok = false;
  try {
    ok = proto.ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
  } catch (const std::exception& e) {
    return Status(ErrorCode::Corrupt, w + " cannot be parsed: " + e.what());
  }
  if (!ok) {
    if (auto depth = messageNestingDepth(bytes); depth && *depth > kProtobufNestingLimit)
      return Status(ErrorCode::Unsupported,
                    w + " nests its messages " + std::to_string(*depth) + " levels deep (graphs inside If, Loop " +
                        "or Scan nodes inside graphs ...); Graft reads models nested up to " +
                        std::to_string(kProtobufNestingLimit) +
                        " levels, the protobuf parser's recursion limit it is built with");
  }
  if (!ok)
    return Status(ErrorCode::Corrupt, w + " is not a valid ONNX model: the protobuf data is damaged or truncated (" +
                                          humanBytes(bytes.size()) + " read)");
  // Random bytes sometimes parse as an empty-ish message; a model has an IR version and a graph.
  if (proto.ir_version() <= 0 && !proto.has_graph())
    return Status(ErrorCode::Corrupt, w + " is not an ONNX model: it has neither an IR version nor a graph");
  if (!proto.has_graph()) return Status(ErrorCode::Corrupt, w + " has no graph");
  return proto;
}

}  // namespace

Result<onnx::ModelProto> parseModelProto(std::string_view bytes, std::string_view what) {
  return parseModelBytes(bytes, what, false);
}

Result<std::string> resolveExternalLocation(const std::string& baseDir, const std::string& location,
                                            std::string_view tensorName) {
  const std::string who = "tensor '" + std::string(tensorName) + "': external data location '" + location + "'";
  if (baseDir.empty()) return Status(ErrorCode::Unsafe, who + " cannot be resolved: the model has no folder");
  if (location.empty()) return Status(ErrorCode::Corrupt, who + " is empty");
  if (location.find('\0') != std::string::npos) return Status(ErrorCode::Unsafe, who + " contains a NUL byte");
  fs::path loc(location);
  if (loc.is_absolute() || loc.has_root_name() || loc.has_root_directory())
    return Status(ErrorCode::Unsafe, who + " is an absolute path; external data must lie inside the model's folder");
  fs::path norm = loc.lexically_normal();
  if (!norm.empty() && *norm.begin() == "..")
    return Status(ErrorCode::Unsafe, who + " leaves the model's folder ('..'); refusing to read it");
  std::error_code ec;
  fs::path base = fs::weakly_canonical(fs::path(baseDir), ec);
  if (ec) return Status(ErrorCode::Io, who + ": model folder '" + baseDir + "': " + ec.message());
  fs::path full = base / norm;
  if (!fs::exists(full, ec))
    return Status(ErrorCode::NotFound, who + ": file '" + full.string() + "' does not exist");
  fs::path real = fs::canonical(full, ec);
  if (ec) return Status(ErrorCode::Io, who + ": " + ec.message());
  // A symlink inside the folder may still point outside it.
  auto rel = real.lexically_relative(base);
  if (rel.empty() || *rel.begin() == "..")
    return Status(ErrorCode::Unsafe, who + " resolves to '" + real.string() +
                                         "', outside the model's folder (through a symbolic link); refusing to read it");
  if (!fs::is_regular_file(real, ec)) return Status(ErrorCode::InvalidArgument, who + " is not a regular file");
  return real.string();
}

Result<std::unique_ptr<Model>> loadModel(const std::string& path, const LoadOptions& options,
                                         const ProgressFn& progress) {
  if (!reportProgress(progress, 0.0, "Opening")) return Status(ErrorCode::Cancelled, "loading cancelled");
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  if (ec) abs = path;
  if (!fs::exists(abs, ec)) return Status(ErrorCode::NotFound, path + ": no such file");
  auto file = MappedFile::open(abs.string());
  if (!file) return file.status();
  if (!reportProgress(progress, 0.1, "Parsing")) return Status(ErrorCode::Cancelled, "loading cancelled");
  auto proto = parseModelBytes((*file)->bytes(), path, true);
  if (!proto) return proto.status();
  if (!reportProgress(progress, 0.6, "Building graph")) return Status(ErrorCode::Cancelled, "loading cancelled");
  auto model = buildModel(std::move(*proto), abs.parent_path().string(), options, path);
  if (!model) return model.status();
  (*model)->setSource(abs.string(), abs.parent_path().string());
  if (!reportProgress(progress, 1.0, "Loaded")) return Status(ErrorCode::Cancelled, "loading cancelled");
  spdlog::info("loaded {} ({} nodes, {})", path, (*model)->graph().nodeCount(), humanBytes((*file)->size()));
  return model;
}

Result<std::unique_ptr<Model>> loadModelFromBytes(std::string_view bytes, const std::string& baseDir,
                                                  const LoadOptions& options) {
  auto proto = parseModelProto(bytes, "model data");
  if (!proto) return proto.status();
  auto model = buildModel(std::move(*proto), baseDir, options, "model data");
  if (!model) return model.status();
  (*model)->setSource({}, baseDir);
  return model;
}

// ------------------------------------------------------------------ saving

namespace {

std::function<void(std::string_view)>& stepHook() {
  static std::function<void(std::string_view)> hook;
  return hook;
}

// Every call that changes the disk during a save passes here first, so a test can stop the
// process at each one in turn (tests/test_save_crash.cpp).
void step(std::string_view what) {
  if (auto& h = stepHook()) h(what);
}

constexpr std::size_t kNameMax = 255;
constexpr const char* kTempMarker = ".graft-tmp-";

// A name of at most kNameMax bytes: long names keep their start and get a hash of the whole.
std::string fitName(const std::string& name, const std::string& suffix) {
  if (name.size() + suffix.size() <= kNameMax) return name + suffix;
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  char hex[24];
  std::snprintf(hex, sizeof hex, "-%016llx", static_cast<unsigned long long>(h));
  std::string head = name.substr(0, kNameMax - suffix.size() - std::strlen(hex));
  return head + hex + suffix;
}

// A file created beside its target and renamed (or linked) into place on commit; removed if
// never committed. Its name carries the creating process's id, so a later save can tell the
// leftovers of a killed save from a save running now.
class TempFile {
 public:
  static Result<TempFile> create(const fs::path& target) {
    TempFile t;
    t.target_ = target;
    std::random_device rd;
    for (int attempt = 0; attempt < 16; ++attempt) {
      char suffix[64];
      std::snprintf(suffix, sizeof suffix, "%s%d-%08x", kTempMarker, static_cast<int>(::getpid()),
                    static_cast<unsigned>(rd()));
      fs::path p = target.parent_path() / fitName("." + target.filename().string(), suffix);
      step("create temporary file");
      int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd >= 0) {
        t.fd_ = fd;
        t.path_ = p;
        return t;
      }
      if (errno != EEXIST)
        return Status(ErrorCode::Io, "cannot create a temporary file in '" + target.parent_path().string() +
                                         "': " + sysError());
    }
    return Status(ErrorCode::Io, "cannot create a temporary file beside " + target.string());
  }
  TempFile() = default;
  TempFile(TempFile&& o) noexcept { *this = std::move(o); }
  TempFile& operator=(TempFile&& o) noexcept {
    std::swap(fd_, o.fd_);
    std::swap(path_, o.path_);
    std::swap(target_, o.target_);
    return *this;
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const fs::path& path() const { return path_; }

  Status write(const void* data, size_t n, std::uint64_t& written) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      step("write");
      ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return {ErrorCode::Io, "writing " + target_.string() + " failed: " + sysError()};
      }
      p += w;
      n -= static_cast<size_t>(w);
      written += static_cast<std::uint64_t>(w);
    }
    return Status::ok();
  }
  // fsync and close, leaving the file ready to rename.
  Status finish() {
    step("fsync temporary file");
    if (::fsync(fd_) != 0) return {ErrorCode::Io, "flushing " + target_.string() + " failed: " + sysError()};
    if (::close(fd_) != 0) {
      fd_ = -1;
      return {ErrorCode::Io, "closing " + target_.string() + " failed: " + sysError()};
    }
    fd_ = -1;
    return Status::ok();
  }
  Status commit() {
    step("rename into place");
    if (::rename(path_.c_str(), target_.c_str()) != 0)
      return {ErrorCode::Io, "replacing " + target_.string() + " failed: " + sysError()};
    path_.clear();
    return Status::ok();
  }
  // The file stays under its temporary name (something refers to it); not removed on destruction.
  void keep() { path_.clear(); }

 private:
  int fd_ = -1;
  fs::path path_;
  fs::path target_;
};

void syncDir(const fs::path& dir) {
  step("fsync folder");
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::uint64_t estimateSize(const Model& model) {
  std::uint64_t n = 0;
  model.forEachGraph([&](const Graph& g) {
    for (Value* v : g.initializers()) n += v->initializer()->storedBytes();
  });
  return n;
}

bool hasExternal(const Model& model) {
  bool any = false;
  model.forEachGraph([&](const Graph& g) {
    for (Value* v : g.initializers()) any = any || v->initializer()->isExternal();
  });
  return any;
}

void makeInline(const Tensor& t, onnx::TensorProto& out) {
  if (!t.isExternal()) return;
  out.set_raw_data(std::string(t.rawBytes()));
  out.clear_external_data();
  out.clear_data_location();
}

// The external-data files (as written) a model file on disk refers to; empty when it cannot be read.
std::set<std::string> locationsIn(const fs::path& modelFile) {
  std::set<std::string> out;
  auto mapped = MappedFile::open(modelFile.string());
  if (!mapped) return out;
  auto proto = parseModelBytes(mapped.value()->bytes(), modelFile.string(), true);
  if (!proto) return out;
  std::function<void(const onnx::GraphProto&)> walk = [&](const onnx::GraphProto& g) {
    for (const auto& t : g.initializer())
      for (const auto& e : t.external_data())
        if (e.key() == "location") out.insert(e.value());
    for (const auto& n : g.node())
      for (const auto& a : n.attribute()) {
        if (a.has_g()) walk(a.g());
        for (const auto& sg : a.graphs()) walk(sg);
      }
  };
  walk(proto.value().graph());
  return out;
}

// Removes what killed saves of this target left behind: temporary files of processes that no
// longer run, unless the model on disk refers to one (a save killed after its first model
// switch leaves the model pointing at its temporary data name, which is then the real data).
void removeStaleTemps(const fs::path& target) {
  std::error_code ec;
  const std::string prefix = "." + target.filename().string().substr(0, 32);
  std::set<std::string> referenced;
  bool readRefs = false;
  for (const auto& e : fs::directory_iterator(target.parent_path(), ec)) {
    const std::string name = e.path().filename().string();
    auto at = name.rfind(kTempMarker);
    if (at == std::string::npos || name.rfind(prefix, 0) != 0) continue;
    int pid = std::atoi(name.c_str() + at + std::strlen(kTempMarker));
    if (pid <= 0 || pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    if (!readRefs) {
      referenced = locationsIn(target);
      readRefs = true;
    }
    if (referenced.count(name)) continue;
    step("remove stale temporary file");
    ::unlink(e.path().c_str());
  }
}

// Why a save must not replace what is at `target`; empty when it may.
std::string refusalFor(const fs::path& target, bool throughSymlink, fs::path& resolved) {
  resolved = target;
  struct stat st {};
  if (::lstat(target.c_str(), &st) != 0) return {};  // nothing there yet
  if (S_ISLNK(st.st_mode)) {
    if (!throughSymlink)
      return "it is a symbolic link; Graft does not replace or write through links unless asked to (give the "
             "link's target as OUT, or ask to write through it)";
    std::error_code ec;
    fs::path real = fs::canonical(target, ec);
    if (ec) return "it is a symbolic link whose target cannot be reached (" + ec.message() + ")";
    resolved = real;
    if (::stat(real.c_str(), &st) != 0) return {};
  }
  if (S_ISREG(st.st_mode)) return {};
  const char* kind = S_ISDIR(st.st_mode)    ? "a folder"
                     : S_ISCHR(st.st_mode)  ? "a character device"
                     : S_ISBLK(st.st_mode)  ? "a block device"
                     : S_ISFIFO(st.st_mode) ? "a FIFO (named pipe)"
                     : S_ISSOCK(st.st_mode) ? "a socket"
                                            : "not a regular file";
  return std::string("it is ") + kind + ", not a regular file; Graft only replaces regular files";
}

}  // namespace

void setSaveStepHook(std::function<void(std::string_view step)> hook) { stepHook() = std::move(hook); }

Result<std::string> serializeModel(const Model& model) {
  Model::ExportOptions opt;
  opt.onTensor = makeInline;
  onnx::ModelProto proto = model.toProto(opt);
  size_t size = proto.ByteSizeLong();
  if (size > static_cast<size_t>(INT_MAX))
    return Status(ErrorCode::Unsupported, "the model is " + humanBytes(size) +
                                              " with all weights inline, over protobuf's 2 GiB limit; save with "
                                              "external data");
  std::string out;
  if (!proto.SerializeToString(&out)) return Status(ErrorCode::Internal, "serializing the model failed");
  return out;
}

Result<SaveReport> saveModel(const Model& model, const std::string& path, const SaveOptions& options,
                             const ProgressFn& progress) {
  constexpr std::uint64_t kProtoLimit = (1ull << 31) - (64ull << 20);  // leave room for the graph itself
  std::error_code ec;
  fs::path given = fs::absolute(path, ec);
  if (ec || given.filename().empty()) return Status(ErrorCode::InvalidArgument, "'" + path + "' is not a file path");
  fs::path target;
  if (std::string why = refusalFor(given, options.throughSymlink, target); !why.empty())
    return Status(ErrorCode::InvalidArgument, "cannot save to '" + path + "': " + why);
  fs::path dir = target.parent_path();
  if (!fs::is_directory(dir, ec)) return Status(ErrorCode::NotFound, "folder '" + dir.string() + "' does not exist");
  if (target.filename().string().size() > kNameMax)
    return Status(ErrorCode::InvalidArgument, "cannot save to '" + path + "': the file name is longer than " +
                                                  std::to_string(kNameMax) + " bytes");

  SaveOptions::Data mode = options.data;
  if (mode == SaveOptions::Data::Auto)
    mode = (hasExternal(model) || estimateSize(model) > kProtoLimit) ? SaveOptions::Data::External
                                                                      : SaveOptions::Data::Inline;
  if (mode == SaveOptions::Data::Inline && estimateSize(model) > kProtoLimit)
    return Status(ErrorCode::Unsupported, "cannot save '" + path + "' inline: the weights take " +
                                              humanBytes(estimateSize(model)) +
                                              ", over protobuf's 2 GiB limit; save with external data");
  if (!reportProgress(progress, 0.0, "Preparing")) return Status(ErrorCode::Cancelled, "saving cancelled");

  SaveReport report;
  std::optional<TempFile> dataFile;
  const std::string dataName =
      options.externalFile.empty() ? fitName(target.filename().string(), ".data") : options.externalFile;
  Status failure;
  std::uint64_t total = estimateSize(model), done = 0;

  if (mode != SaveOptions::Data::Inline) {
    if (fs::path(dataName).has_parent_path() || dataName == "." || dataName == "..")
      return Status(ErrorCode::InvalidArgument, "external data file name '" + dataName +
                                                    "' must be a plain file name in the model's folder");
    if (dataName.size() > kNameMax)
      return Status(ErrorCode::InvalidArgument, "external data file name '" + dataName.substr(0, 64) +
                                                    "...' is longer than " + std::to_string(kNameMax) + " bytes");
    // The data file is replaced as a whole: refuse when it holds the weights of another model
    // file than the one being replaced (`convert a.onnx b.onnx --data-file a.onnx.data`).
    const fs::path dataPath = dir / dataName;
    fs::path dataReal;
    if (std::string why = refusalFor(dataPath, false, dataReal); !why.empty())
      return Status(ErrorCode::InvalidArgument, "cannot write external data to '" + dataPath.string() + "': " + why);
    std::error_code e1, e2;
    const bool sameModel = !model.sourcePath().empty() && fs::equivalent(model.sourcePath(), target, e1);
    if (!sameModel && fs::exists(dataPath, e2)) {
      bool usedByModel = false;
      model.forEachGraph([&](const Graph& g) {
        for (Value* v : g.initializers())
          if (const ExternalRef* ref = v->initializer()->external(); ref && ref->file) {
            std::error_code e3;
            usedByModel = usedByModel || fs::equivalent(ref->file->path(), dataPath, e3);
          }
      });
      if (usedByModel)
        return Status(ErrorCode::InvalidArgument,
                      "cannot write external data to '" + dataName + "': the model being saved reads its weights from "
                      "that file (it belongs to '" + model.sourcePath() + "'); choose another --data-file name");
    }
  }
  removeStaleTemps(target);

  Model::ExportOptions opt;
  if (mode == SaveOptions::Data::Inline) {
    opt.onTensor = makeInline;
  } else {
    auto tmp = TempFile::create(dir / dataName);
    if (!tmp) return tmp.status();
    dataFile.emplace(std::move(*tmp));
    opt.onTensor = [&](const Tensor& t, onnx::TensorProto& out) {
      if (!failure) return;
      std::string_view bytes = t.rawBytes();
      bool rawForm = t.isExternal() || t.proto().has_raw_data();
      if (!rawForm || bytes.size() < options.threshold || t.proto().data_type() == onnx::TensorProto::STRING) {
        makeInline(t, out);
        return;
      }
      // Align each tensor to 64 bytes so runtimes that map the file can use it in place.
      std::uint64_t offset = report.externalBytes;
      std::uint64_t pad = (64 - offset % 64) % 64;
      static const char zeros[64] = {};
      if (pad) {
        if (auto s = dataFile->write(zeros, pad, report.externalBytes); !s) {
          failure = s;
          return;
        }
        offset += pad;
      }
      if (auto s = dataFile->write(bytes.data(), bytes.size(), report.externalBytes); !s) {
        failure = s;
        return;
      }
      out.clear_raw_data();
      out.clear_external_data();
      out.set_data_location(onnx::TensorProto::EXTERNAL);
      auto kv = [&](const char* k, std::string v) {
        auto* e = out.add_external_data();
        e->set_key(k);
        e->set_value(std::move(v));
      };
      kv("location", dataName);
      kv("offset", std::to_string(offset));
      kv("length", std::to_string(bytes.size()));
      ++report.externalTensors;
      done += bytes.size();
      if (!reportProgress(progress, total ? 0.9 * static_cast<double>(done) / static_cast<double>(total) : 0.5,
                          "Writing weights"))
        failure = Status(ErrorCode::Cancelled, "saving cancelled");
    };
  }
  onnx::ModelProto proto = model.toProto(opt);
  if (!failure) return failure;  // temporary files are removed; the target is untouched

  size_t size = proto.ByteSizeLong();
  if (size > static_cast<size_t>(INT_MAX))
    return Status(ErrorCode::Unsupported, "the model would be " + humanBytes(size) +
                                              ", over protobuf's 2 GiB limit; save with external data");
  if (!reportProgress(progress, 0.92, "Writing model")) return Status(ErrorCode::Cancelled, "saving cancelled");

  // Writes the model (as it is in `proto` now) under a temporary name and renames it over OUT.
  auto commitModel = [&]() -> Status {
    auto modelFile = TempFile::create(target);
    if (!modelFile) return modelFile.status();
    {
      google::protobuf::io::FileOutputStream out(modelFile->fd());
      step("write");
      bool ok = proto.SerializeToZeroCopyStream(&out) && out.Flush();
      if (!ok)
        return Status(ErrorCode::Io, "writing " + target.string() + " failed: " +
                                         (out.GetErrno() ? std::strerror(out.GetErrno()) : "serialization error"));
    }
    if (auto s = modelFile->finish(); !s) return s;
    if (auto s = modelFile->commit(); !s) return s;
    syncDir(dir);
    return Status::ok();
  };
  auto setLocations = [&](const std::string& location) {
    std::function<void(onnx::GraphProto&)> walk = [&](onnx::GraphProto& g) {
      for (auto& t : *g.mutable_initializer())
        for (auto& e : *t.mutable_external_data())
          if (e.key() == "location") e.set_value(location);
      for (auto& n : *g.mutable_node())
        for (auto& a : *n.mutable_attribute()) {
          if (a.has_g()) walk(*a.mutable_g());
          for (auto& sg : *a.mutable_graphs()) walk(sg);
        }
    };
    walk(*proto.mutable_graph());
  };
  report.modelBytes = size;

  if (!dataFile || report.externalTensors == 0) {
    if (auto s = commitModel(); !s) return s;
  } else {
    // The model and its data are switched so that at every instant OUT is a whole pair: either
    // the old model with its old data, or the new model with its new data.
    //   1. new data under a temporary name (done above), synced;
    //   2. when a file of the data's name exists (the old model's weights, or mapped by this
    //      very model): a new model pointing at the temporary data replaces OUT;
    //   3. the old data file goes, the temporary one is linked to the real name;
    //   4. the new model pointing at the real name replaces OUT;
    //   5. the temporary name goes.
    // A kill anywhere leaves either pair (and at most temporary files that the next save of this
    // OUT removes). Without hard links (some USB and network file systems) step 2's pair stays.
    if (auto s = dataFile->finish(); !s) return s;
    const fs::path dataPath = dir / dataName;
    const fs::path tempPath = dataFile->path();
    const std::string tempName = tempPath.filename().string();
    std::error_code e1;
    const bool dataExists = fs::exists(fs::symlink_status(dataPath, e1));
    if (dataExists) {
      setLocations(tempName);
      if (auto s = commitModel(); !s) return s;
      dataFile->keep();  // OUT refers to it now
      step("remove old data");
      if (::unlink(dataPath.c_str()) != 0 && errno != ENOENT)
        return Status(ErrorCode::Io, "removing the old data file " + dataPath.string() + " failed: " + sysError());
    }
    step("link data into place");
    if (::link(tempPath.c_str(), dataPath.c_str()) != 0) {
      if (dataExists) {
        spdlog::warn("cannot link {} to {} ({}); the model keeps its data under the temporary name",
                     tempName, dataName, sysError());
        report.externalFile = tempName;
        reportProgress(progress, 1.0, "Saved");
        return report;
      }
      return Status(ErrorCode::Io, "cannot create " + dataPath.string() + ": " + sysError());
    }
    syncDir(dir);
    setLocations(dataName);
    if (auto s = commitModel(); !s) return s;
    step("remove temporary data name");
    ::unlink(tempPath.c_str());
    dataFile->keep();
    syncDir(dir);
    report.externalFile = dataName;
  }
  reportProgress(progress, 1.0, "Saved");
  spdlog::info("saved {} ({}{})", target.string(), humanBytes(report.modelBytes),
               report.externalFile.empty() ? std::string()
                                           : ", " + humanBytes(report.externalBytes) + " in " + report.externalFile);
  return report;
}

}  // namespace graft
