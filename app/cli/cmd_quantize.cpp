// `graft-cli quantize IN OUT --mode ...`: calibrate on sample data (or seeded random inputs, said
// so everywhere), quantize, score on held-back samples, optionally keep sensitive nodes in float
// until a target output SQNR holds, save, and show sizes, output SQNR and the worst nodes.
#include <charconv>
#include <cmath>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "graft/io.h"
#include "graft/quant.h"
#include "graft/recipe.h"
#include "graft/rewrite.h"

namespace graft::cli {
namespace {

const char* kUsage =
    "Usage: graft-cli quantize IN OUT --mode dynamic|static|weight-only [--bits 8|4] [--block-size N]\n"
    "           [--format qdq|matmulnbits] [--accuracy-level 0-4] [--symmetric] [--activations u8|s8]\n"
    "           [--calibration DIR]\n"
    "           [--method minmax|moving-average|percentile|entropy|rtn|gptq|awq] [--percentile P]\n"
    "           [--include-gather] [--exclude NODE]... [--backend PROFILE] [--target-sqnr DB]\n"
    "           [--holdout N] [--report FILE.json] [--save-recipe FILE] [--through-symlink] [--json]\n"
    "           [--progress]\n"
    "\n"
    "Quantize IN and write OUT. Modes:\n"
    "  static       INT8 QDQ: s8 symmetric per-channel weights, per-tensor activations (u8\n"
    "               asymmetric unless --activations s8 or the backend wants s8), int32 bias;\n"
    "               the backend profile decides which ops get Q/DQ\n"
    "  dynamic      INT8 weights, activations quantized at run time (DynamicQuantizeLinear +\n"
    "               MatMulInteger, or com.microsoft.DynamicQuantizeMatMul where the backend prefers it)\n"
    "  weight-only  blocked 4- or 8-bit MatMul weights (Gather tables too with --include-gather)\n"
    "\n"
    "Options:\n"
    "  --backend PROFILE   placement for static/dynamic (default onnxruntime-cpu; see 'match --help')\n"
    "  --activations u8|s8 activation type for static mode\n"
    "  --method M          static: minmax, moving-average, percentile (default), entropy;\n"
    "                      weight-only: rtn (default), gptq, awq (these use the calibration data)\n"
    "  --percentile P      for --method percentile (default 99.999)\n"
    "  --bits 8|4          weight-only bits (default 4)\n"
    "  --block-size N      weight-only block along K: a power of two from 16 to 256 (default 32)\n"
    "  --format F          weight-only encoding: matmulnbits (com.microsoft.MatMulNBits, default) or\n"
    "                      qdq (opset-21 DequantizeLinear with block_size on INT4/UINT4, + MatMul)\n"
    "  --accuracy-level L  MatMulNBits' accuracy_level: the lowest precision a runtime may use for\n"
    "                      the activations: 4 int8 (default, ONNX Runtime's fast CPU kernels; Graft\n"
    "                      evaluates it in bf16), 3 bf16, 1 fp32, 0 unset (float)\n"
    "  --symmetric         weight-only: symmetric blocks (default asymmetric, with zero points)\n"
    "  --include-gather    weight-only: also Gather tables (embeddings), as blocked DequantizeLinear\n"
    "  --calibration DIR   one subfolder per sample with INPUTNAME.npy, or test_data_set_K/input_J.pb;\n"
    "                      the last --holdout samples (default a third) score the result. Without it:\n"
    "                      seeded random inputs, and every figure says so\n"
    "  --exclude NODE      keep this node in float (repeatable)\n"
    "  --target-sqnr DB    keep the most sensitive nodes in float until the output SQNR reaches DB\n"
    "  --report FILE.json  write every per-node figure\n"
    "  --save-recipe FILE  also write the quantization as a recipe step (settings, calibration data,\n"
    "                      the nodes kept in float by structure) that replays on another export\n"
    "  --through-symlink   OUT may be a symbolic link: replace the file it leads to\n"
    "  --json              print the report as JSON instead of text\n"
    "  --progress          show progress on stderr\n"
    "\n"
    "SQNR is the lowest over the model's outputs of 10*log10(sum ref^2 / sum (ref - q)^2), on\n"
    "held-back samples not used for calibration.\n"
    "\n"
    "Exit codes: 0 written, 1 the model or data cannot be quantized as asked (nothing written),\n"
    "2 usage error, 3 cannot read IN or write OUT.\n";

std::string db(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 2);
  return std::string(buf, r.ptr);
}

nlohmann::json jsonNumber(double v) {
  if (std::isfinite(v)) return v;
  return v > 0 ? "inf" : "-inf";
}

}  // namespace

