// Cast and CastLike (19: saturate for float8; 21/23/24/25: int4, float4e2m1, float8e8m0 with
// round_mode, int2), QuantizeLinear/DequantizeLinear 19–25 (float8, int16, 4- and 2-bit,
// blocked quantization, output_dtype, precision), QLinearMatMul-21 and BitCast-26.
// Written from the ONNX operator documentation.
#include "schema/builder.h"

namespace graft::schema::detail {
namespace {

using onnx::AttributeProto;
using onnx::InferenceContext;
using onnx::OpSchema;

// Every type Cast converts between at an opset: numbers, bool, string and the new ones.
Types castTypes(int opset) { return join(join(numericTypes(), tensors({"bool", "string"})), newTypesUpTo(opset)); }

std::vector<std::int64_t> dataTypeValues(int opset) {
  std::vector<std::int64_t> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16};
  for (const auto& t : newElementTypes())
    if (t.opset <= opset) v.push_back(t.value);
  return v;
}

void requireKnownType(InferenceContext&, const char* attr, std::int64_t value, int opset) {
  const auto allowed = dataTypeValues(opset);
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end())
    fail_type_inference("attribute ", attr, " = ", value, " is not an element type of opset ", opset);
}

void cast(int since) {
  OpSchema s = make("Cast", since,
                    "Casts each element of the input to the type in `to`. Float to integer rounds toward zero "
                    "and is undefined when out of range; to bool, zero is false and anything else true; strings "
                    "are parsed and printed as numbers. Casting to a float8 type saturates to its largest finite "
                    "value when `saturate` is 1 (the default) and gives infinity or NaN otherwise" +
                        std::string(since >= 21 ? "; 4-bit and 2-bit integers wrap like any integer cast" : "") +
                        std::string(since >= 24 ? "; to float8e8m0, `round_mode` rounds the exponent up, down "
                                                  "or to the nearest"
                                                : "") +
                        ".");
  s.Attr("to", "The element type to cast to (a TensorProto.DataType value).", AttributeProto::INT, true);
  s.Attr("saturate", "1 saturates out-of-range values in casts to float8 types; ignored for other types.",
         AttributeProto::INT, static_cast<std::int64_t>(1));
  if (since >= 24)
    enumAttr(s, "round_mode", "Rounding of casts to float8e8m0.", "up", {"up", "down", "nearest"});
  s.Input(0, "input", "Input tensor to be cast.", "T1");
  s.Output(0, "output", "The input cast to `to`, same shape.", "T2");
  s.TypeConstraint("T1", castTypes(since), "Input types.");
  s.TypeConstraint("T2", castTypes(since), "Output types.");
  s.TypeAndShapeInferenceFunction([since](InferenceContext& ctx) {
    const auto* to = ctx.getAttribute("to");
    if (!to) fail_type_inference("attribute 'to' is required");
    requireKnownType(ctx, "to", to->i(), since);
    setOutputElemType(ctx, 0, static_cast<int>(to->i()));
    if (onnx::hasInputShape(ctx, 0)) onnx::propagateShapeFromInputToOutput(ctx, 0, 0);
  });
  AttrRule r;
  r.op = "Cast";
  r.since = since;
  r.attr = "to";
  r.ints = dataTypeValues(since);
  r.why = "an element type of this opset";
  addRule(r);
  add(std::move(s));
}

void castLike(int since) {
  OpSchema s = make("CastLike", since,
                    "Casts the input to the element type of `target_type` (only its type is used), with the "
                    "rules of Cast.");
  s.Attr("saturate", "1 saturates out-of-range values in casts to float8 types.", AttributeProto::INT,
         static_cast<std::int64_t>(1));
  if (since >= 24)
    enumAttr(s, "round_mode", "Rounding of casts to float8e8m0.", "up", {"up", "down", "nearest"});
  s.Input(0, "input", "Input tensor to be cast.", "T1");
  s.Input(1, "target_type", "A tensor whose element type is the target type.", "T2");
  s.Output(0, "output", "The input cast to the type of target_type, same shape as input.", "T2");
  s.TypeConstraint("T1", castTypes(since), "Input types.");
  s.TypeConstraint("T2", castTypes(since), "Output types.");
  s.TypeAndShapeInferenceFunction([](InferenceContext& ctx) {
    onnx::propagateElemTypeFromInputToOutput(ctx, 1, 0);
    if (onnx::hasInputShape(ctx, 0)) onnx::propagateShapeFromInputToOutput(ctx, 0, 0);
  });
  add(std::move(s));
}

