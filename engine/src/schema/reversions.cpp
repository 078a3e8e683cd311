// The type-only re-versions of opsets 19–25, derived from the previous version of each op with
// widened type constraints rather than written out again: 19 adds the four float8 types, 21
// int4/uint4, 23 float4e2m1, 24 float8e8m0, 25 int2/uint2 to the ops that move data without
// computing on it; 22 adds bfloat16 to most float ops; 20 widens ConstantOfShape, IsInf, IsNaN
// and Equal (string) and 24 TopK. The operator lists follow the ONNX changelog.
#include "schema/builder.h"

namespace graft::schema::detail {
namespace {

std::string typeNote(int opset) {
  switch (opset) {
    case 19: return "Opset 19 adds the float8 types (float8e4m3fn, float8e4m3fnuz, float8e5m2, float8e5m2fnuz).";
    case 21: return "Opset 21 adds the 4-bit integer types int4 and uint4.";
    case 23: return "Opset 23 adds float4e2m1.";
    case 24: return "Opset 24 adds float8e8m0.";
    case 25: return "Opset 25 adds the 2-bit integer types int2 and uint2.";
    default: return "";
  }
}

void newTypes(int opset, std::initializer_list<const char*> ops) {
  for (const char* op : ops)
    derive(op, opset, [opset](const std::string&, const Types& t) { return widenWithNewTypes(opset, t); },
           typeNote(opset));
}

}  // namespace

void registerReversions() {
  newTypes(19, {"Constant", "Identity", "If", "Loop", "Reshape", "Scan", "Shape", "Size"});
  derive("Equal", 19, [](const std::string&, const Types& t) { return join(t, tensors({"string"})); },
         "Opset 19 compares strings too.");

  derive("ConstantOfShape", 20,
         [](const std::string& p, const Types& t) {
           return p == "T2" ? join(join(t, tensors({"bfloat16"})), newTypesUpTo(19)) : t;
         },
         "Opset 20 allows bfloat16 and the float8 types as the value's type.");
  for (const char* op : {"IsInf", "IsNaN"})
    derive(op, 20,
           [](const std::string& p, const Types& t) {
             return p == "T1" ? join(join(t, tensors({"float16", "bfloat16"})), newTypesUpTo(19)) : t;
           },
           "Opset 20 accepts float16, bfloat16 and the float8 types.");

  newTypes(21, {"Constant", "ConstantOfShape", "Flatten", "Identity", "If", "Loop", "Pad", "Reshape", "Scan",
                "Shape", "Size", "Squeeze", "Transpose", "Unsqueeze"});

  for (const char* op :
       {"EyeLike", "RandomUniform", "RandomNormal", "RandomUniformLike", "RandomNormalLike", "Multinomial",
        "Bernoulli", "ThresholdedRelu", "Selu", "Elu", "Mish", "HardSigmoid", "HardSwish", "Softsign", "Softplus",
        "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Round", "Det",
        "NegativeLogLikelihoodLoss", "AveragePool", "MaxPool", "MaxUnpool", "LpPool", "MaxRoiPool", "Conv",
        "ConvTranspose", "DeformConv", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool",
        "InstanceNormalization", "LpNormalization", "Dropout", "RoiAlign", "RNN", "GRU", "LSTM"})
    derive(op, 22, [](const std::string&, const Types& t) { return widenWithBfloat16(t); }, "Opset 22 adds bfloat16.",
           [op](onnx::OpSchema& s) {
             if (std::string(op) == "MaxPool") s.TypeAndShapeInferenceFunction(poolingInference());
           });

  const auto reversioned = {"Constant", "ConstantOfShape", "Flatten", "Identity", "If", "Loop", "Pad", "Reshape",
                            "Scan", "Shape", "Size", "Squeeze", "Transpose", "Unsqueeze"};
  for (int opset : {23, 24, 25})
    for (const char* op : reversioned)
      derive(op, opset, [opset](const std::string&, const Types& t) { return widenWithNewTypes(opset, t); },
             typeNote(opset));

  derive("TopK", 24, [](const std::string&, const Types& t) { return widenWithBfloat16(t); },
         "Opset 24 adds bfloat16.");
}

}  // namespace graft::schema::detail
