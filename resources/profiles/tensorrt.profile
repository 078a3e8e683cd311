# NVIDIA TensorRT (through its ONNX parser, onnx-tensorrt, or ONNX Runtime's TensorRT EP).
# TensorRT fuses at engine build time, so Graft leaves those patterns alone ("backend will fuse") and
# instead makes the model parse: standard ONNX only, no com.microsoft ops, opset-17 LayerNormalization.
# Sources:
#  [fusion]  https://docs.nvidia.com/deeplearning/tensorrt/latest/performance/fusion-catalog.html
#            (Layer Fusion Catalog: Convolution + ReLU/activation, Convolution + Scale, pointwise and
#            MatrixMultiply fusions are done by the builder)
#  [ops]     https://github.com/onnx/onnx-tensorrt/blob/main/docs/operators.md (ONNX operator support
#            matrix and restrictions; the TensorRT 8.4 matrix at commit 009d6541 is quoted below)
#  [import]  onnx-tensorrt onnxOpImporters.cpp: DEFINE_BUILTIN_OP_IMPORTER(Gemm) asserts "GEMM must have
#            2D inputs" and builds MatrixMultiply (+ ElementWise for C)
#  [ln]      TensorRT 8.6 release notes, quoted in github.com/NVIDIA/TensorRT/issues/3657: "For networks
#            containing normalization layers, particularly if deploying with mixed precision, target the
#            latest ONNX opset that contains the corresponding function ops, for example: opset 17 for
#            LayerNormalization"
#  [mha]     https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/transformers-fused-attention.html
#            ("Constructing an attention graph using primitive INetwork layers like IMatrixMultiplyLayer and
#            ISoftMaxLayer" triggers attention fusion; Q or K must be scaled before the first BMM)
#  [opset]   https://docs.nvidia.com/deeplearning/tensorrt/latest/reference/onnx-opset-guide.html ("Supported ONNX
#            and Opset Versions": TensorRT 11.x, ONNX package 1.20.0, maximum opset 25, backward support to 9;
#            "Export ... to the latest opset your exporter supports"); TensorRT 11.5 release notes: "Added support
#            for ONNX opset 25"
#  [quant]   https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/work-quantized-types.html
#            (symmetric INT8/FP8 quantization: explicit Q/DQ with zero points of 0)
profile tensorrt
description: "NVIDIA TensorRT via its ONNX parser: standard ONNX, builder-side fusions"
# [opset]: the newest opset the parser takes (LayerNormalization, [ln], is in it since 17).
opset: 25
domains: ai.onnx
rules: matmul.rules, activation.rules, gelu.rules, normalization.rules

# First: ORT's optimizer writes LayerNormalization below opset 17 (onnxruntime/contrib_ops/cpu/
# cpu_contrib_kernels.cc registers it in the default domain since version 1), which the onnx checker rejects,
# and every rule is verified with the checker, so nothing else could apply before these are decomposed.
apply: decompose.layernorm, decompose.simplified_layernorm
apply: cleanup.*
# [ln]: one LayerNormalization (opset 17) instead of its primitive ops, for accuracy in FP16.
apply: fuse.layernorm
# The parser knows standard ONNX ops only ([ops] lists no com.microsoft op): turn ONNX Runtime contrib
# ops a model may carry back into standard ONNX.
# (Attention/MultiHeadAttention become the scaled-Q MatMul/Softmax/MatMul chain the builder fuses itself
# [mha]; the Skip* norms become Add + LayerNormalization, which [ln] asks for.)
apply: split.fusedconv, split.fusedgemm
apply: inverse fuse.gelu_erf, inverse fuse.bias_gelu, inverse fuse.gelu_tanh, inverse fuse.bias_gelu_tanh
apply: decompose.quickgelu, decompose.fusedmatmul
apply: decompose.attention, decompose.multihead_attention
apply: decompose.skip_layernorm, decompose.skip_simplified_layernorm