Types quantizedTypes(int since) {
  Types t = tensors({"int8", "uint8"});
  if (since >= 21) t = join(t, tensors({"int16", "uint16"}));
  for (const auto& n : newElementTypes())
    if (n.opset <= since && n.value != 24) t.push_back(std::string("tensor(") + n.name + ")");  // not e8m0
  return t;
}

Types scaleTypes(int since) {
  Types t = tensors({"float", "float16", "bfloat16"});
  if (since >= 24) t = join(t, tensors({"float8e8m0"}));
  return t;
}

// Checks the scale against x for per-tensor, per-axis and blocked quantization.
void checkScaleShape(InferenceContext& ctx, size_t scaleInput) {
  const int rx = inputRank(ctx, 0), rs = inputRank(ctx, scaleInput);
  if (rx < 0 || rs < 0) return;
  const std::int64_t block = onnx::getAttribute(ctx, "block_size", static_cast<std::int64_t>(0));
  if (block < 0) fail_shape_inference("block_size must be >= 0, got ", block);
  std::int64_t axis = onnx::getAttribute(ctx, "axis", static_cast<std::int64_t>(1));
  if (rs == 0 || (rs == 1 && onnx::getInputShape(ctx, scaleInput).dim(0).dim_value() == 1 && block == 0)) return;
  if (axis < -rx || axis >= rx) fail_shape_inference("axis ", axis, " is out of range for input rank ", rx);
  if (axis < 0) axis += rx;
  const auto& x = onnx::getInputShape(ctx, 0);
  const auto& sc = onnx::getInputShape(ctx, scaleInput);
  if (block == 0) {
    if (rs != 1) fail_shape_inference("a per-axis scale must be 1-D, got rank ", rs, " (set block_size for blocked)");
    const auto& xd = x.dim(static_cast<int>(axis));
    if (xd.has_dim_value() && sc.dim(0).has_dim_value() && xd.dim_value() != sc.dim(0).dim_value())
      fail_shape_inference("the scale has ", sc.dim(0).dim_value(), " values but axis ", axis, " of the input has ",
                           xd.dim_value());
    return;
  }
  if (rs != rx) fail_shape_inference("a blocked scale must have the input's rank ", rx, ", got ", rs);
  for (int d = 0; d < rx; ++d) {
    if (!x.dim(d).has_dim_value() || !sc.dim(d).has_dim_value()) continue;
    const std::int64_t expect = d == axis ? (x.dim(d).dim_value() + block - 1) / block : x.dim(d).dim_value();
    if (sc.dim(d).dim_value() != expect)
      fail_shape_inference("blocked scale dimension ", d, " is ", sc.dim(d).dim_value(), "; expected ", expect,
                           d == axis ? " (ceil(input dimension / block_size))" : " (the input's dimension)");
  }
}

