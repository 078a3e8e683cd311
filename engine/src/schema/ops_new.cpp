// Operators new in opsets 19–26 that are not re-versions: DeformConv-19, AffineGrid-20, DFT-20,
// Gelu-20, GridSample-20, ImageDecoder-20, the string ops of 20, Attention-23/24,
// RMSNormalization-23, RotaryEmbedding-23, Swish-24, TensorScatter-24, CumProd-26.
// Written from the ONNX operator documentation.
#include "schema/builder.h"

namespace graft::schema::detail {
namespace {

using onnx::AttributeProto;
using onnx::InferenceContext;
using onnx::OpSchema;

Types f32Family() { return tensors({"float16", "float", "double", "bfloat16"}); }

void unaryFloat(const char* op, int since, const std::string& doc, const Types& types,
                const std::function<void(OpSchema&)>& attrs = {}) {
  OpSchema s = make(op, since, doc);
  if (attrs) attrs(s);
  s.Input(0, "X", "Input tensor.", "T");
  s.Output(0, "Y", "Output tensor, the shape of X.", "T");
  s.TypeConstraint("T", types, "Float tensors.");
  s.TypeAndShapeInferenceFunction(sameAsInput0);
  add(std::move(s));
}

// ---------------------------------------------------------------- Attention
void attentionInference(InferenceContext& ctx) {
  for (size_t o = 0; o < ctx.getNumOutputs(); ++o) {
    if (!ctx.getOutputType(o)) continue;
    onnx::propagateElemTypeFromInputToOutput(ctx, o == 2 ? 2 : 0, o);
  }
  const int rq = inputRank(ctx, 0), rk = inputRank(ctx, 1), rv = inputRank(ctx, 2);
  if (rq < 0 || rk < 0 || rv < 0) return;
  if (rq != 3 && rq != 4) fail_shape_inference("Q must be 3-D or 4-D, got rank ", rq);
  if (rk != rq || rv != rq) fail_shape_inference("Q, K and V must have the same rank; got ", rq, ", ", rk, ", ", rv);
  const auto& q = onnx::getInputShape(ctx, 0);
  const auto& k = onnx::getInputShape(ctx, 1);
  const auto& v = onnx::getInputShape(ctx, 2);
  const auto* qHeadsAttr = ctx.getAttribute("q_num_heads");
  const auto* kvHeadsAttr = ctx.getAttribute("kv_num_heads");
  onnx::TensorShapeProto_Dimension batch = q.dim(0), qSeq, kvSeq, qHeads, kvHeads, headSize, vHeadSize;
  if (rq == 3) {
    if (!qHeadsAttr || !kvHeadsAttr)
      fail_shape_inference("3-D inputs need the q_num_heads and kv_num_heads attributes");
    qSeq = q.dim(1);
    kvSeq = k.dim(1);
    qHeads.set_dim_value(qHeadsAttr->i());
    kvHeads.set_dim_value(kvHeadsAttr->i());
    if (qHeadsAttr->i() <= 0 || kvHeadsAttr->i() <= 0) fail_shape_inference("head counts must be positive");
    if (q.dim(2).has_dim_value()) {
      if (q.dim(2).dim_value() % qHeadsAttr->i() != 0)
        fail_shape_inference("Q's hidden size ", q.dim(2).dim_value(), " is not divisible by q_num_heads ",
                             qHeadsAttr->i());
      headSize.set_dim_value(q.dim(2).dim_value() / qHeadsAttr->i());
    }
    if (v.dim(2).has_dim_value()) {
      if (v.dim(2).dim_value() % kvHeadsAttr->i() != 0)
        fail_shape_inference("V's hidden size ", v.dim(2).dim_value(), " is not divisible by kv_num_heads ",
                             kvHeadsAttr->i());
      vHeadSize.set_dim_value(v.dim(2).dim_value() / kvHeadsAttr->i());
    }
  } else {
    qHeads = q.dim(1);
    kvHeads = k.dim(1);
    qSeq = q.dim(2);
    kvSeq = k.dim(2);
    headSize = q.dim(3);
    vHeadSize = v.dim(3);
    if (q.dim(3).has_dim_value() && k.dim(3).has_dim_value() && q.dim(3).dim_value() != k.dim(3).dim_value())
      fail_shape_inference("Q and K head sizes differ: ", q.dim(3).dim_value(), " and ", k.dim(3).dim_value());
  }
  if (qHeads.has_dim_value() && kvHeads.has_dim_value() && kvHeads.dim_value() > 0 &&
      qHeads.dim_value() % kvHeads.dim_value() != 0)
    fail_shape_inference("q_num_heads ", qHeads.dim_value(), " is not a multiple of kv_num_heads ",
                         kvHeads.dim_value());
  auto* y = outputShape(ctx, 0);
  *y->add_dim() = batch;
  if (rq == 3) {
    *y->add_dim() = qSeq;
    auto* hidden = y->add_dim();
    if (qHeads.has_dim_value() && vHeadSize.has_dim_value())
      hidden->set_dim_value(qHeads.dim_value() * vHeadSize.dim_value());
  } else {
    *y->add_dim() = qHeads;
    *y->add_dim() = qSeq;
    *y->add_dim() = vHeadSize;
  }
  // present_key/value: past and new positions concatenated; qk_matmul_output: the scores.
  onnx::TensorShapeProto_Dimension total;
  const bool hasPast = hasInput(ctx, 4) && inputRank(ctx, 4) == 4;
  if (!hasPast)
    total = kvSeq;
  else if (onnx::getInputShape(ctx, 4).dim(2).has_dim_value() && kvSeq.has_dim_value())
    total.set_dim_value(onnx::getInputShape(ctx, 4).dim(2).dim_value() + kvSeq.dim_value());
  for (size_t o : {size_t{1}, size_t{2}}) {
    if (o >= ctx.getNumOutputs()) continue;
    auto* p = outputShape(ctx, o);
    *p->add_dim() = batch;
    *p->add_dim() = kvHeads;
    *p->add_dim() = total;
    *p->add_dim() = o == 1 ? headSize : vHeadSize;
  }
  if (ctx.getNumOutputs() > 3) {
    auto* p = outputShape(ctx, 3);
    *p->add_dim() = batch;
    *p->add_dim() = qHeads;
    *p->add_dim() = qSeq;
    *p->add_dim() = total;
  }
}

void attention(int since) {
  OpSchema s = make(
      "Attention", since,
      "Scaled dot-product attention: Y = softmax(Q K^T * scale + mask) V, over heads. Q, K and V are 4-D "
      "[batch, heads, sequence, head_size] or 3-D [batch, sequence, heads * head_size] (then q_num_heads and "
      "kv_num_heads are required). With fewer K/V heads than Q heads, each K/V head serves q_num_heads / "
      "kv_num_heads query heads (grouped-query attention). attn_mask is boolean (true takes part) or added to "
      "the scores; is_causal masks positions above the diagonal. past_key/past_value are concatenated before "
      "K/V along the sequence and returned as present_key/present_value. softcap > 0 applies softcap * "
      "tanh(scores / softcap). qk_matmul_output returns the scores at the stage qk_matmul_output_mode selects "
      "(0: Q K^T, 1: after mask, 2: after softcap, 3: after softmax)." +
          std::string(since >= 24 ? " nonpad_kv_seqlen gives the number of valid K/V positions per batch "
                                    "entry (the rest is padding)."
                                  : ""));
  s.Attr("is_causal", "1 masks out the upper triangle of the scores (future positions).", AttributeProto::INT,
         static_cast<std::int64_t>(0));
  s.Attr("kv_num_heads", "Number of K/V heads (required for 3-D inputs).", AttributeProto::INT, onnx::OPTIONAL_VALUE);
  s.Attr("q_num_heads", "Number of Q heads (required for 3-D inputs).", AttributeProto::INT, onnx::OPTIONAL_VALUE);
  intEnumAttr(s, "qk_matmul_output_mode", "Which scores qk_matmul_output returns.", 0, {0, 1, 2, 3});
  s.Attr("scale", "Factor applied to Q K^T (default 1 / sqrt(head_size)).", AttributeProto::FLOAT, onnx::OPTIONAL_VALUE);
  s.Attr("softcap", "Cap of the scores (0: none).", AttributeProto::FLOAT, 0.0f);
  s.Attr("softmax_precision", "Element type of the softmax computation (default: the input's).",
         AttributeProto::INT, onnx::OPTIONAL_VALUE);
  s.Input(0, "Q", "Query, 3-D or 4-D.", "T1");
  s.Input(1, "K", "Key, the rank of Q.", "T1");
  s.Input(2, "V", "Value, the rank of Q.", "T2");
  s.Input(3, "attn_mask", "Boolean or additive mask, broadcast to [batch, q_heads, q_seq, total_seq].", "U",
          OpSchema::Optional);
  s.Input(4, "past_key", "Past keys [batch, kv_heads, past_seq, head_size].", "T1", OpSchema::Optional);
  s.Input(5, "past_value", "Past values [batch, kv_heads, past_seq, v_head_size].", "T2", OpSchema::Optional);
  if (since >= 24)
    s.Input(6, "nonpad_kv_seqlen", "Valid K/V length per batch entry [batch].", "tensor(int64)",
            OpSchema::Optional);
  s.Output(0, "Y", "Attention output, the layout of Q.", "T1");
  s.Output(1, "present_key", "Past and new keys.", "T1", OpSchema::Optional);
  s.Output(2, "present_value", "Past and new values.", "T2", OpSchema::Optional);
  s.Output(3, "qk_matmul_output", "Scores [batch, q_heads, q_seq, total_seq].", "T1", OpSchema::Optional);
  s.TypeConstraint("T1", f32Family(), "Q and K types.");
  s.TypeConstraint("T2", f32Family(), "V types.");
  s.TypeConstraint("U", join(tensors({"bool"}), f32Family()), "Mask types.");
  s.TypeAndShapeInferenceFunction(attentionInference);
  add(std::move(s));
}

// ---------------------------------------------------------------- others
void dftInference(InferenceContext& ctx) {
  onnx::propagateElemTypeFromInputToOutput(ctx, 0, 0);
  const int rank = inputRank(ctx, 0);
  if (rank < 0) return;
  if (rank < 2) fail_shape_inference("input must be at least 2-D [..., signal, 1 or 2]");
  const auto& in = onnx::getInputShape(ctx, 0);
  const auto& last = in.dim(rank - 1);
  if (last.has_dim_value() && last.dim_value() != 1 && last.dim_value() != 2)
    fail_shape_inference("the last dimension must be 1 (real) or 2 (complex), got ", last.dim_value());
  std::int64_t axis = -2;
  if (hasInput(ctx, 2)) {
    auto a = constInts(ctx, 2);
    if (!a || a->size() != 1) {
      auto* out = outputShape(ctx, 0);
      for (int d = 0; d < rank; ++d) out->add_dim();
      return;
    }
    axis = (*a)[0];
  }
  if (axis < -rank || axis >= rank - 1) fail_shape_inference("axis ", axis, " is out of range for rank ", rank);
  if (axis < 0) axis += rank;
  const bool onesided = onnx::getAttribute(ctx, "onesided", static_cast<std::int64_t>(0)) != 0;
  auto* out = outputShape(ctx, 0);
  for (int d = 0; d < rank; ++d) *out->add_dim() = in.dim(d);
  out->mutable_dim(rank - 1)->set_dim_value(2);
  auto* ax = out->mutable_dim(static_cast<int>(axis));
  std::optional<std::int64_t> n;
  if (hasInput(ctx, 1)) {
    auto len = constInts(ctx, 1);
    if (len && len->size() == 1) n = (*len)[0];
    else ax->Clear();
  } else if (in.dim(static_cast<int>(axis)).has_dim_value()) {
    n = in.dim(static_cast<int>(axis)).dim_value();
  }
  if (n) ax->set_dim_value(onesided ? *n / 2 + 1 : *n);
  else if (onesided) ax->Clear();
}

void gridSampleInference(InferenceContext& ctx) {
  onnx::propagateElemTypeFromInputToOutput(ctx, 0, 0);
  const int rx = inputRank(ctx, 0), rg = inputRank(ctx, 1);
  if (rx < 0 || rg < 0) return;
  if (rx < 3) fail_shape_inference("X must be [N, C, D1, ...], got rank ", rx);
  if (rg != rx) fail_shape_inference("grid must have the rank of X (", rx, "), got ", rg);
  const auto& x = onnx::getInputShape(ctx, 0);
  const auto& g = onnx::getInputShape(ctx, 1);
  const auto& last = g.dim(rg - 1);
  if (last.has_dim_value() && last.dim_value() != rx - 2)
    fail_shape_inference("the last dimension of grid must be ", rx - 2, " (one coordinate per spatial axis), got ",
                         last.dim_value());
  auto* out = outputShape(ctx, 0);
  *out->add_dim() = x.dim(0);
  *out->add_dim() = x.dim(1);
  for (int d = 1; d < rg - 1; ++d) *out->add_dim() = g.dim(d);
}

void affineGridInference(InferenceContext& ctx) {
  onnx::propagateElemTypeFromInputToOutput(ctx, 0, 0);
  auto size = constInts(ctx, 1);
  if (!size) return;
  if (size->size() != 4 && size->size() != 5)
    fail_shape_inference("size must be [N, C, H, W] or [N, C, D, H, W], got ", size->size(), " values");
  auto* out = outputShape(ctx, 0);
  out->add_dim()->set_dim_value((*size)[0]);
  for (size_t d = 2; d < size->size(); ++d) out->add_dim()->set_dim_value((*size)[d]);
  out->add_dim()->set_dim_value(static_cast<std::int64_t>(size->size()) - 2);
}

void deformConvInference(InferenceContext& ctx) {
  onnx::propagateElemTypeFromInputToOutput(ctx, 0, 0);
  const int rx = inputRank(ctx, 0), rw = inputRank(ctx, 1), ro = inputRank(ctx, 2);
  if (rx < 0 || rw < 0 || ro < 0) return;
  if (rx < 3 || rw != rx || ro != rx)
    fail_shape_inference("X, W and offset must have the same rank >= 3; got ", rx, ", ", rw, ", ", ro);
  auto* out = outputShape(ctx, 0);
  *out->add_dim() = onnx::getInputShape(ctx, 0).dim(0);
  *out->add_dim() = onnx::getInputShape(ctx, 1).dim(0);
  for (int d = 2; d < ro; ++d) *out->add_dim() = onnx::getInputShape(ctx, 2).dim(d);
}

}  // namespace

void registerNewOps() {
  {
    OpSchema s = make("DeformConv", 19,
                      "Deformable convolution (https://arxiv.org/abs/1703.06211, v2 with mask): each kernel tap "
                      "samples X at its position plus a learned offset (bilinear interpolation), optionally "
                      "scaled by a mask. The output's spatial shape is the offset's.");
    s.Attr("dilations", "Dilation per spatial axis (default 1).", AttributeProto::INTS, onnx::OPTIONAL_VALUE);
    s.Attr("group", "Number of groups of input and output channels.", AttributeProto::INT,
           static_cast<std::int64_t>(1));
    s.Attr("kernel_shape", "Kernel shape (default: from W).", AttributeProto::INTS, onnx::OPTIONAL_VALUE);
    s.Attr("offset_group", "Number of groups of offset channels.", AttributeProto::INT, static_cast<std::int64_t>(1));
    s.Attr("pads", "Begin and end padding per spatial axis (default 0).", AttributeProto::INTS, onnx::OPTIONAL_VALUE);
    s.Attr("strides", "Stride per spatial axis (default 1).", AttributeProto::INTS, onnx::OPTIONAL_VALUE);
    s.Input(0, "X", "Input [N, C, D1, ...].", "T");
    s.Input(1, "W", "Weights [oC, C / group, k1, ...].", "T");
    s.Input(2, "offset", "Offsets [N, offset_group * 2 * prod(kernel), o1, ...].", "T");
    s.Input(3, "B", "Bias [oC].", "T", OpSchema::Optional);
    s.Input(4, "mask", "Mask [N, offset_group * prod(kernel), o1, ...].", "T", OpSchema::Optional);
    s.Output(0, "Y", "Output [N, oC, o1, ...].", "T");
    s.TypeConstraint("T", tensors({"float16", "float", "double"}), "Float tensors.");
    s.TypeAndShapeInferenceFunction(deformConvInference);
    add(std::move(s));
  }
  {
    OpSchema s = make("AffineGrid", 20,
                      "Generates a sampling grid from affine matrices theta ([N, 2, 3] for 2-D, [N, 3, 4] for "
                      "3-D) for an output of `size` ([N, C, H, W] or [N, C, D, H, W]), in normalized [-1, 1] "
                      "coordinates; the grid feeds GridSample.");
    s.Attr("align_corners", "1: -1 and 1 are the centers of the corner pixels; 0: their outer edges.",
           AttributeProto::INT, static_cast<std::int64_t>(0));
    s.Input(0, "theta", "Affine matrices [N, 2, 3] or [N, 3, 4].", "T1");
    s.Input(1, "size", "Target image size [N, C, H, W] or [N, C, D, H, W].", "T2");
    s.Output(0, "grid", "Grid [N, H, W, 2] or [N, D, H, W, 3].", "T1");
    s.TypeConstraint("T1", f32Family(), "Float tensors.");
    s.TypeConstraint("T2", tensors({"int64"}), "Size type.");
    s.TypeAndShapeInferenceFunction(affineGridInference);
    add(std::move(s));
  }
  {
    OpSchema s = make("DFT", 20,
                      "Discrete Fourier transform of the signal along `axis` (an input from opset 20, default "
                      "-2). The last dimension is 1 for real or 2 for complex input; the output is complex. "
                      "`onesided` keeps the floor(n/2)+1 non-redundant frequencies of a real input, `inverse` "
                      "computes the inverse transform, `dft_length` pads or truncates the signal.");
    s.Attr("inverse", "1 computes the inverse DFT.", AttributeProto::INT, static_cast<std::int64_t>(0));
    s.Attr("onesided", "1 returns only the first floor(n/2)+1 frequencies.", AttributeProto::INT,
           static_cast<std::int64_t>(0));
    s.Input(0, "input", "Signal [batch, ..., n, 1 or 2].", "T1");
    s.Input(1, "dft_length", "Length of the transform (scalar).", "T2", OpSchema::Optional);
    s.Input(2, "axis", "The axis of the transform (scalar; default -2).", "tensor(int64)", OpSchema::Optional);
    s.Output(0, "output", "Complex spectrum [..., 2].", "T1");
    s.TypeConstraint("T1", f32Family(), "Float tensors.");
    s.TypeConstraint("T2", tensors({"int32", "int64"}), "Length types.");
    s.TypeAndShapeInferenceFunction(dftInference);
    add(std::move(s));
  }
  unaryFloat("Gelu", 20,
             "Gaussian error linear unit, elementwise: y = 0.5 * x * (1 + erf(x / sqrt(2))); with approximate = "
             "\"tanh\": y = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))).",
             f32Family(), [](OpSchema& s) {
               enumAttr(s, "approximate", "Which form of Gelu to compute.", "none", {"none", "tanh"});
             });
  for (int since : {20, 22}) {
    OpSchema s = make("GridSample", since,
                      "Samples X [N, C, D1, ...] at the normalized coordinates of grid [N, o1, ..., r] (r spatial "
                      "axes, -1 and 1 the extreme positions) by linear, nearest or cubic interpolation, with "
                      "out-of-range samples given by padding_mode. Supports any number of spatial axes.");
    s.Attr("align_corners", "1: -1 and 1 are the centers of the corner pixels; 0: their outer edges.",
           AttributeProto::INT, static_cast<std::int64_t>(0));
    enumAttr(s, "mode", "Interpolation mode.", "linear", {"linear", "nearest", "cubic"});
    enumAttr(s, "padding_mode", "Values outside the input.", "zeros", {"zeros", "border", "reflection"});
    s.Input(0, "X", "Input [N, C, D1, ...].", "T1");
    s.Input(1, "grid", "Sampling positions [N, o1, ..., r].", "T2");
    s.Output(0, "Y", "Output [N, C, o1, ...].", "T1");
    s.TypeConstraint("T1", allTensorTypes(17), "Input types.");
    s.TypeConstraint("T2", since >= 22 ? f32Family() : tensors({"float16", "float", "double"}), "Grid types.");
    s.TypeAndShapeInferenceFunction(gridSampleInference);
    add(std::move(s));
  }
  {
    OpSchema s = make("ImageDecoder", 20,
                      "Decodes an encoded image (JPEG, PNG, BMP, TIFF, WebP, …; 1-D uint8 bytes) into [H, W, C] "
                      "uint8 pixels, C = 3 for RGB/BGR, 1 for Grayscale.");
    enumAttr(s, "pixel_format", "Channel order of the output.", "RGB", {"RGB", "BGR", "Grayscale"});
    s.Input(0, "encoded_stream", "Encoded image bytes, 1-D.", "T1");
    s.Output(0, "image", "Decoded image [H, W, C].", "T2");
    s.TypeConstraint("T1", tensors({"uint8"}), "Encoded bytes.");
    s.TypeConstraint("T2", tensors({"uint8"}), "Pixels.");
    s.TypeAndShapeInferenceFunction([](InferenceContext& ctx) {
      setOutputElemType(ctx, 0, onnx::TensorProto::UINT8);
      if (inputRank(ctx, 0) >= 0 && inputRank(ctx, 0) != 1)
        fail_shape_inference("encoded_stream must be 1-D, got rank ", inputRank(ctx, 0));
      const std::string format = onnx::getAttribute(ctx, "pixel_format", std::string("RGB"));
      auto* out = outputShape(ctx, 0);
      out->add_dim();
      out->add_dim();
      out->add_dim()->set_dim_value(format == "Grayscale" ? 1 : 3);
    });
    add(std::move(s));
  }
  {
    OpSchema s = make("RegexFullMatch", 20,
                      "True where the whole string matches the regular expression `pattern` (RE2 syntax).");
    s.Attr("pattern", "Regular expression (RE2 syntax).", AttributeProto::STRING, onnx::OPTIONAL_VALUE);
    s.Input(0, "X", "Strings.", "T1");
    s.Output(0, "Y", "Booleans, the shape of X.", "T2");
    s.TypeConstraint("T1", tensors({"string"}), "Strings.");
    s.TypeConstraint("T2", tensors({"bool"}), "Booleans.");
    s.TypeAndShapeInferenceFunction([](InferenceContext& ctx) {
      setOutputElemType(ctx, 0, onnx::TensorProto::BOOL);
      if (onnx::hasInputShape(ctx, 0)) onnx::propagateShapeFromInputToOutput(ctx, 0, 0);
    });
    add(std::move(s));
  }
  {
    OpSchema s = make("StringConcat", 20, "Elementwise concatenation of two string tensors, with broadcasting.");
    s.Input(0, "X", "First strings.", "T");
    s.Input(1, "Y", "Second strings.", "T");
    s.Output(0, "Z", "X[i] + Y[i].", "T");
    s.TypeConstraint("T", tensors({"string"}), "Strings.");
    s.TypeAndShapeInferenceFunction(broadcastInference);
    add(std::move(s));
  }
  {
    OpSchema s = make("StringSplit", 20,
                      "Splits each string at `delimiter` (runs of whitespace when empty or absent), at most "
                      "`maxsplit` times. Y has one more dimension, as long as the most parts of any string, "
                      "padded with empty strings; Z holds the number of parts of each string.");
    s.Attr("delimiter", "Delimiter; empty or absent splits at runs of whitespace.", AttributeProto::STRING,
           onnx::OPTIONAL_VALUE);
    s.Attr("maxsplit", "Maximum number of splits (default unlimited).", AttributeProto::INT, onnx::OPTIONAL_VALUE);
    s.Input(0, "X", "Strings.", "T1");
    s.Output(0, "Y", "Parts, [X's shape..., max parts].", "T2");
    s.Output(1, "Z", "Number of parts of each string, X's shape.", "T3");
    s.TypeConstraint("T1", tensors({"string"}), "Strings.");
    s.TypeConstraint("T2", tensors({"string"}), "Strings.");
    s.TypeConstraint("T3", tensors({"int64"}), "Counts.");
    s.TypeAndShapeInferenceFunction([](InferenceContext& ctx) {
      setOutputElemType(ctx, 0, onnx::TensorProto::STRING);
      setOutputElemType(ctx, 1, onnx::TensorProto::INT64);
      if (!onnx::hasInputShape(ctx, 0)) return;
      const auto& in = onnx::getInputShape(ctx, 0);
      auto* y = outputShape(ctx, 0);
      for (const auto& d : in.dim()) *y->add_dim() = d;
      y->add_dim();
      auto* z = outputShape(ctx, 1);
      for (const auto& d : in.dim()) *z->add_dim() = d;
    });
    add(std::move(s));
  }

  attention(23);
  attention(24);
  {
    OpSchema s = make("RMSNormalization", 23,
                      "Root-mean-square normalization over the axes from `axis` to the last: Y = X / sqrt(mean(X^2) "
                      "+ epsilon) * scale, the statistics computed in the type stash_type gives. scale is "
                      "broadcast to the normalized shape.");
    s.Attr("axis", "First normalized axis, in [-r, r-1].", AttributeProto::INT, static_cast<std::int64_t>(-1));
    s.Attr("epsilon", "Added to the mean square.", AttributeProto::FLOAT, 1e-5f);
    intEnumAttr(s, "stash_type", "Element type of the computation (1: float).", 1, {1, 10, 11, 16});
    s.Input(0, "X", "Input tensor.", "T");
    s.Input(1, "scale", "Scale, broadcastable to the normalized shape.", "V");
    s.Output(0, "Y", "Normalized tensor, the shape of X.", "V");
    s.TypeConstraint("T", f32Family(), "Input types.");
    s.TypeConstraint("V", f32Family(), "Scale and output types.");
    s.TypeAndShapeInferenceFunction([](InferenceContext& ctx) {
      onnx::propagateElemTypeFromInputToOutput(ctx, 1, 0);
      const int rank = inputRank(ctx, 0);
      if (rank < 0) return;
      const std::int64_t axis = onnx::getAttribute(ctx, "axis", static_cast<std::int64_t>(-1));
      if (axis < -rank || axis >= rank) fail_shape_inference("axis ", axis, " is out of range for rank ", rank);
      onnx::propagateShapeFromInputToOutput(ctx, 0, 0);
    });
    add(std::move(s));
  }
  {
    OpSchema s = make("RotaryEmbedding", 23,
                      "Rotary positional embedding (RoPE, https://arxiv.org/abs/2104.09864) on X [batch, heads, "
                      "seq, head_size] or [batch, seq, hidden] (then num_heads is required): pairs of features, "
                      "halves or interleaved neighbours, are rotated by the angles of cos_cache/sin_cache, looked "
                      "up by position_ids when given ([batch, seq] caches otherwise). rotary_embedding_dim > 0 "
                      "rotates only the first that many features.");
    s.Attr("interleaved", "1 rotates neighbouring pairs (x0, x1), 0 the two halves.", AttributeProto::INT,
           static_cast<std::int64_t>(0));
    s.Attr("num_heads", "Number of heads (required for 3-D input).", AttributeProto::INT, onnx::OPTIONAL_VALUE);
    s.Attr("rotary_embedding_dim", "Features to rotate (0: all).", AttributeProto::INT, static_cast<std::int64_t>(0));
    s.Input(0, "X", "Input, 4-D or 3-D.", "T");
    s.Input(1, "cos_cache", "Cosines [max_position, dim / 2] or [batch, seq, dim / 2].", "T");
    s.Input(2, "sin_cache", "Sines, the shape of cos_cache.", "T");
    s.Input(3, "position_ids", "Positions [batch, seq].", "M", OpSchema::Optional);
    s.Output(0, "Y", "Rotated tensor, the shape of X.", "T");
    s.TypeConstraint("T", tensors({"float", "float16", "bfloat16"}), "Float tensors.");
    s.TypeConstraint("M", tensors({"int64"}), "Position types.");
    s.TypeAndShapeInferenceFunction([](InferenceContext& ctx) {
      onnx::propagateShapeAndTypeFromFirstInput(ctx);
      const int rank = inputRank(ctx, 0);
      if (rank >= 0 && rank != 3 && rank != 4) fail_shape_inference("X must be 3-D or 4-D, got rank ", rank);
      if (rank == 3 && !ctx.getAttribute("num_heads")) fail_shape_inference("3-D input needs the num_heads attribute");
    });
    add(std::move(s));
  }
  unaryFloat("Swish", 24, "Swish activation, elementwise: y = x * sigmoid(alpha * x).", f32Family(),
             [](OpSchema& s) { s.Attr("alpha", "Slope of the sigmoid's argument.", AttributeProto::FLOAT, 1.0f); });
  {
    OpSchema s = make("TensorScatter", 24,
                      "Writes `update` into a copy of the cache `past_cache` along `axis` (the sequence axis, "
                      "default -2), starting per batch entry at write_indices (0 when absent); mode circular "
                      "wraps positions past the end around. Used for KV caches.");
    s.Attr("axis", "Sequence axis of the cache (not the batch axis 0).", AttributeProto::INT,
           static_cast<std::int64_t>(-2));
    enumAttr(s, "mode", "What happens past the cache's end.", "linear", {"linear", "circular"});
    s.Input(0, "past_cache", "Cache [batch, ..., max_seq, ...].", "T");
    s.Input(1, "update", "New entries [batch, ..., seq, ...].", "T");
    s.Input(2, "write_indices", "Write position per batch entry [batch].", "tensor(int64)", OpSchema::Optional);
    s.Output(0, "present_cache", "Updated cache, the shape of past_cache.", "T");
    s.TypeConstraint("T", allTensorTypes(24), "All tensor types.");
    s.TypeAndShapeInferenceFunction([](InferenceContext& ctx) {
      onnx::propagateShapeAndTypeFromFirstInput(ctx);
      const int rp = inputRank(ctx, 0), ru = inputRank(ctx, 1);
      if (rp >= 0 && ru >= 0 && rp != ru)
        fail_shape_inference("update must have the rank of past_cache (", rp, "), got ", ru);
    });
    add(std::move(s));
  }
  {
    OpSchema s = make("CumProd", 26,
                      "Cumulative product along `axis` (a scalar input). `exclusive` leaves out the element itself "
                      "(the first product is 1); `reverse` runs from the end.");
    s.Attr("exclusive", "1: exclusive product.", AttributeProto::INT, static_cast<std::int64_t>(0));
    s.Attr("reverse", "1: from the end backwards.", AttributeProto::INT, static_cast<std::int64_t>(0));
    s.Input(0, "x", "Input tensor.", "T");
    s.Input(1, "axis", "Axis, scalar in [-r, r-1].", "T2");
    s.Output(0, "y", "Cumulative products, the shape of x.", "T");
    s.TypeConstraint("T", tensors({"uint32", "uint64", "int32", "int64", "float16", "float", "double", "bfloat16"}),
                     "Numeric tensors.");
    s.TypeConstraint("T2", tensors({"int32", "int64"}), "Axis types.");
    s.TypeAndShapeInferenceFunction(sameAsInput0);
    add(std::move(s));
  }
}

}  // namespace graft::schema::detail
