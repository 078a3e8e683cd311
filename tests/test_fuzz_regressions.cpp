// fuzz_regressions: every file in tests/data/crashers/ (inputs the loader fuzzer found, and
// hand-made hostile files from tests/fuzz/make_crashers.py) loads cleanly or is refused with a
// message, never crashes; the hand-made ones are refused with the error a user needs to see.
#include <algorithm>
#include <fstream>
#include <map>

#include "graft/analysis.h"
#include "graft/io.h"
#include "testutil.h"

using namespace graft;
namespace fs = std::filesystem;

namespace {

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeFile(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

fs::path crashersDir() { return fs::path(GRAFT_TEST_DATA) / "crashers"; }

// What a hand-made input must produce: the error code and words its message must contain
// (what is wrong and where). Code Ok means it must load.
struct Expect {
  ErrorCode code;
  std::vector<std::string> says;
};

const std::map<std::string, Expect>& expectations() {
  static const std::map<std::string, Expect> m = {
      {"hand_cycle.onnx", {ErrorCode::Invalid, {"cycle", "'first'", "'second'"}}},
      {"hand_duplicate_output.onnx", {ErrorCode::Invalid, {"'Y'", "'two'", "defined once"}}},
      {"hand_deep_nesting_100.onnx", {ErrorCode::Unsupported, {"307 levels deep", "up to 256 levels"}}},
      {"hand_deep_nesting_60.onnx", {ErrorCode::Ok, {}}},
      {"hand_truncated.onnx", {ErrorCode::Corrupt, {"damaged or truncated"}}},
      {"hand_empty.onnx", {ErrorCode::Corrupt, {"empty", "0 bytes"}}},
      {"hand_png_header.onnx", {ErrorCode::Corrupt, {"not"}}},
      {"hand_huge_dims_attribute.onnx", {ErrorCode::Corrupt, {"'const'", "'huge'", "[1099511627776,1099511627776]", "holds 4 bytes"}}},
      {"hand_negative_dims.onnx", {ErrorCode::Corrupt, {"'W'", "negative dimension", "[-1,4]"}}},
      {"hand_typed_count_mismatch.onnx", {ErrorCode::Corrupt, {"'W'", "1000000000 elements", "stores 3 values"}}},
      {"hand_dims_overflow.onnx", {ErrorCode::Corrupt, {"'W'", "9223372036854775807", "holds 16 bytes"}}},
      {"hand_external_offset_near_max.onnx", {ErrorCode::Corrupt, {"'W'", "data.bin", "offset 18446744073709551552", "4096 bytes"}}},
      {"hand_external_length_past_end.onnx", {ErrorCode::Corrupt, {"'W'", "data.bin", "offset 4000", "length 256", "4096 bytes"}}},
      {"hand_external_length_too_small.onnx", {ErrorCode::Corrupt, {"'W'", "needs 4.0 KiB", "holds 16 bytes"}}},
      {"hand_external_parent_escape.onnx", {ErrorCode::Unsafe, {"'W'", "../../../etc/passwd", "leaves the model's folder"}}},
      {"hand_external_absolute.onnx", {ErrorCode::Unsafe, {"'W'", "/etc/passwd", "absolute path"}}},
      {"hand_external_symlink_escape.onnx", {ErrorCode::Unsafe, {"'W'", "outside.bin", "symbolic link"}}},
      {"hand_external_missing_file.onnx", {ErrorCode::NotFound, {"'W'", "nope.bin", "does not exist"}}},
      {"hand_external_no_location.onnx", {ErrorCode::Corrupt, {"'W'", "no location"}}},
      {"hand_external_offset_not_number.onnx", {ErrorCode::Corrupt, {"'W'", "'12abc'", "not a number"}}},
      {"hand_external_folder.onnx", {ErrorCode::InvalidArgument, {"'W'", "'sub'", "not a regular file"}}},
      {"hand_external_empty_file.onnx", {ErrorCode::Corrupt, {"'W'", "needs 16 bytes", "holds 0 bytes"}}},
      {"hand_external_attribute_offset.onnx", {ErrorCode::Corrupt, {"'c'", "sub/w.bin", "offset 9223372036854775808", "256 bytes"}}},
      {"hand_external_ok_subfolder.onnx", {ErrorCode::Ok, {}}},
      // Found by fuzz_load: a string tensor in external data loaded, but its save did not.
      {"string_external.onnx", {ErrorCode::Corrupt, {"'W'", "strings in external data"}}},
      // Found by fuzz_load (GRAFT_FUZZ_EXACT): two graph attributes named 'then_branch' loaded,
      // and the save wrote one subgraph over the other.
      {"duplicate_graph_attribute.onnx", {ErrorCode::Invalid, {"SequenceInsert", "'then_branch' more than once"}}},
      // Found by fuzz_load with GRAFT_FUZZ_ANALYSIS: loads fine, but onnx 1.12's Scan shape
      // inference dereferences null on its body (a Scan output the body never produces).
      {"infer_scan_body_segv.onnx", {ErrorCode::Ok, {}}},
  };
  return m;
}

}  // namespace

class FuzzRegressionsTest : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir tmp_;
  fs::path folder_;