void quantize(int since) {
  const bool split = since >= 23;  // x and y_scale may differ in type
  OpSchema s = make(
      "QuantizeLinear", since,
      "Linear quantization: y = saturate(round(x / y_scale) + y_zero_point), rounding half to even and "
      "saturating to the range of the output type (float8 types saturate when `saturate` is 1). The "
      "zero point's type (or `output_dtype`, default uint8) is the output type. The scale is a scalar "
      "(per tensor), a 1-D tensor along `axis` (per axis), or, with `block_size` > 0, a tensor of the "
      "input's rank with ceil(dim / block_size) along `axis` (blocked)." +
          std::string(since >= 25 ? " `precision` sets the type the division is computed in." : ""));
  s.Attr("axis", "The axis of per-axis and blocked quantization, in [-r, r-1].", AttributeProto::INT,
         static_cast<std::int64_t>(1));
  if (since >= 21) {
    s.Attr("block_size", "Block length along `axis` for blocked quantization; 0 means not blocked.",
           AttributeProto::INT, static_cast<std::int64_t>(0));
    s.Attr("output_dtype", "Output element type when there is no zero point (0: uint8, or the zero point's).",
           AttributeProto::INT, static_cast<std::int64_t>(0));
  }
  s.Attr("saturate", "1 saturates out-of-range values when quantizing to float8.", AttributeProto::INT,
         static_cast<std::int64_t>(1));
  if (since >= 25)
    s.Attr("precision", "Element type of the division (0: the type of y_scale).", AttributeProto::INT,
           static_cast<std::int64_t>(0));
  s.Input(0, "x", "Tensor to quantize.", split ? "T1" : "T1");
  s.Input(1, "y_scale", "Scale: scalar, 1-D along axis, or blocked.", split ? "T2" : "T1");
  s.Input(2, "y_zero_point", "Zero point, shaped like y_scale; its type is the output type.", split ? "T3" : "T2",
          OpSchema::Optional);
  s.Output(0, "y", "Quantized tensor, the shape of x.", split ? "T3" : "T2");
  Types xTypes = tensors({"float", "float16", "bfloat16", "int32"});
  if (split) {
    s.TypeConstraint("T1", xTypes, "Types of the input.");
    s.TypeConstraint("T2", join(scaleTypes(since), tensors({"int32"})), "Types of the scale.");
    s.TypeConstraint("T3", quantizedTypes(since), "Quantized types.");
  } else {
    s.TypeConstraint("T1", xTypes, "Types of the input and scale.");
    s.TypeConstraint("T2", quantizedTypes(since), "Quantized types.");
  }
  s.TypeAndShapeInferenceFunction([since](InferenceContext& ctx) {
    const std::int64_t outputDtype = onnx::getAttribute(ctx, "output_dtype", static_cast<std::int64_t>(0));
    if (hasInput(ctx, 2)) {
      onnx::propagateElemTypeFromInputToOutput(ctx, 2, 0);
      const int zp = ctx.getInputType(2)->tensor_type().elem_type();
      if (outputDtype != 0 && zp != 0 && outputDtype != zp)
        fail_type_inference("output_dtype ", outputDtype, " differs from the zero point's type ", zp);
    } else if (outputDtype != 0) {
      requireKnownType(ctx, "output_dtype", outputDtype, since);
      setOutputElemType(ctx, 0, static_cast<int>(outputDtype));
    } else {
      setOutputElemType(ctx, 0, onnx::TensorProto::UINT8);
    }
    checkScaleShape(ctx, 1);
    if (onnx::hasInputShape(ctx, 0)) onnx::propagateShapeFromInputToOutput(ctx, 0, 0);
  });
  if (since >= 21) {
    AttrRule r;
    r.op = "QuantizeLinear";
    r.since = since;
    r.attr = "block_size";
    r.minInt = 0;
    addRule(r);
  }
  add(std::move(s));
}