int runQuantize(std::vector<std::string> args) {
  CommandLine cl("quantize", kUsage);
  for (const char* o : {"--mode", "--bits", "--block-size", "--accuracy-level", "--format", "--activations", "--calibration", "--method", "--percentile",
                        "--backend", "--target-sqnr", "--report", "--holdout", "--save-recipe"})
    cl.option(o);
  for (const char* f : {"--symmetric", "--include-gather", "--json", "--progress", "--through-symlink"}) cl.flag(f);
  cl.repeated("--exclude");
  if (auto stop = cl.parse(args, {"IN", "OUT"})) return *stop;
  const std::string& in = cl.positionals()[0];
  const std::string& out = cl.positionals()[1];

  quant::QuantizeOptions o;
  if (!cl.has("--mode")) return cl.usageError("--mode is required: dynamic, static or weight-only");
  const std::string mode = cl.value("--mode");
  if (mode == "static") o.mode = quant::Mode::Static;
  else if (mode == "dynamic") o.mode = quant::Mode::Dynamic;
  else if (mode == "weight-only") o.mode = quant::Mode::WeightOnly;
  else return cl.usageError("--mode wants dynamic, static or weight-only, not '" + mode + "'");

  auto intOption = [&](const char* name, std::int64_t& v) -> bool {
    if (!cl.has(name)) return true;
    const std::string& s = cl.value(name);
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size();
  };
  auto doubleOption = [&](const char* name, double& v) -> bool {
    if (!cl.has(name)) return true;
    const std::string& s = cl.value(name);
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size();
  };
  std::int64_t bits = 4, block = 32, holdout = -1, accuracy = 4;
  if (!intOption("--bits", bits) || (bits != 4 && bits != 8)) return cl.usageError("--bits wants 4 or 8");
  if (!intOption("--block-size", block)) return cl.usageError("--block-size wants a number");
  if (!intOption("--holdout", holdout) || (cl.has("--holdout") && holdout < 1)) return cl.usageError("--holdout wants a positive number of samples");
  if (!intOption("--accuracy-level", accuracy) || accuracy < 0 || accuracy > 4) return cl.usageError("--accuracy-level wants 0 to 4");
  o.bits = static_cast<int>(bits);
  o.blockSize = block;
  o.accuracyLevel = static_cast<int>(accuracy);
  if (o.mode != quant::Mode::WeightOnly)
    for (const char* w : {"--bits", "--block-size", "--format", "--symmetric", "--include-gather", "--accuracy-level"})
      if (cl.has(w)) return cl.usageError(std::string(w) + " applies to --mode weight-only");
  if (o.mode == quant::Mode::WeightOnly && (block < 16 || block > 256 || (block & (block - 1))))
    return cl.usageError("--block-size " + std::to_string(block) + " is out of range: use a power of two from 16 to 256");
  if (cl.has("--format")) {
    const std::string& f = cl.value("--format");
    if (f == "qdq") o.format = quant::BlockedFormat::Qdq;
    else if (f == "matmulnbits") o.format = quant::BlockedFormat::MatMulNBits;
    else return cl.usageError("--format wants qdq or matmulnbits, not '" + f + "'");
  }
  o.symmetric = cl.has("--symmetric");
  o.includeGather = cl.has("--include-gather");
  if (cl.has("--activations")) {
    if (o.mode != quant::Mode::Static) return cl.usageError("--activations applies to --mode static");
    const std::string& a = cl.value("--activations");
    if (a != "u8" && a != "s8") return cl.usageError("--activations wants u8 or s8");
    o.signedOverride = a == "s8";
  }
  std::string method = cl.has("--method") ? cl.value("--method") : (o.mode == quant::Mode::WeightOnly ? "rtn" : "percentile");
  if (o.mode == quant::Mode::WeightOnly) {
    if (method == "rtn") o.weightMethod = quant::WeightMethod::Rtn;
    else if (method == "gptq") o.weightMethod = quant::WeightMethod::Gptq;
    else if (method == "awq") o.weightMethod = quant::WeightMethod::Awq;
    else return cl.usageError("weight-only --method wants rtn, gptq or awq, not '" + method + "'");
  } else if (o.mode == quant::Mode::Static) {
    auto m = quant::parseCalibrationMethod(method);
    if (!m) return cl.usageError("static --method wants minmax, moving-average, percentile or entropy, not '" + method + "'");
    o.method = *m;
  } else if (cl.has("--method")) {
    return cl.usageError("--method does not apply to --mode dynamic (activation ranges are measured at run time)");
  }
  if (!doubleOption("--percentile", o.percentile) || o.percentile <= 50 || o.percentile > 100)
    return cl.usageError("--percentile wants a number in (50, 100], such as 99.999");
  std::optional<double> target;
  if (cl.has("--target-sqnr")) {
    double t = 0;
    if (!doubleOption("--target-sqnr", t)) return cl.usageError("--target-sqnr wants a number of dB, such as 30");
    target = t;
  }
  for (const auto& e : cl.values("--exclude")) o.exclude.insert(e);
  std::string backend = cl.has("--backend") ? cl.value("--backend") : "onnxruntime-cpu";
  auto profile = findProfile(backend);
  if (!profile) return cl.usageError(profile.message());
  o.placement = quant::placementFor(profile.value());

  bool showProgress = cl.has("--progress");
  auto loaded = loadWithProgress(in, showProgress);
  if (!loaded) return reportError(loaded.status(), in);
  Model& model = **loaded;
  for (const auto& e : o.exclude)
    if (!model.graph().findNodeByName(e)) return cl.usageError("--exclude '" + e + "': the model has no node of that name");
  if (auto s = quant::checkOptions(model, o); !s) {
    std::cerr << "graft-cli: " << in << ": " << s.message() << "; nothing written\n";
    return kExitInvalid;
  }

  Result<quant::SampleSet> samples = cl.has("--calibration") ? quant::loadSampleFolder(model, cl.value("--calibration"), static_cast<int>(holdout))
                                                             : quant::randomSamples(model, 8, holdout > 0 ? static_cast<int>(holdout) : 4);
  if (!samples) {
    std::cerr << "graft-cli: " << samples.message() << "; nothing written\n";
    return samples.status().code() == ErrorCode::Io ? kExitError : kExitInvalid;
  }
  if (samples->holdout.empty()) {
    std::cerr << "graft-cli: the calibration folder has one sample; give at least two (the last ones are held back for scoring); nothing written\n";
    return kExitInvalid;
  }
  ProgressFn progress = stderrProgress(showProgress);
  quant::CalibrateOptions co;
  co.collectStats = o.mode == quant::Mode::Static;
  co.collectGram = o.mode == quant::Mode::WeightOnly && o.weightMethod != quant::WeightMethod::Rtn;
  co.progress = progress;
  auto cal = quant::calibrate(model, samples.value(), co);
  if (!cal) {
    std::cerr << "graft-cli: calibration: " << cal.message() << "; nothing written\n";
    return kExitInvalid;
  }
  o.progress = progress;
  auto result = quant::quantizeAndScore(model, o, cal.value().get(), samples.value(), target);
  if (!result) {
    std::cerr << "graft-cli: " << in << ": " << result.message() << "; nothing written\n";
    return result.status().code() == ErrorCode::Io ? kExitError : kExitInvalid;
  }
  SaveOptions saveOptions;
  saveOptions.throughSymlink = cl.has("--through-symlink");
  auto saved = saveModel(*result->model, out, saveOptions);
  if (!saved) return reportError(saved.status(), out);
  if (cl.has("--save-recipe")) {
    // The nodes --target-sqnr kept in float belong to the recipe too: replaying it quantizes
    // exactly what this run did, without scoring rounds.
    quant::QuantizeOptions kept = o;
    for (const auto& name : result->error.excluded) kept.exclude.insert(name);
    Recipe recipe;
    recipe.description = "graft-cli quantize --mode " + mode + " on " + in;
    recipe.steps.push_back(recipeStepForQuantize(model, kept, cl.has("--calibration") ? cl.value("--calibration") : std::string(),
                                                 static_cast<int>(holdout)));
    if (auto st = writeRecipe(recipe, cl.value("--save-recipe")); !st) return reportError(st, cl.value("--save-recipe"));
  }

  const quant::ErrorReport& e = result->error;
  std::vector<const quant::NodeError*> worst;
  for (const auto& n : e.nodes) worst.push_back(&n);
  std::stable_sort(worst.begin(), worst.end(), [](auto* a, auto* b) { return a->sqnr < b->sqnr; });

  nlohmann::ordered_json j;
  j["format_version"] = 1;
  j["input"] = in;
  j["output"] = out;
  j["mode"] = mode;
  j["backend"] = o.placement.backend;
  j["method"] = method;
  if (o.mode == quant::Mode::WeightOnly) {
    j["bits"] = o.bits;
    j["block_size"] = o.blockSize;
    j["symmetric"] = o.symmetric;
    j["format"] = o.format == quant::BlockedFormat::Qdq ? "qdq" : "matmulnbits";
    if (o.format == quant::BlockedFormat::MatMulNBits) j["accuracy_level"] = o.accuracyLevel;
  }
  j["data"] = {{"source", e.dataSource}, {"random", e.randomData}, {"calibration_samples", samples->calibration.size()},
               {"held_back_samples", samples->holdout.size()}};
  j["sizes"] = {{"initializer_bytes_before", e.sizes.bytesBefore}, {"initializer_bytes_after", e.sizes.bytesAfter},
                {"file_bytes", saved->modelBytes},
                {"quantized_weights", e.sizes.weightElements}, {"weight_bytes_before", e.sizes.weightBytesBefore},
                {"weight_bytes_after", e.sizes.weightBytesAfter}, {"bits_per_weight", e.sizes.bitsPerWeight()}};
  j["sqnr_db"] = jsonNumber(e.sqnr);
  j["output_sqnr_db"] = nlohmann::json::object();
  for (const auto& [name, v] : e.outputSqnr) j["output_sqnr_db"][name] = jsonNumber(v);
  if (e.top1Agreement) j["top1_agreement"] = *e.top1Agreement;
  j["nodes"] = nlohmann::json::array();
  for (const auto& n : e.nodes)
    j["nodes"].push_back({{"node", n.node}, {"op", n.opType}, {"output", n.output}, {"sqnr_db", jsonNumber(n.sqnr)}, {"cosine", n.cosine}});
  for (const auto& qn : result->report.nodes)
    for (auto& jn : j["nodes"])
      if (jn["node"] == qn.node) {
        jn["form"] = qn.form;
        jn["weights"] = qn.weightElements;
        jn["weight_bytes_before"] = qn.weightBytesBefore;
        jn["weight_bytes_after"] = qn.weightBytesAfter;
      }
  j["kept_float"] = nlohmann::json::array();
  for (std::size_t i = 0; i < e.excluded.size(); ++i) j["kept_float"].push_back({{"node", e.excluded[i]}, {"why", e.excludedWhy[i]}});
  j["skipped"] = result->report.skipped;

  if (cl.has("--report")) {
    std::ofstream f(cl.value("--report"), std::ios::binary);
    if (!f || !(f << j.dump(2) << "\n")) return reportError("cannot write the report", cl.value("--report"));
  }
  if (cl.has("--json")) {
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "wrote " << out << " (" << humanBytes(saved->modelBytes) << ")\n";
  std::cout << "quantized " << result->report.nodes.size() << " nodes (" << mode;
  if (o.mode == quant::Mode::WeightOnly)
    std::cout << ", " << o.bits << "-bit " << method << (o.symmetric ? " symmetric" : " asymmetric") << ", block " << o.blockSize << ", "
              << (o.format == quant::BlockedFormat::Qdq ? "DequantizeLinear" : "MatMulNBits");
  else if (o.mode == quant::Mode::Static)
    std::cout << ", " << method << ", " << o.placement.backend;
  else
    std::cout << ", " << o.placement.backend;
  std::cout << ")\n";
  std::cout << "weights: " << humanBytes(e.sizes.bytesBefore) << " -> " << humanBytes(e.sizes.bytesAfter) << " (" << withThousands(e.sizes.bytesBefore)
            << " -> " << withThousands(e.sizes.bytesAfter) << " bytes); quantized weights " << withThousands(static_cast<std::uint64_t>(e.sizes.weightElements))
            << " at " << db(e.sizes.bitsPerWeight()) << " bits each, scales and zero points counted\n";
  std::cout << "scored on " << e.samples << " held-back sample" << (e.samples == 1 ? "" : "s") << " of " << e.dataSource
            << (e.randomData ? "  [RANDOM DATA: ranges and scores say little about real inputs; give --calibration DIR]" : "") << "\n";
  std::cout << "output SQNR: " << db(e.sqnr) << " dB";
  if (e.outputSqnr.size() > 1) {
    std::cout << " (lowest of";
    for (const auto& [name, v] : e.outputSqnr) std::cout << " " << name << " " << db(v);
    std::cout << ")";
  }
  std::cout << "\n";
  if (e.top1Agreement) std::cout << "top-1 agreement: " << db(100.0 * *e.top1Agreement) << "%\n";
  if (!e.excluded.empty()) {
    std::cout << "kept in float to reach " << db(*target) << " dB:\n";
    for (std::size_t i = 0; i < e.excluded.size(); ++i) std::cout << "  " << e.excluded[i] << ": " << e.excludedWhy[i] << "\n";
  }
  std::vector<std::vector<std::string>> rows{{"node", "op", "SQNR dB", "cosine"}};
  for (std::size_t i = 0; i < worst.size() && i < 10; ++i) {
    char cos[32];
    auto r = std::to_chars(cos, cos + sizeof cos, worst[i]->cosine, std::chars_format::fixed, 5);
    rows.push_back({worst[i]->node, worst[i]->opType, db(worst[i]->sqnr), std::string(cos, r.ptr)});
  }
  if (rows.size() > 1) {
    std::cout << "worst nodes:\n" << formatTable(rows, "  ", {2, 3});
  }
  return kExitOk;
}

}  // namespace graft::cli
