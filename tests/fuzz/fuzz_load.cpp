// Fuzzes the loader: any bytes must either load into a consistent IR or fail with a message,
// never crash, leak, hang or allocate for what the bytes merely declare.
//
// Besides "no crash", the target checks what a user relies on after a load: every graph has a
// topological order (a cycle is a load error), the model serializes, and its bytes load again
// into the same model (the lossless round trip). A broken invariant aborts with a message.
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/message_differencer.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "graft/io.h"
#include "graft/ir.h"
#ifdef GRAFT_FUZZ_ANALYSIS
#include "graft/analysis.h"
#endif

namespace fs = std::filesystem;

namespace {

// A model folder for external data: data.bin (4 KiB of a byte ramp), a file in a subfolder,
// and a symlink leading outside, so inputs can reach every branch of location checking.
std::string gBaseDir;
// GRAFT_FUZZ_EXACT=1: an input without external data must come back from the IR unchanged.
bool gExact = false;

void makeBaseDir() {
  char tmpl[] = "/tmp/graft-fuzz-XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::perror("mkdtemp");
    std::abort();
  }
  gBaseDir = tmpl;
  std::string ramp(4096, '\0');
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<char>(i * 7);
  std::ofstream(fs::path(gBaseDir) / "data.bin", std::ios::binary) << ramp;
  fs::create_directory(fs::path(gBaseDir) / "sub");
  std::ofstream(fs::path(gBaseDir) / "sub" / "w.bin", std::ios::binary) << ramp.substr(0, 256);
  std::error_code ec;
  fs::create_symlink("/etc/hostname", fs::path(gBaseDir) / "outside.bin", ec);
  std::ofstream(fs::path(gBaseDir) / "empty.bin", std::ios::binary);
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_load: invariant broken: %s\n", what.c_str());
  std::abort();
}

void exerciseGraph(const graft::Graph& g) {
  auto order = g.topologicalOrder();
  // buildModel refuses cycles, so a loaded graph always has an order covering every node.
  if (!order) fail("loaded graph has no topological order: " + order.message());
  if (order->size() != g.nodeCount()) fail("topological order misses nodes");
  for (graft::Value* v : g.values()) {
    if (g.findValue(v->name()) != v) fail("value lookup by name disagrees for '" + v->name() + "'");
    (void)v->isConstant();
    (void)v->isGraphInput();
    if (graft::Tensor* t = v->initializer()) {
      (void)t->elementCount();
      (void)t->storedBytes();
      std::string_view raw = t->rawBytes();
      // Touch the first and last byte so ASan sees any slice outside its mapping.
      if (!raw.empty()) {
        volatile char first = raw.front(), last = raw.back();
        (void)first;
        (void)last;
      }
    }
    for (const graft::Use& u : v->uses())
      if (!u.node || u.node->input(static_cast<size_t>(u.index)) != v) fail("use list out of sync for '" + v->name() + "'");
  }
  g.forEachNode([&](const graft::Node& n) {
    if (g.findNode(n.id()) != &n) fail("node index out of sync");
    for (graft::Value* out : n.outputs())
      if (out && out->producer() != &n) fail("producer of '" + out->name() + "' out of sync");
  });
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  spdlog::set_level(spdlog::level::off);
  makeBaseDir();
  const char* exact = std::getenv("GRAFT_FUZZ_EXACT");
  gExact = exact && std::string(exact) == "1";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto loaded = graft::loadModelFromBytes(bytes, gBaseDir);
  if (!loaded) {
    if (loaded.status().code() == graft::ErrorCode::Ok || loaded.message().empty())
      fail("a failed load must say why");
    return 0;
  }
  graft::Model& model = **loaded;
  const graft::Model& cmodel = model;
  cmodel.forEachGraph([](const graft::Graph& g) { exerciseGraph(g); });
  (void)model.totalNodeCount();

  // External tensors are rewritten by the loader (attribute tensors inlined), so only inputs
  // that cannot name an external file are held to exact equality.
  if (gExact && bytes.find("location") == std::string_view::npos) {
    auto original = graft::parseModelProto(bytes, "input");
    std::string diff;
    google::protobuf::util::MessageDifferencer differ;
    differ.ReportDifferencesToString(&diff);
    // A field set to its default (e.g. an empty name) and an absent one mean the same to ONNX.
    differ.set_message_field_comparison(google::protobuf::util::MessageDifferencer::EQUIVALENT);
    google::protobuf::util::DefaultFieldComparator sameNan;  // a NaN weight is still the same weight
    sameNan.set_treat_nan_as_equal(true);
    differ.set_field_comparator(&sameNan);
    if (original && !differ.Compare(*original, model.toProto())) fail("IR round trip changed the model:\n" + diff);
  }

  graft::Model::ExportOptions strip;
  strip.stripLargeData = true;
  (void)model.toProto(strip).ByteSizeLong();

  auto first = graft::serializeModel(model);
  if (!first) return 0;  // e.g. over 2 GiB once external data is inlined
  auto again = graft::loadModelFromBytes(*first, {});
  if (!again) fail("a loaded model's own bytes do not load again: " + again.message());
  auto second = graft::serializeModel(**again);
  if (!second) fail("reloaded model does not serialize: " + second.message());
  if (*first != *second) fail("round trip is not stable: serialize(load(serialize(m))) != serialize(m)");

#ifdef GRAFT_FUZZ_ANALYSIS
  auto types = graft::inferShapes(model);
  (void)graft::computeStatistics(model, types ? &*types : nullptr);
  (void)graft::validateModel(model);
  model.graph().forEachNode([](const graft::Node& n) { (void)graft::describeNode(n); });
#endif
  return 0;
}