void dequantize(int since) {
  OpSchema s = make("DequantizeLinear", since,
                    "Linear dequantization: y = (x - x_zero_point) * x_scale, in the scale's type" +
                        std::string(since >= 23 ? " (or `output_dtype`)" : "") +
                        ". The scale is a scalar (per tensor), a 1-D tensor along `axis` (per axis)" +
                        std::string(since >= 21 ? ", or, with `block_size` > 0, a tensor of the input's rank "
                                                  "(blocked)"
                                                : "") +
                        ". int32 inputs have no zero point; float8 and float4 zero points must be 0.");
  s.Attr("axis", "The axis of per-axis and blocked dequantization, in [-r, r-1].", AttributeProto::INT,
         static_cast<std::int64_t>(1));
  if (since >= 21)
    s.Attr("block_size", "Block length along `axis` for blocked dequantization; 0 means not blocked.",
           AttributeProto::INT, static_cast<std::int64_t>(0));
  if (since >= 23)
    s.Attr("output_dtype", "Output element type (0: the scale's type); must match the scale's type if given.",
           AttributeProto::INT, static_cast<std::int64_t>(0));
  s.Input(0, "x", "Quantized tensor.", "T1");
  s.Input(1, "x_scale", "Scale: scalar, 1-D along axis, or blocked.", "T2");
  s.Input(2, "x_zero_point", "Zero point, shaped like x_scale, of x's type.", "T1", OpSchema::Optional);
  s.Output(0, "y", "Dequantized tensor, the shape of x.", since >= 23 ? "T3" : "T2");
  s.TypeConstraint("T1", join(quantizedTypes(since), tensors({"int32"})), "Quantized types.");
  s.TypeConstraint("T2", scaleTypes(since), "Scale types.");
  if (since >= 23) s.TypeConstraint("T3", tensors({"float", "float16", "bfloat16"}), "Output types.");
  s.TypeAndShapeInferenceFunction([](InferenceContext& ctx) {
    const std::int64_t outputDtype = onnx::getAttribute(ctx, "output_dtype", static_cast<std::int64_t>(0));
    if (outputDtype != 0)
      setOutputElemType(ctx, 0, static_cast<int>(outputDtype));
    else if (hasInput(ctx, 1) && ctx.getInputType(1)->tensor_type().elem_type() == 24)
      setOutputElemType(ctx, 0, onnx::TensorProto::FLOAT);  // e8m0 scales give float unless told
    else
      onnx::propagateElemTypeFromInputToOutput(ctx, 1, 0);
    checkScaleShape(ctx, 1);
    if (onnx::hasInputShape(ctx, 0)) onnx::propagateShapeFromInputToOutput(ctx, 0, 0);
  });
  if (since >= 21) {
    AttrRule r;
    r.op = "DequantizeLinear";
    r.since = since;
    r.attr = "block_size";
    r.minInt = 0;
    addRule(r);
  }
  add(std::move(s));
}

void matmulShape(InferenceContext& ctx, size_t a, size_t b) {
  if (!onnx::hasInputShape(ctx, a) || !onnx::hasInputShape(ctx, b)) return;
  auto sa = onnx::getInputShape(ctx, a), sb = onnx::getInputShape(ctx, b);
  if (sa.dim_size() == 0 || sb.dim_size() == 0) fail_shape_inference("MatMul operands must not be scalars");
  const bool vecA = sa.dim_size() == 1, vecB = sb.dim_size() == 1;
  if (vecA) {
    auto d = sa.dim(0);
    sa.clear_dim();
    sa.add_dim()->set_dim_value(1);
    *sa.add_dim() = d;
  }
  if (vecB) sb.add_dim()->set_dim_value(1);
  const auto& k1 = sa.dim(sa.dim_size() - 1);
  const auto& k2 = sb.dim(sb.dim_size() - 2);
  if (k1.has_dim_value() && k2.has_dim_value() && k1.dim_value() != k2.dim_value())
    fail_shape_inference("MatMul inner dimensions differ: ", k1.dim_value(), " and ", k2.dim_value());
  onnx::TensorShapeProto ba, bb, batch;
  for (int i = 0; i < sa.dim_size() - 2; ++i) *ba.add_dim() = sa.dim(i);
  for (int i = 0; i < sb.dim_size() - 2; ++i) *bb.add_dim() = sb.dim(i);
  onnx::bidirectionalBroadcastShapeInference(ba, bb, batch);
  auto* out = outputShape(ctx, 0);
  for (const auto& d : batch.dim()) *out->add_dim() = d;
  if (!vecA) *out->add_dim() = sa.dim(sa.dim_size() - 2);
  if (!vecB) *out->add_dim() = sb.dim(sb.dim_size() - 1);
}

}  // namespace

