# Intel OpenVINO (its ONNX frontend, or ONNX Runtime's OpenVINO EP).
# OpenVINO converts the ONNX model to its own opset and then runs its common transformations, which fuse
# most patterns themselves: Graft leaves those alone ("backend will fuse") and only cleans up and uses
# standard ONNX forms.
# Sources:
#  [fe]     github.com/openvinotoolkit/openvino src/frontends/onnx/frontend/src/op/ (one file per ONNX op the
#           frontend converts; com.microsoft/ holds the ONNX Runtime contrib ops it also reads: attention.cpp,
#           bias_gelu.cpp, fast_gelu.cpp, fused_conv.cpp, fusedgemm.cpp, gelu.cpp, quick_gelu.cpp,
#           skip_layer_normalization.cpp, simplified_layer_normalization.cpp, multi_head_attention.cpp)
#  [tx]     github.com/openvinotoolkit/openvino src/common/transformations/include/transformations/
#           common_optimizations/: gelu_fusion.hpp (Erf and Tanh GELU forms -> Gelu), mvn_fusion.hpp
#           (decomposed mean/variance normalization -> MVN), rms_fusion.hpp (RMSNorm), sdpa_fusion.hpp
#           (MatMul/Add/Softmax/MatMul -> ScaledDotProductAttention), conv_mul_fusion.hpp (per-channel
#           Multiply folded into Convolution weights), conv_bias_fusion.hpp
#  [supported] https://docs.openvino.ai/2025/documentation/compatibility-and-support/supported-operations.html
#  [dyn]    https://docs.openvino.ai/latest/openvino_docs_OV_UG_DynamicShapes.html
#  [onnxops] github.com/openvinotoolkit/openvino src/frontends/onnx/docs/supported_ops.md ("ONNX Operations
#           Supported by OpenVINO ONNX Frontend": the Defined Version column reaches opset 23, e.g. Gelu 20,
#           GroupNormalization 21, RMSNormalization 23)
profile openvino
description: "Intel OpenVINO via its ONNX frontend: standard ONNX (ORT contrib ops are read too), transformations fuse the rest"
domains: ai.onnx, com.microsoft
rules: matmul.rules, activation.rules, gelu.rules, normalization.rules
# [onnxops]: the newest opset whose operator versions the frontend defines.
opset: 23

apply: cleanup.*
# LayerNormalization (opset 17) is read by the frontend ([fe] layer_normalization.cpp) and maps to MVN directly.
apply: fuse.layernorm

# [tx]: OpenVINO's own passes do these after conversion.
backend-fuses: fuse.gelu_erf, fuse.gelu_erf_half_first, fuse.gelu_tanh
backend-fuses: fuse.rmsnorm.ort
backend-fuses: fuse.attention, fuse.attention_causal
# BatchNormalization is converted to a per-channel Multiply/Add that ConvolutionMultiplyFusion and
# ConvolutionBiasFusion fold into the convolution ([tx] conv_mul_fusion.hpp, conv_bias_fusion.hpp).
backend-fuses: fuse.bn_conv, fuse.bn_convtranspose

# [dyn]: "Calling the reshape() and compile_model() methods each time a new size comes is extremely
# time-consuming"; dynamic dimensions are compiled shape-agnostic. Reshape to static shapes when the
# deployment shape is known.
block dynamic-shape Conv: "a Conv on a dynamically shaped input is compiled shape-agnostic by OpenVINO; set static input shapes (ov::Model::reshape) when they are known (OpenVINO docs: Dynamic Shapes)"

# Quantization. OpenVINO turns each QuantizeLinear -> DequantizeLinear pair into one FakeQuantize and
# runs an op in low precision when all its inputs come through FakeQuantize ([lp]
# https://docs.openvino.ai/2021.4/pot_docs_ModelRepresentation.html: "all its inputs should be quantized
# i.e. should have FakeQuantize between operation and data blobs"). Its post-training tool (NNCF) puts
# them on the inputs of Conv, MatMul/Gemm, elementwise Add/Mul and pooling, u8 activations and s8
# per-channel weights; outputs are not quantized separately.
quantize-ops: Conv, MatMul, Gemm, Add, Mul, AveragePool, GlobalAveragePool, Concat
quantize-outputs: no
quantize-activations: u8
