// ONNX Runtime registers its RMSNorm, SimplifiedLayerNormalization, in the *default* domain
// since version 1 (ONNX has no op of that name; RMSNormalization comes at opset 23), and rejects
// com.microsoft:SimplifiedLayerNormalization (onnxruntime/contrib_ops/cpu/cpu_contrib_kernels.cc:
// kOnnxDomain, 1, SimplifiedLayerNormalization; layer_norm_fusion.cc emits it). The RMSNorm rule
// for the onnxruntime profiles produces it, so the checker and shape inference must know its
// schema: registered here with the attributes and inference ORT defines
// (onnxruntime/core/graph/contrib_ops/contrib_defs.cc). ORT's default-domain LayerNormalization
// below opset 17 is deliberately NOT registered: the checker keeps rejecting it (analysis says
// "from opset 17"), and the ORT profiles declare `opset: 17`, so an older model is converted
// before fuse.layernorm writes the standard op.

#include <mutex>

#include <onnx/defs/schema.h>
#include <onnx/defs/shape_inference.h>

#include "rewrite/library_util.h"

namespace graft::library {
namespace {

const std::vector<std::string>& floatTypes() {
  static const std::vector<std::string> t = {"tensor(float16)", "tensor(float)", "tensor(double)", "tensor(bfloat16)"};
  return t;
}

// Y as X; the optional statistics outputs (mean, inverse std) as X with the normalized axes
// reduced to 1, in float (stash_type 1).
void normInference(onnx::InferenceContext& ctx, int firstStat) {
  onnx::propagateShapeAndTypeFromFirstInput(ctx);
  for (size_t o = static_cast<size_t>(firstStat); o < ctx.getNumOutputs(); ++o) {
    auto* out = ctx.getOutputType(o);
    if (!out) continue;
    out->mutable_tensor_type()->set_elem_type(onnx::TensorProto_DataType_FLOAT);
    if (!onnx::hasInputShape(ctx, 0)) continue;
    const auto& in = onnx::getInputShape(ctx, 0);
    const auto* axisAttr = ctx.getAttribute("axis");
    std::int64_t rank = in.dim_size(), axis = axisAttr ? axisAttr->i() : -1;
    if (axis < 0) axis += rank;
    auto* shape = out->mutable_tensor_type()->mutable_shape();
    shape->clear_dim();
    for (std::int64_t d = 0; d < rank; ++d) {
      if (d < axis)
        *shape->add_dim() = in.dim(static_cast<int>(d));
      else
        shape->add_dim()->set_dim_value(1);
    }
  }
}

void registerOnce() {
  using onnx::OpSchema;
  {
    static OpSchema s("SimplifiedLayerNormalization", __FILE__, __LINE__);
    s.SetDomain("")
        .SinceVersion(1)
        .SetDoc("ONNX Runtime's contrib RMS normalization: X / sqrt(mean(X^2) + epsilon) * scale.")
        .Attr("axis", "first normalization dimension", onnx::AttributeProto::INT, static_cast<std::int64_t>(-1))
        .Attr("epsilon", "added to the mean square", onnx::AttributeProto::FLOAT, 1e-5f)
        .Attr("stash_type", "type of the inv_std_var computation", onnx::AttributeProto::INT,
              static_cast<std::int64_t>(1))
        .Input(0, "X", "input", "T")
        .Input(1, "scale", "scale", "V")
        .Output(0, "Y", "normalized output", "V")
        .Output(1, "inv_std_var", "saved inverse standard deviation", "U", OpSchema::Optional)
        .TypeConstraint("T", floatTypes(), "input types")
        .TypeConstraint("U", {"tensor(float)", "tensor(double)"}, "statistics types")
        .TypeConstraint("V", floatTypes(), "scale and output types")
        .TypeAndShapeInferenceFunction([](onnx::InferenceContext& ctx) { normInference(ctx, 1); });
    onnx::OpSchemaRegistry::OpSchemaRegisterOnce reg(s);
  }
}

}  // namespace

void registerOrtContribSchemas() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Another component (or a test) may have registered them first: never register twice.
    if (const auto* s = onnx::OpSchemaRegistry::Schema("SimplifiedLayerNormalization", 1, ""); s) return;
    try {
      registerOnce();
    } catch (const std::exception&) {
      // A duplicate registration is harmless: the schemas are there either way.
    }
  });
}

// Rule files naming SimplifiedLayerNormalization are parsed against the schema registry, possibly
// before anyone asked the RuleRegistry for a rule: register at load time too. (This object file is
// always linked: registry.cpp reaches registerLibraryRules through rules_fusion.cpp.)
[[maybe_unused]] const bool kSchemasAtLoad = (registerOrtContribSchemas(), true);

void registerLibraryRules(RuleRegistry& registry) {
  registerOrtContribSchemas();
  registerBatchNormFoldRules(registry);
  registerFusedActivationRules(registry);
  registerAttentionRules(registry);
}

}  // namespace graft::library
