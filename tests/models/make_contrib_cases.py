#!/usr/bin/env python3
"""Makes tests/data/contrib: one small model per com.microsoft op form that ONNX Runtime's
fusions and Graft's rewrites produce, with seeded inputs and expected outputs computed here
in numpy from ONNX Runtime's contrib op spec (docs/ContribOperators.md), written in the
layout of the ONNX backend node tests (model.onnx, test_data_set_0/input_N.pb, output_N.pb).

The expected outputs were also checked against ONNX Runtime 1.30 while developing (pass
--json DIR to write inputs/outputs as JSON for such a check); the test that reads this data
(tests/test_eval_contrib.cpp) needs neither ORT nor python.

Usage: make_contrib_cases.py OUT_DIR [--json DIR]   (Debian: /usr/bin/python3 with python3-onnx)
"""
import json
import math
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(20261125)
F = TensorProto.FLOAT
MS = "com.microsoft"


def rand(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def erf(x):
    return np.vectorize(math.erf)(x.astype(np.float64))


def gelu(x):
    x = x.astype(np.float64)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def gelu_tanh(x):
    x = x.astype(np.float64)
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def layernorm(x, gamma, beta, eps):
    x = x.astype(np.float64)
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    inv = 1 / np.sqrt(var + eps)
    y = (x - mean) * inv * gamma + (0 if beta is None else beta)
    return y, mean, inv


def rmsnorm(x, gamma, eps):
    x = x.astype(np.float64)
    inv = 1 / np.sqrt((x * x).mean(-1, keepdims=True) + eps)
    return x * inv * gamma, inv


def softmax(a):
    a = a - a.max(-1, keepdims=True)
    e = np.exp(a)
    return e / e.sum(-1, keepdims=True)


def sdpa(q, k, v, scale, add):
    """q [B,N,S,H], k [B,N,L,H], v [B,N,L,Hv], add broadcastable to [B,N,S,L] -> [B,S,N*Hv]."""
    s = np.einsum("bnsh,bnlh->bnsl", q.astype(np.float64), k.astype(np.float64)) * scale + add
    o = np.einsum("bnsl,bnlh->bnsh", softmax(s), v.astype(np.float64))
    B, N, S, Hv = o.shape
    return o.transpose(0, 2, 1, 3).reshape(B, S, N * Hv)


def heads(x, n):
    B, T, D = x.shape
    return x.reshape(B, T, n, D // n).transpose(0, 2, 1, 3)


def causal(S, L, past, filt):
    m = np.zeros((S, L))
    for i in range(S):
        m[i, past + i + 1:] += filt
    return m


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def model(nodes, inputs, outputs, inits=(), opset=13, ms=True):
    """inputs: [(name, array)], outputs: [(name, array)]; returns (ModelProto, ins, outs)."""
    def vi(name, arr):
        dt = onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[arr.dtype]
        return helper.make_tensor_value_info(name, dt, list(arr.shape))
    graph = helper.make_graph(nodes, "contrib", [vi(n, a) for n, a in inputs], [vi(n, a) for n, a in outputs],
                              initializer=[numpy_helper.from_array(a, n) for n, a in inits])
    imports = [helper.make_opsetid("", opset)] + ([helper.make_opsetid(MS, 1)] if ms else [])
    m = helper.make_model(graph, opset_imports=imports, producer_name="graft-tests")
    m.ir_version = 8
    return m, inputs, outputs


def f32(a):
    return np.asarray(a, dtype=np.float32)


@case
def gelu_erf():
    x = rand(2, 3, 8)
    return model([helper.make_node("Gelu", ["x"], ["y"], domain=MS)], [("x", x)], [("y", f32(gelu(x)))])


@case
def fast_gelu_bias():
    x, b = rand(2, 3, 8), rand(8)
    return model([helper.make_node("FastGelu", ["x", "b"], ["y"], domain=MS)], [("x", x), ("b", b)],
                 [("y", f32(gelu_tanh(x + b)))])


@case
def bias_gelu():
    x, b = rand(2, 3, 8), rand(8)
    return model([helper.make_node("BiasGelu", ["x", "b"], ["y"], domain=MS)], [("x", x), ("b", b)], [("y", f32(gelu(x + b)))])


@case
def quick_gelu():
    x = rand(2, 3, 8, scale=2)
    a = 1.5
    y = x.astype(np.float64) / (1 + np.exp(-a * x.astype(np.float64)))
    return model([helper.make_node("QuickGelu", ["x"], ["y"], domain=MS, alpha=a)], [("x", x)], [("y", f32(y))])


@case
def layer_norm_contrib_opset13():
    # ONNX Runtime's LayerNormalization before opset 17: the contrib schema in the ONNX domain.
    x, g, b = rand(2, 3, 16), rand(16), rand(16)
    y, mean, inv = layernorm(x, g, b, 1e-5)
    return model([helper.make_node("LayerNormalization", ["x", "g", "b"], ["y", "mean", "inv"], axis=-1, epsilon=1e-5)],
                 [("x", x), ("g", g), ("b", b)], [("y", f32(y)), ("mean", f32(mean)), ("inv", f32(inv))], ms=False)


@case
def simplified_layer_norm():
    x, g = rand(2, 3, 16), rand(16)
    y, inv = rmsnorm(x, g, 1e-6)
    return model([helper.make_node("SimplifiedLayerNormalization", ["x", "g"], ["y", "inv"], axis=-1, epsilon=1e-6)],
                 [("x", x), ("g", g)], [("y", f32(y)), ("inv", f32(inv))], ms=False)


@case
def skip_layer_norm():
    x, s, g, be, bi = rand(2, 3, 16), rand(2, 3, 16), rand(16), rand(16), rand(16)
    total = x.astype(np.float64) + s + bi
    y, _, _ = layernorm(total, g, be, 1e-12)
    return model([helper.make_node("SkipLayerNormalization", ["x", "s", "g", "be", "bi"], ["y", "", "", "sum"], domain=MS,
                                   epsilon=1e-12)],
                 [("x", x), ("s", s), ("g", g), ("be", be), ("bi", bi)], [("y", f32(y)), ("sum", f32(total))])


@case
def skip_layer_norm_2d_skip():
    x, s, g, be = rand(2, 3, 16), rand(3, 16), rand(16), rand(16)
    y, _, _ = layernorm(x.astype(np.float64) + s, g, be, 1e-5)
    return model([helper.make_node("SkipLayerNormalization", ["x", "s", "g", "be"], ["y"], domain=MS, epsilon=1e-5)],
                 [("x", x), ("s", s), ("g", g), ("be", be)], [("y", f32(y))])


@case
def skip_simplified_layer_norm():
    x, s, g, bi = rand(2, 3, 16), rand(2, 3, 16), rand(16), rand(16)
    total = x.astype(np.float64) + s + bi
    y, _ = rmsnorm(total, g, 1e-6)
    return model([helper.make_node("SkipSimplifiedLayerNormalization", ["x", "s", "g", "bi"], ["y", "", "", "sum"], domain=MS,
                                   epsilon=1e-6)],
                 [("x", x), ("s", s), ("g", g), ("bi", bi)], [("y", f32(y)), ("sum", f32(total))])


def nbits_weights(N, K, bits, block, zp_kind):
    """Random quantized weights packed as MatMulNBits wants; returns (packed, scales, zp, W[K,N])."""
    kb = (K + block - 1) // block
    q = RNG.integers(0, 2 ** bits, size=(N, kb * block)).astype(np.int64)
    scales = (RNG.random((N, kb)) * 0.1 + 0.01).astype(np.float32)
    per = 8 // bits
    packed = np.zeros((N, kb, block * bits // 8), dtype=np.uint8)
    for n in range(N):
        for b in range(kb):
            for k in range(block):
                packed[n, b, k // per] |= np.uint8(q[n, b * block + k] << ((k % per) * bits))
    if zp_kind == "none":
        zp_vals, zp = np.full((N, kb), 2 ** (bits - 1)), None
    elif zp_kind == "packed":
        zp_vals = RNG.integers(0, 2 ** bits, size=(N, kb))
        row = (kb * bits + 7) // 8
        zp = np.zeros((N, row), dtype=np.uint8)
        for n in range(N):
            for b in range(kb):
                zp[n, (b * bits) // 8] |= np.uint8(zp_vals[n, b] << ((b * bits) % 8))
        zp = zp.reshape(-1)
    else:  # float zero points, same type as scales, not packed
        zp_vals = (RNG.random((N, kb)) * 2 ** bits).astype(np.float32)
        zp = zp_vals.reshape(-1)
    W = np.zeros((N, K))
    for n in range(N):
        for k in range(K):
            b = k // block
            W[n, k] = (q[n, k] - float(zp_vals[n, b])) * float(scales[n, b])
    return packed, scales.reshape(-1), zp, W.T


def matmul_nbits(bits, block, zp_kind, bias=False):
    K, N = 64, 24
    a = rand(2, 3, K)
    packed, scales, zp, W = nbits_weights(N, K, bits, block, zp_kind)
    y = a.astype(np.float64) @ W
    ins = ["a", "w", "scales", "zp" if zp is not None else ""]
    inits = [("w", packed), ("scales", scales)] + ([("zp", zp)] if zp is not None else [])
    if bias:
        bv = rand(N)
        y = y + bv
        ins += ["", "bias"]
        inits.append(("bias", bv))
    while ins and ins[-1] == "":
        ins.pop()
    node = helper.make_node("MatMulNBits", ins, ["y"], domain=MS, K=K, N=N, bits=bits, block_size=block)
    return model([node], [("a", a)], [("y", f32(y))], inits=inits)


@case
def matmul_nbits_4bit_zero_points():
    return matmul_nbits(4, 32, "packed")


@case
def matmul_nbits_4bit_symmetric_bias():
    return matmul_nbits(4, 16, "none", bias=True)


@case
def matmul_nbits_8bit_zero_points():
    return matmul_nbits(8, 32, "packed")


@case
def matmul_nbits_4bit_float_zero_points():
    return matmul_nbits(4, 32, "float")


def attention(B, S, D, n, mask=None, causal_=False, past=0, attn_bias=False):
    x, w, b = rand(B, S, D), rand(D, 3 * D, scale=0.3), rand(3 * D)
    qkv = x.astype(np.float64) @ w + b
    q, k, v = (heads(qkv[..., i * D:(i + 1) * D], n) for i in range(3))
    ins, inputs, outs = ["x", "w", "b"], [("x", x)], []
    H = D // n
    add = np.zeros((B, 1, S, S + past))
    if mask is not None:
        ins.append("mask")
        inputs.append(("mask", mask))
        for bi in range(B):
            if mask.ndim == 1:
                add[bi, :, :, mask[bi]:] = -10000.0
            else:
                add[bi, :, :, :] += np.where(mask[bi] > 0, 0.0, -10000.0)
    if past:
        while len(ins) < 4:
            ins.append("")
        pst = rand(2, B, n, past, H)
        ins.append("past")
        inputs.append(("past", pst))
        k = np.concatenate([pst[0], k], axis=2)
        v = np.concatenate([pst[1], v], axis=2)
    if causal_:
        add = add + causal(S, S + past, past, -10000.0)
    if attn_bias:
        while len(ins) < 5:
            ins.append("")
        ab = rand(1, n, S, S + past)
        ins.append("ab")
        inputs.append(("ab", ab))
        add = add + ab
    y = sdpa(q, k, v, 1 / math.sqrt(H), add)
    outs.append(("y", f32(y)))
    node_outs = ["y"]
    if past:
        node_outs.append("present")
        outs.append(("present", f32(np.stack([k, v]))))
    node = helper.make_node("Attention", ins, node_outs, domain=MS, num_heads=n, unidirectional=int(causal_))
    return model([node], inputs, outs, inits=[("w", w), ("b", b)])


@case
def attention_mask_2d():
    return attention(2, 4, 16, 2, mask=np.array([[1, 1, 1, 0], [1, 1, 0, 0]], dtype=np.int32))


@case
def attention_mask_lengths_causal():
    return attention(2, 5, 16, 4, mask=np.array([5, 3], dtype=np.int32), causal_=True)


@case
def attention_past_present():
    return attention(1, 3, 16, 2, causal_=True, past=2)


@case
def attention_bias_input():
    return attention(2, 4, 16, 2, attn_bias=True)


def mha(B, S, L, D, n, kind="separate", bias=True, mask=None, causal_=False, past=0, attn_bias=False):
    H = D // n
    q, k, v = rand(B, S, D), rand(B, L, D), rand(B, L, D)
    bv = rand(3 * D) if bias and kind != "bnsh" else None
    qb = q + (bv[:D] if bv is not None else 0)
    kb = k + (bv[D:2 * D] if bv is not None else 0)
    vb = v + (bv[2 * D:] if bv is not None else 0)
    Q, K, V = heads(qb.astype(np.float64), n), heads(kb.astype(np.float64), n), heads(vb.astype(np.float64), n)
    inputs = []
    if kind == "separate":
        ins = ["q", "k", "v"]
        inputs += [("q", q), ("k", k), ("v", v)]
    elif kind == "packed_kv":
        kv = np.stack([k.reshape(B, L, n, H), v.reshape(B, L, n, H)], axis=3)
        ins = ["q", "kv", ""]
        inputs += [("q", q), ("kv", kv)]
    elif kind == "packed_qkv":
        assert L == S
        qkv = np.stack([q.reshape(B, S, n, H), k.reshape(B, S, n, H), v.reshape(B, S, n, H)], axis=3)
        ins = ["qkv", "", ""]
        inputs += [("qkv", qkv)]
    else:  # bnsh: projected key/value already in heads, no bias
        ins = ["q", "k4", "v4"]
        inputs += [("q", q), ("k4", K.astype(np.float32)), ("v4", V.astype(np.float32))]
        K, V = K.astype(np.float32).astype(np.float64), V.astype(np.float32).astype(np.float64)
    ins.append("bias" if bv is not None else "")
    total = past + L
    add = np.zeros((B, 1, S, total))
    if mask is not None:
        ins.append("mask")
        inputs.append(("mask", mask))
        for bi in range(B):
            if mask.ndim == 1:
                add[bi, :, :, mask[bi]:] = -10000.0
            else:
                add[bi, :, :, :] += np.where(mask[bi] > 0, 0.0, -10000.0)
    else:
        ins.append("")
    if attn_bias:
        ab = rand(B, 1, S, total)
        ins.append("ab")
        inputs.append(("ab", ab))
        add = add + ab
    else:
        ins.append("")
    outs, node_outs = [], ["y"]
    if past:
        pk, pv = rand(B, n, past, H), rand(B, n, past, H)
        ins += ["pk", "pv"]
        inputs += [("pk", pk), ("pv", pv)]
        K = np.concatenate([pk, K], axis=2)
        V = np.concatenate([pv, V], axis=2)
    if causal_:
        add = add + causal(S, total, past, -10000.0)
    while ins and ins[-1] == "":
        ins.pop()
    y = sdpa(Q, K, V, 1 / math.sqrt(H), add)
    outs.append(("y", f32(y)))
    if past:
        node_outs += ["present_key", "present_value"]
        outs += [("present_key", f32(K)), ("present_value", f32(V))]
    node = helper.make_node("MultiHeadAttention", ins, node_outs, domain=MS, num_heads=n, unidirectional=int(causal_))
    return model([node], inputs, outs, inits=[("bias", bv)] if bv is not None else [])


@case
def mha_cross_bias_mask():
    return mha(2, 3, 5, 16, 2, mask=np.array([[1, 1, 1, 1, 0], [1, 1, 0, 0, 0]], dtype=np.int32))


@case
def mha_packed_kv():
    return mha(1, 3, 4, 16, 4, kind="packed_kv", bias=False, mask=np.array([3], dtype=np.int32))


@case
def mha_packed_qkv():
    return mha(2, 4, 4, 16, 2, kind="packed_qkv", bias=False)


@case
def mha_bnsh_key_value():
    return mha(1, 3, 6, 16, 2, kind="bnsh")


@case
def mha_past_causal_attention_bias():
    return mha(1, 3, 3, 16, 2, causal_=True, past=2, attn_bias=True)


def act(name, x, a=None, b=None, g=None):
    x = x.astype(np.float64)
    if name == "Relu":
        return np.maximum(x, 0)
    if name == "LeakyRelu":
        return np.where(x >= 0, x, a * x)
    if name == "Sigmoid":
        return 1 / (1 + np.exp(-x))
    if name == "Tanh":
        return np.tanh(x)
    if name == "Clip":
        return np.clip(x, a, b)
    if name == "HardSigmoid":
        return np.clip(a * x + b, 0, 1)
    if name == "Elu":
        return np.where(x >= 0, x, a * (np.exp(x) - 1))
    raise ValueError(name)


def conv2d(x, w, b, pads, strides, group=1):
    N, C, Hh, Ww = x.shape
    M, Cg, kh, kw = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (xp.shape[2] - kh) // strides[0] + 1
    ow = (xp.shape[3] - kw) // strides[1] + 1
    y = np.zeros((N, M, oh, ow))
    mg = M // group
    for m in range(M):
        gi = m // mg
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, gi * Cg:(gi + 1) * Cg, i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw]
                y[:, m, i, j] = (patch * w[m]).sum(axis=(1, 2, 3)) + b[m]
    return y


def fused_conv(activation, params, with_z=False, group=1):
    x, w, b = rand(1, 4, 6, 6), rand(6, 4 // group, 3, 3, scale=0.5), rand(6)
    y = conv2d(x, w, b, [1, 1, 1, 1], [1, 1], group)
    ins, inputs = ["x", "w", "b"], [("x", x)]
    if with_z:
        z = rand(*y.shape)
        y = y + z
        ins.append("z")
        inputs.append(("z", z))
    y = act(activation, y, *params)
    attrs = dict(activation=activation, kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1], group=group)
    if params:
        attrs["activation_params"] = list(params)
    node = helper.make_node("FusedConv", ins, ["y"], domain=MS, **attrs)
    return model([node], inputs, [("y", f32(y))], inits=[("w", w), ("b", b)])


@case
def fused_conv_relu():
    return fused_conv("Relu", [])


@case
def fused_conv_sum_leaky_relu():
    return fused_conv("LeakyRelu", [0.2], with_z=True)


@case
def fused_conv_clip_grouped():
    return fused_conv("Clip", [-0.5, 0.5], group=2)


@case
def fused_conv_hard_sigmoid():
    return fused_conv("HardSigmoid", [0.3, 0.4])


def fused_gemm(activation, a=None, b=None):
    A, B, C = rand(3, 8), rand(5, 8), rand(5)
    y = act(activation, 1.0 * (A.astype(np.float64) @ B.T.astype(np.float64)) + C, a, b)
    attrs = dict(activation=activation, transB=1)
    if a is not None:
        attrs["activation_alpha"] = a
    if b is not None:
        attrs["activation_beta"] = b
    node = helper.make_node("FusedGemm", ["a", "b", "c"], ["y"], domain=MS, **attrs)
    return model([node], [("a", A)], [("y", f32(y))], inits=[("b", B), ("c", C)])


@case
def fused_gemm_leaky_relu():
    return fused_gemm("LeakyRelu", 0.1)


@case
def fused_gemm_elu():
    return fused_gemm("Elu", 0.7)


@case
def fused_matmul_trans_b_alpha():
    a, b = rand(2, 3, 8), rand(2, 5, 8)
    y = 0.125 * np.einsum("bik,bjk->bij", a.astype(np.float64), b.astype(np.float64))
    node = helper.make_node("FusedMatMul", ["a", "b"], ["y"], domain=MS, alpha=0.125, transB=1)
    return model([node], [("a", a), ("b", b)], [("y", f32(y))])


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    out = sys.argv[1]
    json_dir = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    for fn in CASES:
        m, ins, outs = fn()
        d = os.path.join(out, fn.__name__)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "test_data_set_0"))
        onnx.save(m, os.path.join(d, "model.onnx"))
        for kind, vals in (("input", ins), ("output", outs)):
            for i, (name, arr) in enumerate(vals):
                with open(os.path.join(d, "test_data_set_0", f"{kind}_{i}.pb"), "wb") as f:
                    f.write(numpy_helper.from_array(arr, name).SerializeToString())
        if json_dir:
            os.makedirs(json_dir, exist_ok=True)
            doc = {kind: [{"name": n, "dtype": str(a.dtype), "shape": list(a.shape), "data": a.reshape(-1).tolist()} for n, a in vals]
                   for kind, vals in (("inputs", ins), ("outputs", outs))}
            doc["model"] = os.path.abspath(os.path.join(d, "model.onnx"))
            with open(os.path.join(json_dir, fn.__name__ + ".json"), "w") as f:
                json.dump(doc, f)
        print(fn.__name__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
