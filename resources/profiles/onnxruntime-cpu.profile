# ONNX Runtime, CPU execution provider.
# Graft applies offline what ONNX Runtime's `basic` and `extended` graph optimizations do when a
# session loads the model (so the model can run with optimizations off, or load faster), plus fusions
# ORT's optimizer misses on PyTorch exports (BERT attention with a padding mask, SkipLayerNorm).
# Sources (every claim below cites one of these):
#  [levels] https://onnxruntime.ai/docs/performance/model-optimizations/graph-optimizations.html
#  [utils]  onnxruntime/core/optimizer/graph_transformer_utils.cc (github.com/microsoft/onnxruntime):
#           which transformer runs at which level (Level1 = basic, Level2 = extended) for which EP
#  [kernels] docs/OperatorKernels.md (github.com/microsoft/onnxruntime): CPU kernels per op and type
#  [contrib] docs/ContribOperators.md (github.com/microsoft/onnxruntime): com.microsoft op definitions
profile onnxruntime-cpu
description: "ONNX Runtime, CPU execution provider (MLAS kernels and com.microsoft contrib ops)"
# Opset 17: a model importing an older ai.onnx opset is converted first (ONNX's version converter,
# verified), so decomposed LayerNorms fuse into the standard LayerNormalization-17 like ORT's
# LayerNormFusion does at any opset. ORT itself writes LayerNormalization in the default domain below
# opset 17 because it registers its own schema there from version 1 (onnxruntime/core/graph/contrib_ops/
# contrib_defs.cc, kernels in contrib_ops/cpu/cpu_contrib_kernels.cc); Graft does not register it: the result stays a model
# the onnx checker and other runtimes accept (docs/rules.md, "LayerNormalization below opset 17").
opset: 17
domains: ai.onnx, com.microsoft
rules: matmul.rules, activation.rules, gelu.rules, normalization.rules

# Cleanup = ORT's basic level: constant folding, Identity/Dropout/Slice/Unsqueeze/Expand/Cast elimination,
# no-op elimination, shape-chain (Reshape) fusion, duplicate constants ([utils] Level1 rules and
# ConstantFolding, ConstantSharing, ReshapeFusion, TransposeOptimizer).
apply: cleanup.*
# ConvBNFusion, MatmulBNFusion: basic level, any EP ([utils] Level1 rewrite rules; conv_bn_fusion.cc).
apply: fuse.bn_conv, fuse.bn_convtranspose, fuse.bn_gemm
# ConvActivationFusion (CPU: Relu, Sigmoid, Tanh, LeakyRelu, Clip with constant min/max, HardSigmoid) and
# GemmActivationFusion (CPU only): extended ([utils] Level2; conv_activation_fusion.cc,
# gemm_activation_fusion.cc IsFusableActivation).
apply: fuse.conv_activation, fuse.gemm_activation
# AttentionFusion: extended level, CPU/ACL/CUDA/DML/ROCm ([utils] Level2; attention_fusion.cc). Graft's
# version also fuses the (1 - mask) * -10000 padding-mask form torch.onnx exports for BERT.
apply: fuse.attention
# GPT-style causal attention (packed QKV, Split, tril mask) into Attention with unidirectional = 1
# ([contrib] Attention: "unidirectional: whether every token can only attend to previous tokens").
apply: fuse.attention_causal
# LayerNormFusion (basic and extended), SimplifiedLayerNormFusion (extended, CPU/CUDA/ROCm)
# ([utils]; layer_norm_fusion.cc).
apply: fuse.skip_layernorm_decomposed, fuse.skip_layernorm_decomposed_sum
apply: fuse.layernorm, fuse.rmsnorm.ort
# SkipLayerNormFusion: extended, CPU/ACL/CUDA/DML/ROCm ([utils]; skip_layer_norm_fusion.cc; [contrib]
# SkipLayerNormalization: output 3 is input + skip).
apply: fuse.skip_layernorm, fuse.skip_layernorm_sum
# BiasGeluFusion, GeluFusion, FastGeluFusion, QuickGeluFusion: extended ([utils] Level2; bias_gelu_fusion.cc,
# gelu_fusion.cc, fast_gelu_fusion.cc, quick_gelu_fusion.cc).
apply: fuse.bias_gelu, fuse.bias_gelu_tanh, fuse.gelu_erf, fuse.gelu_erf_half_first, fuse.gelu_tanh
apply: fuse.silu_quickgelu
# MatMulAddFusion: basic level, any EP, 2-D weight, float/float16/bfloat16 ([utils] Level1; matmul_add_fusion.cc).
apply: fuse.matmul_add_gemm
# MatMulScaleFusion: extended, CPU/ACL/CUDA/DML/ROCm ([utils] Level2; matmul_scale_fusion.cc): what is left
# of attention that did not fuse.
apply: fuse.matmul_scale

# Blocks / runs poorly on the CPU EP.
# [kernels]: the CPU EP registers Conv and ConvTranspose for T = tensor(float) only.
block dtype float16 Conv: "ONNX Runtime's CPU Conv kernel is float32 only (docs/OperatorKernels.md); float16 Conv fails to load or falls back"
block dtype float64 Conv: "ONNX Runtime's CPU Conv kernel is float32 only (docs/OperatorKernels.md)"
block dtype float16 ConvTranspose: "ONNX Runtime's CPU ConvTranspose kernel is float32 only (docs/OperatorKernels.md)"
# [kernels]: the CPU EP has no kernels for ONNX Runtime's GPU-only contrib attention variants.
block op com.microsoft:GroupQueryAttention: "GroupQueryAttentionFusion is CUDA-only in ONNX Runtime (graph_transformer_utils.cc registers it for the CUDA EP); on CPU prefer Attention/MultiHeadAttention"

# Quantization (graft-cli quantize, the Quantize dock). ONNX Runtime runs QDQ models by fusing
# DQ -> op -> Q into its QLinear/integer kernels on the CPU EP: QLinearConv, QLinearMatMul, QGemm,
# QLinearAdd/Mul, QLinearAveragePool, QLinearGlobalAveragePool, QLinearConcat; MaxPool, Reshape,
# Transpose, Flatten, Squeeze/Unsqueeze keep their input's scale ([quantization]
# https://onnxruntime.ai/docs/performance/model-optimizations/quantization.html, "QDQ format";
# onnxruntime/core/optimizer/qdq_transformer/selectors_actions/qdq_selector_action_transformer.cc).
# Outputs of quantized ops are quantized too, else no fusion happens; Relu/Clip after them fold into a
# u8 zero point as ORT's own quantizer does (onnxruntime/python/tools/quantization/operators/activation.py,
# QDQRemovableActivation). Activations u8 asymmetric, weights s8 symmetric per channel ("U8S8", the
# documented default for CPU, fastest with VNNI). Dynamic quantization: MatMul becomes
# com.microsoft.DynamicQuantizeMatMul, the op ORT's MatMulIntegerToFloat fusion produces anyway
# ([contrib] DynamicQuantizeMatMul).
quantize-ops: Conv, MatMul, Gemm, Add, Mul, AveragePool, GlobalAveragePool, Concat
quantize-same-scale-ops: MaxPool, Reshape, Flatten, Transpose, Squeeze, Unsqueeze
quantize-outputs: yes
quantize-fold-relu: yes
quantize-activations: u8
quantize-dynamic: com.microsoft