  // The model folder fuzz_load lays out (tests/fuzz/fuzz_load.cpp), so external-data
  // locations in found inputs resolve the same way here.
  void makeModelFolder() {
    folder_ = fs::path(tmp_.path().toStdString()) / "model";
    fs::create_directories(folder_ / "sub");
    std::string ramp(4096, '\0');
    for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<char>(i * 7);
    writeFile(folder_ / "data.bin", ramp);
    writeFile(folder_ / "sub" / "w.bin", ramp.substr(0, 256));
    writeFile(folder_ / "empty.bin", "");
    fs::create_symlink("/etc/hostname", folder_ / "outside.bin");
  }

  static void checkLoadedModel(Model& model, const std::string& file) {
    // What opening a model in the studio runs next: none of it may crash on a hostile file.
    auto inferred = inferShapes(model);
    if (inferred.isOk()) (void)computeStatistics(model, &*inferred);
    (void)validateModel(model);
    if (file == "infer_scan_body_segv.onnx") {
      QVERIFY(inferred.isOk());
      bool named = false;
      for (const auto& p : inferred->problems)
        named = named || (p.opType == "Scan" && p.message.find("num_scan_inputs") != std::string::npos);
      QVERIFY2(named, "the Scan without num_scan_inputs is reported, not inferred");
    }
    Status cyc;
    model.forEachGraph([&](const Graph& g) {
      auto order = g.topologicalOrder();
      if (!order && cyc) cyc = order.status();
      if (order && order->size() != g.nodeCount()) cyc = Status(ErrorCode::Internal, "order misses nodes");
    });
    QVERIFY2(cyc.isOk(), (file + ": " + cyc.message()).c_str());
    auto bytes = serializeModel(model);
    QVERIFY2(bytes.isOk(), (file + ": " + bytes.message()).c_str());
    auto again = loadModelFromBytes(*bytes, {});
    QVERIFY2(again.isOk(), (file + ": its own bytes do not load again: " + again.message()).c_str());
    auto twice = serializeModel(**again);
    QVERIFY(twice.isOk());
    QVERIFY2(*twice == *bytes, (file + ": round trip is not stable").c_str());
  }

 private slots:
  void initTestCase() {
    QVERIFY(tmp_.isValid());
    makeModelFolder();
    QVERIFY2(fs::is_directory(crashersDir()), crashersDir().c_str());
  }

