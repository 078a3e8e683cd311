# Standard ONNX only, for any runtime: no com.microsoft or other custom-domain ops. Fuses only into ops
# the ONNX specification defines, and turns ONNX Runtime contrib ops back into standard subgraphs.
# Sources:
#  [spec] https://github.com/onnx/onnx/blob/main/docs/Operators.md (LayerNormalization since opset 17,
#         Gemm, BatchNormalization, Conv); https://github.com/onnx/onnx/blob/main/docs/Changelog.md
#  [contrib] https://github.com/microsoft/onnxruntime/blob/main/docs/ContribOperators.md (the com.microsoft
#         ops this profile decomposes: Gelu, BiasGelu, FastGelu, QuickGelu, SkipLayerNormalization,
#         FusedConv, FusedGemm are ONNX Runtime's, not ONNX's)
profile portable
description: "Standard ONNX only (any runtime): cleanup, standard fusions, contrib ops decomposed"
domains: ai.onnx
rules: matmul.rules, activation.rules, gelu.rules, normalization.rules

apply: cleanup.*
# [spec]: Conv/ConvTranspose/Gemm with folded weights are the same standard ops.
apply: fuse.bn_conv, fuse.bn_convtranspose, fuse.bn_gemm
# [spec]: LayerNormalization is standard from opset 17.
apply: fuse.layernorm
# [spec]: Gemm is standard (opset 13: C broadcasts unidirectionally to [M, N]).
apply: fuse.matmul_add_gemm
# [contrib]: decompose ONNX Runtime's fused ops into the standard ops they stand for.
apply: split.fusedconv, split.fusedgemm, split.skip_layernorm
apply: inverse fuse.gelu_erf, inverse fuse.bias_gelu, inverse fuse.gelu_tanh, inverse fuse.bias_gelu_tanh
apply: inverse fuse.silu_quickgelu

# [contrib]: contrib ops that have no inverse rule here stay non-portable.
block op com.microsoft:Attention: "ONNX Runtime contrib op (docs/ContribOperators.md), not ONNX; no standard decomposition is applied"
block op com.microsoft:MultiHeadAttention: "ONNX Runtime contrib op (docs/ContribOperators.md), not ONNX"
block op com.microsoft:FusedMatMul: "ONNX Runtime contrib op (docs/ContribOperators.md), not ONNX"
block op com.microsoft:EmbedLayerNormalization: "ONNX Runtime contrib op (docs/ContribOperators.md), not ONNX"
block op SimplifiedLayerNormalization: "ONNX Runtime's default-domain contrib RMSNorm (onnxruntime/contrib_ops/cpu/cpu_contrib_kernels.cc); ONNX has RMSNormalization only from opset 23"
