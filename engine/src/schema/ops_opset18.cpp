// Opset 18 (and the direct successors of its ops): Reduce* with axes as an input, Split with
// num_outputs, Pad with axes (19: wrap), Resize with antialias/axes/keep_aspect_ratio_policy (19:
// half_pixel_symmetric), ScatterND/ScatterElements max/min, Bitwise*, Col2Im, CenterCropPad,
// GroupNormalization (21: per-channel scale), LpPool ceil_mode/dilations, AveragePool-19
// dilations, Mish, OptionalGetElement/OptionalHasElement on plain tensors and sequences.
// Written from the ONNX operator documentation (docs/Operators.md, docs/Changelog.md).
#include <cmath>
#include <cstring>

#include "schema/builder.h"

namespace graft::schema::detail {
namespace {

using onnx::AttributeProto;
using onnx::InferenceContext;
using onnx::OpSchema;

const onnx::OpSchema& library(const char* op, int version) {
  const onnx::OpSchema* s = onnx::OpSchemaRegistry::Schema(op, version, "");
  if (!s) throw std::runtime_error(std::string("the onnx library has no ") + op + "-" + std::to_string(version));
  return *s;
}

Types constraintOf(const onnx::OpSchema& s, const std::string& param) {
  for (const auto& tc : s.typeConstraintParams())
    if (tc.type_param_str == param) return tc.allowed_type_strs;
  return {};
}

std::string docOf(const onnx::OpSchema& s) { return s.doc() ? s.doc() : ""; }

// ---------------------------------------------------------------- Reduce*
void reduce18(const char* op, int since, const Types& types, const std::string& extraDoc) {
  const auto& old = library(op, 17);
  const auto& sum13 = library("ReduceSum", 13);
  OpSchema s = make(op, since,
                    docOf(old) + "\n\nFrom opset 18 the axes to reduce are an optional second input instead of an "
                                 "attribute; with no axes all dimensions are reduced unless noop_with_empty_axes is 1." +
                        extraDoc);
  s.Attr("keepdims", "Keep the reduced dimensions (1) or drop them (0).", AttributeProto::INT,
         static_cast<std::int64_t>(1));
  s.Attr("noop_with_empty_axes",
         "With no axes (input absent or empty): 0 reduces all dimensions, 1 passes the input through.",
         AttributeProto::INT, static_cast<std::int64_t>(0));
  s.Input(0, "data", "An input tensor.", "T");
  s.Input(1, "axes", "Axes to reduce, in [-r, r-1]; absent or empty means all (see noop_with_empty_axes).",
          "tensor(int64)", OpSchema::Optional);
  s.Output(0, "reduced", "Reduced output tensor.", "T");
  s.TypeConstraint("T", types, "Input and output types.");
  s.TypeAndShapeInferenceFunction(sum13.GetTypeAndShapeInferenceFunction());
  add(std::move(s));
}

// ---------------------------------------------------------------- Pad
void padInference(InferenceContext& ctx) {
  onnx::propagateElemTypeFromInputToOutput(ctx, 0, 0);
  const int rank = inputRank(ctx, 0);
  if (rank < 0) return;
  const auto& in = onnx::getInputShape(ctx, 0);
  auto* out = outputShape(ctx, 0);
  auto pads = constInts(ctx, 1);
  std::vector<std::int64_t> axes;
  if (hasInput(ctx, 3)) {
    auto a = constInts(ctx, 3);
    if (!a) {
      for (int d = 0; d < rank; ++d) out->add_dim();
      return;
    }
    axes = *a;
  } else {
    for (int d = 0; d < rank; ++d) axes.push_back(d);
  }
  const size_t n = axes.size();
  if (pads && pads->size() != 2 * n)
    fail_shape_inference("pads has ", pads->size(), " values; expected 2 x ", n, " (twice the number of axes)");
  for (int d = 0; d < rank; ++d) *out->add_dim() = in.dim(d);
  if (!pads) {
    for (auto& a : axes) out->mutable_dim(static_cast<int>(a < 0 ? a + rank : a))->clear_dim_value();
    for (int d = 0; d < rank; ++d) out->mutable_dim(d)->clear_dim_param();
    return;
  }
  for (size_t k = 0; k < n; ++k) {
    std::int64_t axis = axes[k] < 0 ? axes[k] + rank : axes[k];
    if (axis < 0 || axis >= rank) fail_shape_inference("axes value ", axes[k], " is out of range for rank ", rank);
    auto* dim = out->mutable_dim(static_cast<int>(axis));
    if (in.dim(static_cast<int>(axis)).has_dim_value())
      dim->set_dim_value(in.dim(static_cast<int>(axis)).dim_value() + (*pads)[k] + (*pads)[k + n]);
    else if ((*pads)[k] + (*pads)[k + n] != 0)
      dim->Clear();
  }
}

void pad(int since, std::vector<std::string> modes, const Types& types) {
  OpSchema s = make("Pad", since,
                    "Pads a tensor. `pads` holds [x1_begin, x2_begin, ..., x1_end, x2_end, ...] for the axes in "
                    "`axes` (all axes when absent); negative values remove elements. Modes: constant (fill with "
                    "constant_value, default 0), reflect (mirror without the edge), edge (repeat the edge)" +
                        std::string(since >= 19 ? ", wrap (circular, as if the data repeated)" : "") + ".");
  enumAttr(s, "mode", "Padding mode.", "constant", std::move(modes));
  s.Input(0, "data", "Input tensor.", "T");
  s.Input(1, "pads", "Begin and end pad counts for each padded axis (int64, 1-D of 2 x number of axes).",
          "tensor(int64)");
  s.Input(2, "constant_value", "Scalar fill value for mode constant (default 0, empty string, or false).", "T",
          OpSchema::Optional);
  s.Input(3, "axes", "Axes `pads` refers to, in [-r, r-1]; default all axes.", "Tind", OpSchema::Optional);
  s.Output(0, "output", "Padded tensor.", "T");
  s.TypeConstraint("T", types, "Input and output types.");
  s.TypeConstraint("Tind", tensors({"int32", "int64"}), "Axes types.");
  s.TypeAndShapeInferenceFunction(padInference);
  add(std::move(s));
}

// ---------------------------------------------------------------- Split
void splitInference(InferenceContext& ctx) {
  for (size_t o = 0; o < ctx.getNumOutputs(); ++o) onnx::propagateElemTypeFromInputToOutput(ctx, 0, o);
  const int rank = inputRank(ctx, 0);
  if (rank < 0) return;
  const auto& in = onnx::getInputShape(ctx, 0);
  std::int64_t axis = onnx::getAttribute(ctx, "axis", static_cast<std::int64_t>(0));
  if (axis < -rank || axis >= rank) fail_shape_inference("axis ", axis, " is out of range for rank ", rank);
  if (axis < 0) axis += rank;
  const auto* numOutputsAttr = ctx.getAttribute("num_outputs");
  const bool hasSplit = hasInput(ctx, 1);
  if (hasSplit && numOutputsAttr) fail_shape_inference("give either the split input or num_outputs, not both");
  if (numOutputsAttr && numOutputsAttr->i() != static_cast<std::int64_t>(ctx.getNumOutputs()))
    fail_shape_inference("num_outputs is ", numOutputsAttr->i(), " but the node has ", ctx.getNumOutputs(),
                         " outputs");
  const size_t n = ctx.getNumOutputs();
  std::vector<std::int64_t> sizes;
  const auto& axisDim = in.dim(static_cast<int>(axis));
  if (hasSplit) {
    auto split = constInts(ctx, 1);
    if (split) {
      if (split->size() != n) fail_shape_inference("split has ", split->size(), " values for ", n, " outputs");
      std::int64_t total = 0;
      for (auto v : *split) total += v;
      if (axisDim.has_dim_value() && total != axisDim.dim_value())
        fail_shape_inference("split sums to ", total, " but the axis has ", axisDim.dim_value(), " elements");
      sizes = *split;
    }
  } else if (axisDim.has_dim_value() && n > 0) {
    const std::int64_t len = axisDim.dim_value();
    const std::int64_t each = (len + static_cast<std::int64_t>(n) - 1) / static_cast<std::int64_t>(n);
    if (!numOutputsAttr && len % static_cast<std::int64_t>(n) != 0)
      fail_shape_inference("the axis of ", len, " elements does not split evenly into ", n, " outputs");
    for (size_t o = 0; o < n; ++o)
      sizes.push_back(std::max<std::int64_t>(0, std::min(each, len - each * static_cast<std::int64_t>(o))));
  }
  for (size_t o = 0; o < n; ++o) {
    auto* out = outputShape(ctx, o);
    for (int d = 0; d < rank; ++d) {
      auto* dim = out->add_dim();
      if (d != axis)
        *dim = in.dim(d);
      else if (!sizes.empty())
        dim->set_dim_value(sizes[o]);
    }
  }
}

// ---------------------------------------------------------------- Resize
void resizeInference(InferenceContext& ctx) {
  onnx::propagateElemTypeFromInputToOutput(ctx, 0, 0);
  const int rank = inputRank(ctx, 0);
  if (rank < 0) return;
  const auto& in = onnx::getInputShape(ctx, 0);
  std::vector<std::int64_t> axes;
  if (!onnx::getRepeatedAttribute(ctx, "axes", axes))
    for (int d = 0; d < rank; ++d) axes.push_back(d);
  for (auto& a : axes) {
    if (a < -rank || a >= rank) fail_shape_inference("axes value ", a, " is out of range for rank ", rank);
    if (a < 0) a += rank;
  }
  auto* out = outputShape(ctx, 0);
  for (int d = 0; d < rank; ++d) *out->add_dim() = in.dim(d);
  for (auto a : axes) out->mutable_dim(static_cast<int>(a))->Clear();
  const bool hasScales = hasInput(ctx, 2), hasSizes = hasInput(ctx, 3);
  if (hasScales && hasSizes) {
    // An empty scales next to sizes is allowed; both given with data is not.
    const onnx::TensorProto* scales = ctx.getInputData(2);
    const bool emptyScales = scales && scales->dims_size() == 1 && scales->dims(0) == 0;
    if (!emptyScales && scales) fail_shape_inference("give either scales or sizes, not both");
  }
  if (hasSizes) {
    auto sizes = constInts(ctx, 3);
    if (!sizes || sizes->empty()) return;
    if (sizes->size() != axes.size())
      fail_shape_inference("sizes has ", sizes->size(), " values for ", axes.size(), " axes");
    const std::string policy = onnx::getAttribute(ctx, "keep_aspect_ratio_policy", std::string("stretch"));
    if (policy == "stretch") {
      for (size_t k = 0; k < axes.size(); ++k) out->mutable_dim(static_cast<int>(axes[k]))->set_dim_value((*sizes)[k]);
      return;
    }
    double scale = policy == "not_larger" ? 1e300 : 0.0;
    for (size_t k = 0; k < axes.size(); ++k) {
      const auto& d = in.dim(static_cast<int>(axes[k]));
      if (!d.has_dim_value() || d.dim_value() == 0) return;
      const double r = static_cast<double>((*sizes)[k]) / static_cast<double>(d.dim_value());
      scale = policy == "not_larger" ? std::min(scale, r) : std::max(scale, r);
    }
    for (size_t k = 0; k < axes.size(); ++k) {
      const auto& d = in.dim(static_cast<int>(axes[k]));
      out->mutable_dim(static_cast<int>(axes[k]))
          ->set_dim_value(static_cast<std::int64_t>(std::round(scale * static_cast<double>(d.dim_value()))));
    }
    return;
  }
  if (hasScales) {
    const onnx::TensorProto* t = ctx.getInputData(2);
    if (!t || t->data_type() != onnx::TensorProto::FLOAT) return;
    std::vector<float> scales;
    if (t->has_raw_data()) {
      scales.resize(t->raw_data().size() / 4);
      std::memcpy(scales.data(), t->raw_data().data(), scales.size() * 4);
    } else {
      scales.assign(t->float_data().begin(), t->float_data().end());
    }
    if (scales.empty()) return;
    if (scales.size() != axes.size())
      fail_shape_inference("scales has ", scales.size(), " values for ", axes.size(), " axes");
    for (size_t k = 0; k < axes.size(); ++k) {
      const auto& d = in.dim(static_cast<int>(axes[k]));
      if (d.has_dim_value())
        out->mutable_dim(static_cast<int>(axes[k]))
            ->set_dim_value(static_cast<std::int64_t>(std::floor(static_cast<double>(d.dim_value()) * scales[k])));
    }
  }
}

void resize(int since) {
  std::vector<std::string> coordinateModes = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                              "tf_crop_and_resize"};
  if (since >= 19) coordinateModes.insert(coordinateModes.begin() + 1, "half_pixel_symmetric");
  OpSchema s = make("Resize", since,
                    "Resizes the input tensor. Each output dimension is computed from `sizes`, or from `scales` "
                    "as floor(input_dimension * scale); only the dimensions in `axes` change when it is given. "
                    "`keep_aspect_ratio_policy` (with sizes) keeps the aspect ratio: not_larger fits inside the "
                    "sizes, not_smaller covers them. `antialias` applies an antialiasing filter when downscaling "
                    "with linear or cubic modes.");
  s.Attr("antialias", "1 applies antialiasing when downscaling (linear and cubic modes).", AttributeProto::INT,
         static_cast<std::int64_t>(0));
  s.Attr("axes", "Axes `scales` and `sizes` refer to, in [-r, r-1]; default all, in order.", AttributeProto::INTS,
         onnx::OPTIONAL_VALUE);
  enumAttr(s, "coordinate_transformation_mode", "How an output coordinate maps to an input coordinate.",
           "half_pixel", coordinateModes);
  s.Attr("cubic_coeff_a", "The coefficient a of cubic interpolation.", AttributeProto::FLOAT, -0.75f);
  s.Attr("exclude_outside", "1 gives the weight of samples outside the tensor 0 and renormalizes.",
         AttributeProto::INT, static_cast<std::int64_t>(0));
  s.Attr("extrapolation_value", "Value for samples outside [0, dim-1] in tf_crop_and_resize.", AttributeProto::FLOAT,
         0.0f);
  enumAttr(s, "keep_aspect_ratio_policy", "How `sizes` is read when the aspect ratio must be kept.", "stretch",
           {"stretch", "not_larger", "not_smaller"});
  enumAttr(s, "mode", "Interpolation mode.", "nearest", {"nearest", "linear", "cubic"});
  enumAttr(s, "nearest_mode", "Rounding of the nearest mode.", "round_prefer_floor",
           {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"});
  s.Input(0, "X", "N-D tensor.", "T1");
  s.Input(1, "roi", "1-D [start1, ..., end1, ...] region, used by tf_crop_and_resize.", "T2", OpSchema::Optional);
  s.Input(2, "scales", "Scale per axis in `axes`.", "tensor(float)", OpSchema::Optional);
  s.Input(3, "sizes", "Output size per axis in `axes`.", "tensor(int64)", OpSchema::Optional);
  s.Output(0, "Y", "Resized tensor.", "T1");
  s.TypeConstraint("T1", allTensorTypes(17), "Input and output types.");
  s.TypeConstraint("T2", tensors({"float16", "float", "double"}), "roi types.");
  s.TypeAndShapeInferenceFunction(resizeInference);
  add(std::move(s));
}

// ---------------------------------------------------------------- Col2Im, CenterCropPad
void col2imInference(InferenceContext& ctx) {
  onnx::propagateElemTypeFromInputToOutput(ctx, 0, 0);
  const int rank = inputRank(ctx, 0);
  if (rank >= 0 && rank != 3) fail_shape_inference("input must be 3-D [N, C * prod(block_shape), L], got rank ", rank);
  auto image = constInts(ctx, 1);
  auto block = constInts(ctx, 2);
  if (image && block && image->size() != block->size())
    fail_shape_inference("image_shape has ", image->size(), " values but block_shape has ", block->size());
  if (!image) return;
  auto* out = outputShape(ctx, 0);
  auto* n = out->add_dim();
  auto* c = out->add_dim();
  if (rank == 3) {
    const auto& in = onnx::getInputShape(ctx, 0);
    *n = in.dim(0);
    if (block && in.dim(1).has_dim_value()) {
      std::int64_t prod = 1;
      for (auto b : *block) prod *= b;
      if (prod <= 0 || in.dim(1).dim_value() % prod != 0)
        fail_shape_inference("input dimension 1 (", in.dim(1).dim_value(),
                             ") is not a multiple of the block size product ", prod);
      c->set_dim_value(in.dim(1).dim_value() / prod);
    }
  }
  for (auto v : *image) out->add_dim()->set_dim_value(v);
}

void centerCropPadInference(InferenceContext& ctx) {
  onnx::propagateElemTypeFromInputToOutput(ctx, 0, 0);
  const int rank = inputRank(ctx, 0);
  if (rank < 0) return;
  const auto& in = onnx::getInputShape(ctx, 0);
  std::vector<std::int64_t> axes;
  if (!onnx::getRepeatedAttribute(ctx, "axes", axes))
    for (int d = 0; d < rank; ++d) axes.push_back(d);
  auto shape = constInts(ctx, 1);
  auto* out = outputShape(ctx, 0);
  for (int d = 0; d < rank; ++d) *out->add_dim() = in.dim(d);
  if (shape && shape->size() != axes.size())
    fail_shape_inference("shape has ", shape->size(), " values for ", axes.size(), " axes");
  for (size_t k = 0; k < axes.size(); ++k) {
    std::int64_t a = axes[k] < 0 ? axes[k] + rank : axes[k];
    if (a < 0 || a >= rank) fail_shape_inference("axes value ", axes[k], " is out of range for rank ", rank);
    auto* dim = out->mutable_dim(static_cast<int>(a));
    dim->Clear();
    if (shape) dim->set_dim_value((*shape)[k]);
  }
}

// ---------------------------------------------------------------- Optional*
void optionalGetElementInference(InferenceContext& ctx) {
  const onnx::TypeProto* in = ctx.getInputType(0);
  if (!in) return;
  if (in->has_optional_type()) {
    if (in->optional_type().has_elem_type()) *ctx.getOutputType(0) = in->optional_type().elem_type();
    return;
  }
  *ctx.getOutputType(0) = *in;
}

void optionalHasElementInference(InferenceContext& ctx) {
  auto* out = ctx.getOutputType(0)->mutable_tensor_type();
  out->set_elem_type(onnx::TensorProto::BOOL);
  out->mutable_shape()->clear_dim();
}

Types optionalAndPlain(int opset) {
  Types out;
  for (const auto& t : allTensorTypes(opset)) {
    if (t == "tensor(string)" || t.find("complex") != std::string::npos || t.find("float8") != std::string::npos ||
        t.find("int4") != std::string::npos || t.find("float4") != std::string::npos ||
        t.find("int2") != std::string::npos)
      continue;
    out.push_back("optional(" + t + ")");
    out.push_back("optional(seq(" + t + "))");
  }
  for (const auto& t : join(numericTypes(), tensors({"bool", "string", "complex64", "complex128"}))) {
    out.push_back(t);
    out.push_back("seq(" + t + ")");
  }
  return out;
}

// ---------------------------------------------------------------- GroupNormalization
void groupNorm(int since) {
  const bool perChannel = since >= 21;
  OpSchema s = make(
      "GroupNormalization", since,
      std::string("Group normalization (https://arxiv.org/abs/1803.08494): the channels of X [N, C, D1, ...] are "
                  "divided into num_groups groups; each group is normalized to zero mean and unit variance over "
                  "its channels and spatial positions, y = scale * (x - mean) / sqrt(variance + epsilon) + bias. ") +
          (perChannel ? "scale and bias have one value per channel [C]; the statistics are computed in the type "
                        "given by stash_type."
                      : "scale and bias have one value per group [num_groups]."));
  s.Attr("epsilon", "Added to the variance to avoid division by zero.", AttributeProto::FLOAT, 1e-5f);
  s.Attr("num_groups", "Number of groups; C must be divisible by it.", AttributeProto::INT, true);
  if (perChannel) {
    intEnumAttr(s, "stash_type", "Element type of the statistics (1: float).", 1, {1, 2, 10, 11, 16});
  }
  s.Input(0, "X", "Input [N, C, D1, ...].", "T");
  s.Input(1, "scale", perChannel ? "Scale, [C]." : "Scale, [num_groups].", "T");
  s.Input(2, "bias", perChannel ? "Bias, [C]." : "Bias, [num_groups].", "T");
  s.Output(0, "Y", "Normalized tensor, the shape of X.", "T");
  s.TypeConstraint("T", floatTypes(), "Float tensors.");
  s.TypeAndShapeInferenceFunction([perChannel](InferenceContext& ctx) {
    onnx::propagateShapeAndTypeFromFirstInput(ctx);
    const auto* groups = ctx.getAttribute("num_groups");
    if (groups && groups->i() <= 0) fail_shape_inference("num_groups must be positive, got ", groups->i());
    if (inputRank(ctx, 0) < 0 || !groups) return;
    const auto& x = onnx::getInputShape(ctx, 0);
    if (x.dim_size() < 2) fail_shape_inference("X must have at least 2 dimensions [N, C, ...]");
    const auto& c = x.dim(1);
    if (c.has_dim_value() && c.dim_value() % groups->i() != 0)
      fail_shape_inference("C = ", c.dim_value(), " is not divisible by num_groups = ", groups->i());
    const std::int64_t expected = perChannel ? (c.has_dim_value() ? c.dim_value() : -1) : groups->i();
    for (size_t i : {size_t{1}, size_t{2}}) {
      if (inputRank(ctx, i) != 1 || expected < 0) continue;
      const auto& d = onnx::getInputShape(ctx, i).dim(0);
      if (d.has_dim_value() && d.dim_value() != expected)
        fail_shape_inference(i == 1 ? "scale" : "bias", " has ", d.dim_value(), " values; expected ", expected,
                             perChannel ? " (one per channel)" : " (one per group)");
    }
  });
  add(std::move(s));
}

}  // namespace

// Pooling output shapes (MaxPool-12's rule with dilations and ceil_mode). With ceil_mode, a last window that would start inside the end padding is dropped (the
  // rule the ONNX reference and PyTorch apply; MaxPool-12's inference keeps it).
onnx::InferenceFunction poolingInference() {
  const auto maxPool12 = library("MaxPool", 12).GetTypeAndShapeInferenceFunction();
  return [maxPool12](InferenceContext& ctx) {
    maxPool12(ctx);
    if (onnx::getAttribute(ctx, "ceil_mode", static_cast<std::int64_t>(0)) == 0) return;
    if (onnx::getAttribute(ctx, "auto_pad", std::string("NOTSET")) != "NOTSET") return;
    if (inputRank(ctx, 0) < 3 || !ctx.getOutputType(0)->tensor_type().has_shape()) return;
    const auto& x = onnx::getInputShape(ctx, 0);
    auto* y = ctx.getOutputType(0)->mutable_tensor_type()->mutable_shape();
    std::vector<std::int64_t> kernel, strides, pads;
    onnx::getRepeatedAttribute(ctx, "kernel_shape", kernel);
    onnx::getRepeatedAttribute(ctx, "strides", strides);
    onnx::getRepeatedAttribute(ctx, "pads", pads);
    const int spatial = x.dim_size() - 2;
    if (y->dim_size() != x.dim_size() || static_cast<int>(kernel.size()) != spatial) return;
    for (int i = 0; i < spatial; ++i) {
      auto* out = y->mutable_dim(2 + i);
      const auto& in = x.dim(2 + i);
      if (!out->has_dim_value() || !in.has_dim_value()) continue;
      const std::int64_t stride = strides.empty() ? 1 : strides[static_cast<size_t>(i)];
      const std::int64_t padBegin = pads.empty() ? 0 : pads[static_cast<size_t>(i)];
      if (out->dim_value() > 1 && (out->dim_value() - 1) * stride >= in.dim_value() + padBegin)
        out->set_dim_value(out->dim_value() - 1);
    }
  };
}

void registerOpset18() {
  // Reduce*: axes move from attribute to input (ReduceSum did so at 13).
  for (const char* op : {"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMean", "ReduceProd",
                         "ReduceSumSquare", "ReduceMax", "ReduceMin"})
    reduce18(op, 18, constraintOf(library(op, 17), "T"), "");
  for (const char* op : {"ReduceMax", "ReduceMin"})
    reduce18(op, 20, join(constraintOf(library(op, 17), "T"), tensors({"bool"})),
             "\n\nFrom opset 20 boolean tensors are accepted (max is logical or, min logical and).");

  // Split-18: num_outputs splits into that many (nearly) equal parts, the last one smaller.
  {
    const auto& old = library("Split", 13);
    OpSchema s = make("Split", 18,
                      "Splits a tensor into a list of tensors along `axis`: by the sizes in the optional `split` "
                      "input, or into `num_outputs` parts of ceil(length / num_outputs) elements (the last part "
                      "smaller when the length does not divide evenly), or else into as many equal parts as the "
                      "node has outputs.");
    s.Attr("axis", "Axis to split on, in [-rank, rank-1].", AttributeProto::INT, static_cast<std::int64_t>(0));
    s.Attr("num_outputs", "Number of outputs to split into; exclusive with the split input.", AttributeProto::INT,
           onnx::OPTIONAL_VALUE);
    s.Input(0, "input", "The tensor to split.", "T");
    s.Input(1, "split", "Length of each output along the axis (sums to the axis length).", "tensor(int64)",
            OpSchema::Optional);
    s.Output(0, "outputs", "One or more outputs forming the split of the input.", "T", OpSchema::Variadic);
    s.TypeConstraint("T", constraintOf(old, "T"), "All tensor types.");
    s.TypeAndShapeInferenceFunction(splitInference);
    add(std::move(s));
  }

  pad(18, {"constant", "reflect", "edge"}, constraintOf(library("Pad", 13), "T"));
  pad(19, {"constant", "reflect", "edge", "wrap"}, constraintOf(library("Pad", 13), "T"));
  resize(18);
  resize(19);

  // ScatterND / ScatterElements: reduction gains max and min.
  for (const char* op : {"ScatterND", "ScatterElements"}) {
    derive(op, 18, [](const std::string&, const Types& t) { return t; },
           "From opset 18 `reduction` also accepts max and min.");
    AttrRule r;
    r.op = op;
    r.since = 18;
    r.attr = "reduction";
    r.strings = {"none", "add", "mul", "max", "min"};
    addRule(r);
  }

  // Bitwise*: elementwise on integer tensors, with broadcasting (not for Not).
  const Types bitwiseTypes = intTypes();
  for (const char* op : {"BitwiseAnd", "BitwiseOr", "BitwiseXor"}) {
    OpSchema s = make(op, 18,
                      std::string("Elementwise bitwise ") + (op[7] == 'A' ? "and" : op[7] == 'O' ? "or" : "xor") +
                          " of two integer tensors, with numpy-style broadcasting.");
    s.Input(0, "A", "First operand.", "T");
    s.Input(1, "B", "Second operand.", "T");
    s.Output(0, "C", "Result.", "T");
    s.TypeConstraint("T", bitwiseTypes, "Integer tensors.");
    s.TypeAndShapeInferenceFunction(broadcastInference);
    add(std::move(s));
  }
  {
    OpSchema s = make("BitwiseNot", 18, "Elementwise bitwise not of an integer tensor.");
    s.Input(0, "X", "Input tensor.", "T");
    s.Output(0, "Y", "Output tensor.", "T");
    s.TypeConstraint("T", bitwiseTypes, "Integer tensors.");
    s.TypeAndShapeInferenceFunction(sameAsInput0);
    add(std::move(s));
  }

  {
    OpSchema s = make("Col2Im", 18,
                      "Rearranges column blocks back into a multidimensional image (the inverse of im2col, "
                      "summing overlapping values). input is [N, C * prod(block_shape), L] where L is the number "
                      "of blocks; the output is [N, C, image_shape...].");
    s.Attr("dilations", "Dilation per spatial axis (default 1).", AttributeProto::INTS, onnx::OPTIONAL_VALUE);
    s.Attr("pads", "Begin and end padding per spatial axis (default 0).", AttributeProto::INTS, onnx::OPTIONAL_VALUE);
    s.Attr("strides", "Stride per spatial axis (default 1).", AttributeProto::INTS, onnx::OPTIONAL_VALUE);
    s.Input(0, "input", "Data blocks [N, C * prod(block_shape), L].", "T");
    s.Input(1, "image_shape", "Spatial shape of the image (int64, 1-D).", "tensor(int64)");
    s.Input(2, "block_shape", "Shape of a block (int64, 1-D).", "tensor(int64)");
    s.Output(0, "output", "Image [N, C, image_shape...].", "T");
    s.TypeConstraint("T", allTensorTypes(17), "All tensor types.");
    s.TypeAndShapeInferenceFunction(col2imInference);
    add(std::move(s));
  }
  {
    OpSchema s = make("CenterCropPad", 18,
                      "Center-crops or pads the input to `shape` along `axes` (all axes by default): a larger "
                      "dimension is cropped around its center, a smaller one padded with zeros around it.");
    s.Attr("axes", "Axes `shape` refers to, in [-r, r-1].", AttributeProto::INTS, onnx::OPTIONAL_VALUE);
    s.Input(0, "input_data", "Input tensor.", "T");
    s.Input(1, "shape", "Target size per axis.", "Tind");
    s.Output(0, "output_data", "Cropped or padded tensor.", "T");
    s.TypeConstraint("T", allTensorTypes(17), "All tensor types.");
    s.TypeConstraint("Tind", tensors({"int32", "int64"}), "Shape types.");
    s.TypeAndShapeInferenceFunction(centerCropPadInference);
    add(std::move(s));
  }

  groupNorm(18);
  groupNorm(21);

  // Pooling: LpPool-18 gains ceil_mode and dilations, AveragePool-19 dilations; the output shape
  // follows MaxPool's rule, whose library inference handles both.
  const onnx::InferenceFunction maxPoolInference = poolingInference();

  derive("LpPool", 18, [](const std::string&, const Types& t) { return t; },
         "From opset 18: `ceil_mode` (use ceil for the output shape) and `dilations`.", [&](OpSchema& s) {
           s.Attr("ceil_mode", "1 uses ceil instead of floor to compute the output shape.", AttributeProto::INT,
                  static_cast<std::int64_t>(0));
           s.Attr("dilations", "Dilation along each spatial axis (default 1).", AttributeProto::INTS, onnx::OPTIONAL_VALUE);
           s.TypeAndShapeInferenceFunction(maxPoolInference);
         });
  derive("AveragePool", 19, [](const std::string&, const Types& t) { return t; },
         "From opset 19: `dilations` along each spatial axis.", [&](OpSchema& s) {
           s.Attr("dilations", "Dilation along each spatial axis (default 1).", AttributeProto::INTS, onnx::OPTIONAL_VALUE);
           s.TypeAndShapeInferenceFunction(maxPoolInference);
         });

  {
    OpSchema s = make("Mish", 18, "Mish activation, elementwise: y = x * tanh(softplus(x)) = x * tanh(ln(1 + e^x)).");
    s.Input(0, "X", "Input tensor.", "T");
    s.Output(0, "Y", "Output tensor.", "T");
    s.TypeConstraint("T", tensors({"float16", "float", "double"}), "Float tensors.");
    s.TypeAndShapeInferenceFunction(sameAsInput0);
    add(std::move(s));
  }

  {
    OpSchema s = make("OptionalGetElement", 18,
                      "The element of an optional value (an error if it is empty); a plain tensor or sequence is "
                      "passed through unchanged.");
    s.Input(0, "input", "Optional value, tensor or sequence.", "O");
    s.Output(0, "output", "The element.", "V");
    s.TypeConstraint("O", optionalAndPlain(17), "Optional, tensor and sequence types.");
    s.TypeConstraint("V", [] {
      Types v;
      for (const auto& t : join(numericTypes(), tensors({"bool", "string", "complex64", "complex128"}))) {
        v.push_back(t);
        v.push_back("seq(" + t + ")");
      }
      return v;
    }(), "Tensor and sequence types.");
    s.TypeAndShapeInferenceFunction(optionalGetElementInference);
    add(std::move(s));
  }
  {
    OpSchema s = make("OptionalHasElement", 18,
                      "True when the optional input holds an element; with the input left out, false. A plain "
                      "tensor or sequence input gives true.");
    s.Input(0, "input", "Optional value, tensor or sequence.", "O", OpSchema::Optional);
    s.Output(0, "output", "Scalar boolean.", "B");
    s.TypeConstraint("O", optionalAndPlain(17), "Optional, tensor and sequence types.");
    s.TypeConstraint("B", tensors({"bool"}), "Boolean scalar.");
    s.TypeAndShapeInferenceFunction(optionalHasElementInference);
    add(std::move(s));
  }
}

}  // namespace graft::schema::detail