  void loadsOrFailsCleanly_data() {
    QTest::addColumn<QString>("file");
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(crashersDir()))
      if (e.is_regular_file()) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    for (const auto& n : names) QTest::newRow(n.c_str()) << QString::fromStdString(n);
  }

  // Through both entry points: bytes (what the fuzzer calls) and a file beside its data.
  void loadsOrFailsCleanly() {
    QFETCH(QString, file);
    const std::string name = file.toStdString();
    const std::string bytes = readFile(crashersDir() / name);
    fs::copy_file(crashersDir() / name, folder_ / name, fs::copy_options::overwrite_existing);

    auto fromBytes = loadModelFromBytes(bytes, folder_.string());
    auto fromFile = loadModel((folder_ / name).string());
    fs::remove(folder_ / name);

    for (const auto* r : {&fromBytes, &fromFile}) {
      if (r->isOk()) continue;
      QVERIFY(r->status().code() != ErrorCode::Ok);
      QVERIFY2(!r->message().empty(), "a refused model must say why");
    }
    // The log shows each refusal as the user would read it.
    if (!fromBytes.isOk()) qInfo("%s: [%s] %s", name.c_str(), errorCodeName(fromBytes.status().code()), fromBytes.message().c_str());
    QCOMPARE(fromFile.isOk(), fromBytes.isOk());
    QCOMPARE(fromFile.status().code(), fromBytes.status().code());
    if (!fromFile.isOk())  // the file path names the file, so the user knows which one
      QVERIFY2(fromFile.message().find(name) != std::string::npos, fromFile.message().c_str());

    auto it = expectations().find(name);
    if (it != expectations().end()) {
      const Expect& want = it->second;
      QVERIFY2(fromBytes.status().code() == want.code,
               (std::string("got ") + errorCodeName(fromBytes.status().code()) + ", want " +
                errorCodeName(want.code) + ": " + fromBytes.message())
                   .c_str());
      for (const auto& word : want.says)
        QVERIFY2(fromBytes.message().find(word) != std::string::npos,
                 ("message lacks \"" + word + "\": " + fromBytes.message()).c_str());
    }
    if (fromBytes.isOk()) {
      checkLoadedModel(**fromBytes, name);
      checkLoadedModel(**fromFile, name);
    }
  }

  // A deleted or renamed input must not silently drop its check.
  void everyExpectationHasItsFile() {
    for (const auto& [name, _] : expectations())
      QVERIFY2(fs::exists(crashersDir() / name), (name + " is missing from tests/data/crashers").c_str());
  }

  // 60 nested If levels: the IR keeps every level, and the leaf still reads the main graph's X.
  void deepNestingKeepsEveryLevel() {
    auto model = loadModel((crashersDir() / "hand_deep_nesting_60.onnx").string());
    QVERIFY2(model.isOk(), model.message().c_str());
    size_t graphs = 0;
    const Graph* deepest = nullptr;
    (*model)->forEachGraph([&](const Graph& g) {
      ++graphs;
      if (g.name() == "leaf") deepest = &g;
    });
    QCOMPARE(graphs, size_t(1 + 2 * 60));  // main graph + then/else of each level
    QVERIFY(deepest);
    Node* leaf = deepest->findNodeByName("leaf");
    QVERIFY(leaf);
    QCOMPARE(&leaf->input(0)->graph(), &(*model)->graph());
    QVERIFY(leaf->input(0)->isGraphInput());
  }

  // Good external data in a subfolder is mapped, not copied, and reads the right bytes.
  void externalDataInSubfolderMaps() {
    fs::copy_file(crashersDir() / "hand_external_ok_subfolder.onnx", folder_ / "ok.onnx",
                  fs::copy_options::overwrite_existing);
    auto model = loadModel((folder_ / "ok.onnx").string());
    QVERIFY2(model.isOk(), model.message().c_str());
    Value* w = (*model)->graph().findValue("W");
    QVERIFY(w && w->initializer() && w->initializer()->isExternal());
    std::string_view raw = w->initializer()->rawBytes();
    QCOMPARE(raw.size(), size_t(16));
    for (size_t i = 0; i < raw.size(); ++i) QCOMPARE(raw[i], static_cast<char>((16 + i) * 7));
  }
};

QTEST_GUILESS_MAIN(FuzzRegressionsTest)
#include "test_fuzz_regressions.moc"