void registerQuantCast() {
  for (int v : {19, 21, 23, 24, 25}) {
    cast(v);
    castLike(v);
    quantize(v);
    dequantize(v);
  }
  {
    OpSchema s = make("QLinearMatMul", 21,
                      "Matrix product of quantized tensors like numpy.matmul: a and b are dequantized with their "
                      "scales and zero points, multiplied, and the result quantized with y_scale and y_zero_point. "
                      "Scales are scalars or 1-D per row of a / per column of b.");
    s.Input(0, "a", "Quantized N-D tensor.", "T1");
    s.Input(1, "a_scale", "Scale of a.", "TS");
    s.Input(2, "a_zero_point", "Zero point of a.", "T1");
    s.Input(3, "b", "Quantized N-D tensor.", "T2");
    s.Input(4, "b_scale", "Scale of b.", "TS");
    s.Input(5, "b_zero_point", "Zero point of b.", "T2");
    s.Input(6, "y_scale", "Scale of the output.", "TS");
    s.Input(7, "y_zero_point", "Zero point of the output; its type is the output type.", "T3");
    s.Output(0, "y", "Quantized product.", "T3");
    const Types q = join(tensors({"int8", "uint8"}), newTypesUpTo(19));
    s.TypeConstraint("TS", tensors({"float", "float16", "bfloat16"}), "Scale types.");
    s.TypeConstraint("T1", q, "Types of a.");
    s.TypeConstraint("T2", q, "Types of b.");
    s.TypeConstraint("T3", q, "Output types.");
    s.TypeAndShapeInferenceFunction([](InferenceContext& ctx) {
      onnx::propagateElemTypeFromInputToOutput(ctx, 7, 0);
      matmulShape(ctx, 0, 3);
    });
    add(std::move(s));
  }
  {
    OpSchema s = make("BitCast", 26,
                      "Reinterprets the bits of each element as the type `to`, which must have the same bit width "
                      "as the input type; the shape is unchanged.");
    s.Attr("to", "The element type to reinterpret as (a TensorProto.DataType value).", AttributeProto::INT, true);
    s.Input(0, "input", "Input tensor.", "T1");
    s.Output(0, "output", "The same bits read as `to`.", "T2");
    const Types bitTypes = join(join(numericTypes(), tensors({"bool"})), newTypesUpTo(25));
    s.TypeConstraint("T1", bitTypes, "Input types.");
    s.TypeConstraint("T2", bitTypes, "Output types.");
    s.TypeAndShapeInferenceFunction([](InferenceContext& ctx) {
      const auto* to = ctx.getAttribute("to");
      if (!to) fail_type_inference("attribute 'to' is required");
      requireKnownType(ctx, "to", to->i(), 26);
      auto bits = [](std::int64_t t) -> int {
        switch (t) {
          case 1: case 6: case 12: return 32;
          case 2: case 3: case 9: return 8;
          case 4: case 5: case 10: case 16: return 16;
          case 7: case 11: case 13: return 64;
          case 17: case 18: case 19: case 20: case 24: return 8;
          case 21: case 22: case 23: return 4;
          case 25: case 26: return 2;
          default: return 0;
        }
      };
      if (hasInput(ctx, 0)) {
        const int from = ctx.getInputType(0)->tensor_type().elem_type();
        if (from != 0 && bits(from) != bits(to->i()))
          fail_type_inference("BitCast needs types of the same bit width: input has ", bits(from), " bits, 'to' ",
                              bits(to->i()));
      }
      setOutputElemType(ctx, 0, static_cast<int>(to->i()));
      if (onnx::hasInputShape(ctx, 0)) onnx::propagateShapeFromInputToOutput(ctx, 0, 0);
    });
    add(std::move(s));
  }
}

}  // namespace graft::schema::detail
