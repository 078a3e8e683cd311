// The "quantize" recipe step (graft/recipe.h): quantization with its settings, the calibration
// data it used, and the nodes kept in float as structural anchors, so the same quantization
// replays on a re-export whose node names all changed.
#include <algorithm>
#include <set>

#include "graft/quant.h"
#include "graft/recipe.h"
#include "recipe/recipe_internal.h"

namespace graft {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

const char* modeName(quant::Mode m) {
  switch (m) {
    case quant::Mode::Static: return "static";
    case quant::Mode::Dynamic: return "dynamic";
    case quant::Mode::WeightOnly: return "weight-only";
  }
  return "?";
}

const char* weightMethodName(quant::WeightMethod m) {
  switch (m) {
    case quant::WeightMethod::Rtn: return "rtn";
    case quant::WeightMethod::Gptq: return "gptq";
    case quant::WeightMethod::Awq: return "awq";
  }
  return "?";
}

// Ops a quantization leaves behind: a model with any of them counts as quantized already.
bool isQuantizedOp(const Node& n) {
  static const std::set<std::string> ops = {"QuantizeLinear",   "DequantizeLinear", "DynamicQuantizeLinear",
                                            "MatMulInteger",    "ConvInteger",      "MatMulNBits",
                                            "DynamicQuantizeMatMul", "QLinearConv", "QLinearMatMul"};
  return ops.count(n.opType()) > 0;
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string validateQuantize(const json& s) {
  const std::string mode = str(s, "mode");
  if (mode != "static" && mode != "dynamic" && mode != "weight-only")
    return "a quantize step needs \"mode\": static, dynamic or weight-only";
  if (s.contains("exclude") && !s["exclude"].is_array()) return "\"exclude\" of a quantize step is a list of nodes";
  if (s.contains("calibration") && !s["calibration"].is_object())
    return "\"calibration\" of a quantize step is an object ({\"folder\": DIR} or {\"random\": true})";
  if (mode == "weight-only") {
    const int bits = s.value("bits", 4);
    if (bits != 4 && bits != 8) return "\"bits\" of a weight-only quantize step is 4 or 8";
  }
  return {};
}

std::string describeQuantize(const json& s) {
  std::string d = "quantize (" + str(s, "mode");
  if (str(s, "mode") == "weight-only")
    d += ", " + std::to_string(s.value("bits", 4)) + "-bit " + s.value("method", std::string("rtn")) + ", block " +
         std::to_string(s.value("block_size", 32));
  else
    d += ", " + s.value("backend", std::string("onnxruntime-cpu"));
  const size_t kept = s.value("exclude", json::array()).size();
  if (kept) d += ", " + std::to_string(kept) + " node" + (kept == 1 ? "" : "s") + " kept in float";
  return d + ")";
}

Result<quant::QuantizeOptions> optionsFrom(const json& s) {
  quant::QuantizeOptions o;
  const std::string mode = str(s, "mode");
  o.mode = mode == "static" ? quant::Mode::Static : mode == "dynamic" ? quant::Mode::Dynamic : quant::Mode::WeightOnly;
  auto profile = findProfile(s.value("backend", std::string("onnxruntime-cpu")));
  if (!profile) return profile.status();
  o.placement = quant::placementFor(*profile);
  if (o.mode == quant::Mode::Static) {
    auto m = quant::parseCalibrationMethod(s.value("method", std::string("percentile")));
    if (!m) return Status(ErrorCode::InvalidArgument, "unknown calibration method '" + str(s, "method") + "'");
    o.method = *m;
    o.percentile = s.value("percentile", 99.999);
    if (s.contains("activations")) o.signedOverride = str(s, "activations") == "s8";
  } else if (o.mode == quant::Mode::WeightOnly) {
    o.bits = s.value("bits", 4);
    o.blockSize = s.value("block_size", std::int64_t(32));
    o.symmetric = s.value("symmetric", false);
    o.includeGather = s.value("include_gather", false);
    o.format = str(s, "format") == "qdq" ? quant::BlockedFormat::Qdq : quant::BlockedFormat::MatMulNBits;
    o.accuracyLevel = s.value("accuracy_level", 4);
    if (o.accuracyLevel < 0 || o.accuracyLevel > 4)
      return Status(ErrorCode::InvalidArgument, "accuracy_level " + std::to_string(o.accuracyLevel) + " is not 0 to 4");
    const std::string method = s.value("method", std::string("rtn"));
    if (method == "rtn") o.weightMethod = quant::WeightMethod::Rtn;
    else if (method == "gptq") o.weightMethod = quant::WeightMethod::Gptq;
    else if (method == "awq") o.weightMethod = quant::WeightMethod::Awq;
    else return Status(ErrorCode::InvalidArgument, "unknown weight method '" + method + "'");
  }
  return o;
}

StepReport applyQuantize(StepContext& ctx, const json& s) {
  StepReport r;
  r.kind = "quantize";
  r.description = describeQuantize(s);
  auto notApplicable = [&r](std::string why) {
    r.outcome = StepOutcome::NotApplicable;
    r.message = std::move(why);
    return r;
  };
  Model& model = *ctx.model;
  size_t quantized = 0;
  for (const Node* n : model.graph().nodes())
    if (isQuantizedOp(*n)) ++quantized;
  if (quantized) {
    r.outcome = StepOutcome::AlreadyTrue;
    r.message = "the model has " + std::to_string(quantized) + " quantization nodes already";
    return r;
  }
  auto o = optionsFrom(s);
  if (!o) return notApplicable(o.message());
  // The nodes kept in float, found again by structure: their names differ on a re-export.
  for (const auto& ref : s.value("exclude", json::array())) {
    auto n = ctx.targets.resolveNode(ref);
    if (!n) return notApplicable("a node kept in float: " + n.message());
    o->exclude.insert((*n)->name());
  }
  const json cal = s.value("calibration", json::object());
  const std::string folder = str(cal, "folder");
  const int holdout = cal.value("holdout", folder.empty() ? 4 : -1);
  auto samples = folder.empty()
                     ? quant::randomSamples(model, cal.value("samples", 8), holdout, cal.value("seed", std::uint64_t(1)))
                     : quant::loadSampleFolder(model, folder, holdout);
  if (!samples) return notApplicable("calibration data: " + samples.message());
  if (auto st = quant::checkOptions(model, *o); !st) return notApplicable(st.message());
  quant::CalibrateOptions co;
  co.collectStats = o->mode == quant::Mode::Static;
  co.collectGram = o->mode == quant::Mode::WeightOnly && o->weightMethod != quant::WeightMethod::Rtn;
  co.progress = ctx.options.progress;
  auto calibration = quant::calibrate(model, *samples, co);
  if (!calibration) return notApplicable("calibration: " + calibration.message());
  std::optional<quant::QuantizeReport> report;
  // In a journal of its own, so a failure leaves the model exactly as it was.
  auto rec = recordChange(model, [&](ChangeRecord&) -> Status {
    auto q = quant::quantizeModel(model, *o, calibration->get());
    if (!q) return q.status();
    report = std::move(*q);
    return Status::ok();
  });
  if (!rec) return notApplicable(rec.message());
  r.outcome = StepOutcome::Applied;
  r.message = "quantized " + std::to_string(report->nodes.size()) + " nodes";
  if (ctx.options.apply.verify && !samples->holdout.empty()) {
    auto err = quant::analyzeError(model, *report, **calibration, *samples);
    if (err) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "; output SQNR %.2f dB on %d held-back sample%s", err->sqnr, err->samples,
                    err->samples == 1 ? "" : "s");
      r.message += buf;
      if (err->randomData) r.message += " of random data";
    } else {
      r.message += "; not scored: " + err.message();
    }
  }
  return r;
}

}  // namespace

