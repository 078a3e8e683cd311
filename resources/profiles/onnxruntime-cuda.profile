# ONNX Runtime, CUDA execution provider.
# Sources:
#  [utils]  onnxruntime/core/optimizer/graph_transformer_utils.cc (github.com/microsoft/onnxruntime):
#           Level2 (extended) transformers and the EPs each one is registered for
#  [cuda]   https://onnxruntime.ai/docs/execution-providers/CUDA-ExecutionProvider.html
#  [kernels] docs/OperatorKernels.md (CUDAExecutionProvider section): CUDA kernels per op and type
#  [contrib] docs/ContribOperators.md: com.microsoft op definitions
profile onnxruntime-cuda
description: "ONNX Runtime, CUDA execution provider (cuDNN/cuBLAS kernels and com.microsoft contrib ops)"
# Opset 17: a model importing an older ai.onnx opset is converted first (ONNX's version converter,
# verified), so decomposed LayerNorms fuse into the standard LayerNormalization-17 like ORT's
# LayerNormFusion does at any opset. ORT itself writes LayerNormalization in the default domain below
# opset 17 because it registers its own schema there from version 1 (onnxruntime/core/graph/contrib_ops/
# contrib_defs.cc, kernels in contrib_ops/cpu/cpu_contrib_kernels.cc); Graft does not register it: the result stays a model
# the onnx checker and other runtimes accept (docs/rules.md, "LayerNormalization below opset 17").
opset: 17
domains: ai.onnx, com.microsoft
rules: matmul.rules, activation.rules, gelu.rules, normalization.rules

# Basic level runs for every EP ([utils] Level1: "no filtering on execution provider for L1
# optimizations as they only use official ONNX operators"); so do ConvBNFusion and MatmulBNFusion.
apply: cleanup.*
apply: fuse.bn_conv, fuse.bn_convtranspose, fuse.bn_gemm
# Extended-level transformers registered for the CUDA EP ([utils] Level2): AttentionFusion,
# LayerNormFusion, SimplifiedLayerNormFusion, SkipLayerNormFusion, GeluFusion, BiasGeluFusion,
# FastGeluFusion, QuickGeluFusion (cpu_acl_cuda_dml_rocm / cpu_cuda_rocm EP sets).
apply: fuse.attention
# GPT-style causal attention (packed QKV, Split, tril mask) into Attention with unidirectional = 1
# ([contrib] Attention: "unidirectional: whether every token can only attend to previous tokens").
apply: fuse.attention_causal
apply: fuse.skip_layernorm_decomposed, fuse.skip_layernorm_decomposed_sum
apply: fuse.layernorm, fuse.rmsnorm.ort
apply: fuse.skip_layernorm, fuse.skip_layernorm_sum
apply: fuse.bias_gelu, fuse.bias_gelu_tanh, fuse.gelu_erf, fuse.gelu_erf_half_first, fuse.gelu_tanh
apply: fuse.silu_quickgelu
# MatMulAddFusion is basic level, any EP ([utils] Level1).
apply: fuse.matmul_add_gemm
# MatMulScaleFusion: extended, CPU/ACL/CUDA/DML/ROCm ([utils] Level2).
apply: fuse.matmul_scale
# Not applied: ConvActivationFusion and GemmActivationFusion are not registered for the CUDA EP in
# current ORT ([utils] Level2: ConvActivationFusion(cpu_rocm_acl_armnn_js_webgpu_eps),
# GemmActivationFusion(cpu_ep)): ORT itself does not produce FusedConv/FusedGemm for CUDA.

# [kernels]: the CUDA EP registers no kernels for the ai.onnx.ml domain or for string tensors; such
# nodes run on the CPU EP with device copies around them.
block dtype string: "the CUDA EP has no string kernels (docs/OperatorKernels.md, CUDAExecutionProvider); the node falls back to CPU with copies"
block op ai.onnx.ml:TreeEnsembleClassifier: "ai.onnx.ml ops have no CUDA kernels (docs/OperatorKernels.md); they run on the CPU EP"
block op ai.onnx.ml:TreeEnsembleRegressor: "ai.onnx.ml ops have no CUDA kernels (docs/OperatorKernels.md); they run on the CPU EP"
