# Standard ONNX only, for any runtime: no com.microsoft or other custom-domain ops. Fuses only into ops
# the ONNX specification defines, and turns ONNX Runtime contrib ops back into standard subgraphs.
# Sources:
#  [spec] https://github.com/onnx/onnx/blob/main/docs/Operators.md (LayerNormalization since opset 17,
#         Gemm, BatchNormalization, Conv); https://github.com/onnx/onnx/blob/main/docs/Changelog.md
#  [contrib] https://github.com/microsoft/onnxruntime/blob/main/docs/ContribOperators.md (the com.microsoft
#         ops this profile decomposes: Gelu, BiasGelu, FastGelu, QuickGelu, SkipLayerNormalization,
#         SkipSimplifiedLayerNormalization, FusedConv, FusedGemm, FusedMatMul, Attention,
#         MultiHeadAttention are ONNX Runtime's, not ONNX's; their definitions give the decompositions)
#  [ortln] onnxruntime/contrib_ops/cpu/cpu_contrib_kernels.cc: ORT registers LayerNormalization and
#         SimplifiedLayerNormalization as contrib kernels in the default domain since version 1, so
#         models ORT optimized below opset 17 carry a LayerNormalization ONNX does not define yet
profile portable
description: "Standard ONNX only (any runtime): cleanup, standard fusions, contrib ops decomposed"
domains: ai.onnx
rules: matmul.rules, activation.rules, gelu.rules, normalization.rules

# First: ORT's optimizer writes LayerNormalization below opset 17 ([ortln]), which the onnx checker rejects,
# and every rule is verified with the checker, so nothing else could apply before these are decomposed.
apply: decompose.layernorm, decompose.simplified_layernorm
apply: cleanup.*
# [spec]: Conv/ConvTranspose/Gemm with folded weights are the same standard ops.
apply: fuse.bn_conv, fuse.bn_convtranspose, fuse.bn_gemm
# [spec]: LayerNormalization is standard from opset 17.
apply: fuse.layernorm
# [spec]: Gemm is standard (opset 13: C broadcasts unidirectionally to [M, N]).
apply: fuse.matmul_add_gemm
# [contrib]: decompose ONNX Runtime's fused ops into the standard ops they stand for.
apply: split.fusedconv, split.fusedgemm
apply: inverse fuse.gelu_erf, inverse fuse.bias_gelu, inverse fuse.gelu_tanh, inverse fuse.bias_gelu_tanh
# [spec] Gelu (opset 20, approximate none|tanh) and RMSNormalization (opset 23) are standard ONNX: from those
# opsets the written-out forms (and the contrib ops decomposed above) become one standard op; below them the
# rules do not apply (they need the opset).
apply: fuse.gelu_erf.onnx, fuse.gelu_erf_half_first.onnx, fuse.gelu_tanh.onnx
apply: fuse.rmsnorm.onnx
# [contrib] QuickGelu: x * Sigmoid(alpha * x), any alpha (ORT's QuickGeluFusion also emits 1.702).
apply: decompose.quickgelu
# [contrib] FusedMatMul: alpha * op(A) op(B) (transA/transB transpose the last two dims).
apply: decompose.fusedmatmul
# [contrib] Attention (packed QKV, raw 2-D/3-D mask_index, unidirectional) and MultiHeadAttention
# (separate 3-D Q/K/V): the scaled dot-product attention they define, in standard ops.
apply: decompose.attention, decompose.multihead_attention
# [contrib] Skip(Simplified)LayerNormalization: input + skip (+ bias), then the normalization
# (LayerNormalization from opset 17 [spec], its primitive ops below). (decompose.layernorm and
# decompose.simplified_layernorm, at the top, do the same for ORT's LayerNormalization below opset 17 and
# SimplifiedLayerNormalization, RMSNorm; at opset 23 fuse.rmsnorm.onnx above makes that ONNX's RMSNormalization.)
apply: decompose.skip_layernorm, decompose.skip_simplified_layernorm

# [contrib]: what the decompositions above refuse stays non-portable and is reported (graft-cli match
# --explain says why, e.g. a KV-cache past/present or a 1-D mask_index).
block op com.microsoft:Attention: "ONNX Runtime contrib op (docs/ContribOperators.md), not ONNX; decompose.attention rewrites the forms without past/present state"
block op com.microsoft:MultiHeadAttention: "ONNX Runtime contrib op (docs/ContribOperators.md), not ONNX; decompose.multihead_attention rewrites separate 3-D Q/K/V without past state"
block op com.microsoft:EmbedLayerNormalization: "ONNX Runtime contrib op (docs/ContribOperators.md), not ONNX"
block op SimplifiedLayerNormalization: "ONNX Runtime's default-domain contrib RMSNorm (onnxruntime/contrib_ops/cpu/cpu_contrib_kernels.cc); ONNX has RMSNormalization only from opset 23; decompose.simplified_layernorm rewrites it over the last axis (and fuse.rmsnorm.onnx makes it RMSNormalization at opset 23)"

# Quantization. Conservative QDQ every runtime with opset-13 QuantizeLinear/DequantizeLinear runs
# (onnx/docs/Operators.md, QuantizeLinear-13 and DequantizeLinear-13 with per-axis scales): Q/DQ on the
# activation inputs of Conv, MatMul and Gemm only, u8 asymmetric activations, s8 per-channel weights.
quantize-ops: Conv, MatMul, Gemm
quantize-outputs: no
quantize-activations: u8