RecipeStep recipeStepForQuantize(const Model& floatModel, const quant::QuantizeOptions& o,
                                 const std::string& calibrationFolder, int holdout) {
  RecipeTargets targets(floatModel);
  ojson j;
  j["kind"] = "quantize";
  j["mode"] = modeName(o.mode);
  j["backend"] = o.placement.backend;
  if (o.mode == quant::Mode::Static) {
    j["method"] = quant::methodName(o.method);
    if (o.method == quant::CalibrationMethod::Percentile) j["percentile"] = o.percentile;
    if (o.signedOverride) j["activations"] = *o.signedOverride ? "s8" : "u8";
  } else if (o.mode == quant::Mode::WeightOnly) {
    j["method"] = weightMethodName(o.weightMethod);
    j["bits"] = o.bits;
    j["block_size"] = o.blockSize;
    j["symmetric"] = o.symmetric;
    j["format"] = o.format == quant::BlockedFormat::Qdq ? "qdq" : "matmulnbits";
    if (o.format == quant::BlockedFormat::MatMulNBits) j["accuracy_level"] = o.accuracyLevel;
    if (o.includeGather) j["include_gather"] = true;
  }
  ojson cal;
  if (calibrationFolder.empty()) {
    cal["random"] = true;
    cal["samples"] = 8;
    cal["holdout"] = holdout > 0 ? holdout : 4;
    cal["seed"] = 1;
  } else {
    cal["folder"] = calibrationFolder;
    if (holdout > 0) cal["holdout"] = holdout;
  }
  j["calibration"] = cal;
  j["exclude"] = ojson::array();
  std::vector<std::string> names(o.exclude.begin(), o.exclude.end());
  for (const auto& name : names) {
    const Node* n = floatModel.graph().findNodeByName(name);
    j["exclude"].push_back(n ? targets.nodeRef(*n) : ojson(name));
  }
  return {j};
}

StepKind quantizeStepKind() { return {validateQuantize, describeQuantize, applyQuantize}; }

}  // namespace graft