# [fusion]: the builder fuses these itself ("Convolution and ReLU Activation", "Convolution and Scale"
# (BatchNormalization is imported as a Scale layer), MatrixMultiply with bias/activation epilogues).
backend-fuses: fuse.bn_conv, fuse.bn_convtranspose, fuse.conv_activation, fuse.gemm_activation
# [import]: Gemm becomes MatrixMultiply + ElementWise anyway and must be 2-D; MatMul+Add stays apart.
backend-fuses: fuse.matmul_add_gemm

# [ops] (TensorRT 8.4 matrix): operators marked N, and restrictions that make the parser fail.
block op NonZero: "not supported by the TensorRT ONNX parser (onnx-tensorrt docs/operators.md: NonZero N)"
block op Unique: "not supported by the TensorRT ONNX parser (onnx-tensorrt docs/operators.md: Unique N)"
block op OneHot: "not supported by the TensorRT ONNX parser (onnx-tensorrt docs/operators.md: OneHot N)"
block op Mod: "not supported by the TensorRT ONNX parser (onnx-tensorrt docs/operators.md: Mod N)"
block op MatMulInteger: "not supported (onnx-tensorrt docs/operators.md: MatMulInteger N); use Q/DQ (explicit quantization) instead"
block op ConvInteger: "not supported (onnx-tensorrt docs/operators.md: ConvInteger N); use Q/DQ (explicit quantization) instead"
block op QLinearConv: "not supported (onnx-tensorrt docs/operators.md: QLinearConv N); TensorRT wants QuantizeLinear/DequantizeLinear pairs"
block op QLinearMatMul: "not supported (onnx-tensorrt docs/operators.md: QLinearMatMul N); TensorRT wants QuantizeLinear/DequantizeLinear pairs"
block op DynamicQuantizeLinear: "not supported (onnx-tensorrt docs/operators.md: DynamicQuantizeLinear N); TensorRT quantizes with calibrated static scales"
block op SequenceConstruct: "sequence types are not supported (onnx-tensorrt docs/operators.md: Sequence* N)"
block op SplitToSequence: "sequence types are not supported (onnx-tensorrt docs/operators.md: SplitToSequence N)"
block op com.microsoft:Attention: "ONNX Runtime contrib op: not an ONNX op, the TensorRT parser rejects it (decompose.attention rewrites the forms without past/present state)"
block op com.microsoft:MultiHeadAttention: "ONNX Runtime contrib op: not an ONNX op, the TensorRT parser rejects it (decompose.multihead_attention rewrites separate 3-D Q/K/V)"
block op com.microsoft:LayerNormalization: "ONNX Runtime contrib op: use the opset-17 LayerNormalization"
# [ops]: DequantizeLinear "x_zero_point must be zero", QuantizeLinear "y_zero_point must be 0" ([quant]:
# TensorRT's quantization is symmetric).
block attribute Resize.mode in ["cubic"]: "cubic Resize is not supported (onnx-tensorrt docs/operators.md: supported resize modes nearest, linear)"
# [ops]: "TensorRT supports the following ONNX data types: DOUBLE, FLOAT32, FLOAT16, INT8, and BOOL" with
# limited INT32/INT64/DOUBLE support (cast down to INT32/FLOAT, clamping).
block dtype float64: "TensorRT casts DOUBLE down to FLOAT, clamping to +-FLT_MAX (onnx-tensorrt docs/operators.md)"

# Quantization. TensorRT's explicit quantization: Q/DQ on the inputs of the weighted ops (Conv,
# MatMul, Gemm), symmetric int8 with zero point 0 for activations and weights; TensorRT propagates
# and fuses the rest itself, and its docs recommend quantizing the inputs of weighted operations
# only ([explicit] https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/quantized-types-explicit-quantization.html,
# "Q/DQ Layer-Placement Recommendations"; "TensorRT only supports symmetric quantization", zero point 0).
quantize-ops: Conv, MatMul, Gemm
quantize-outputs: no
quantize-activations: s8
