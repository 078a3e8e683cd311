#!/usr/bin/python3
# Writes the hand-made seeds of the loader fuzzer into tests/fuzz/seeds/: features the
# backend test models lack (external data, sparse initializers, deep nesting, typed fields).
# The fuzz target maps a folder holding data.bin (4096 bytes, see fuzz_load.cpp), so the
# external-data seeds point there. Run: /usr/bin/python3 tests/fuzz/make_seeds.py
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.path.join(HERE, "seeds")


def save(name, model):
    os.makedirs(SEEDS, exist_ok=True)
    with open(os.path.join(SEEDS, name), "wb") as f:
        f.write(model.SerializeToString())


def opset_model(graph, opset=17):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="graft-fuzz")
    m.ir_version = 8
    return m


def external(name, dims, offset, length, location="data.bin"):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", str(offset)), ("length", str(length))):
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


# Y = X * W + B with W, B in data.bin; a Constant node whose tensor is external too.
w = external("W", [4, 4], 0, 64)
b = external("B", [4], 64, 16)
ct = external("C", [4], 128, 16)
g = helper.make_graph(
    [
        helper.make_node("MatMul", ["X", "W"], ["xw"], name="/fc/MatMul"),
        helper.make_node("Add", ["xw", "B"], ["xb"], name="/fc/Add"),
        helper.make_node("Constant", [], ["c"], name="/c", value=ct),
        helper.make_node("Mul", ["xb", "c"], ["Y"], name="/mul"),
    ],
    "external",
    [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 4])],
    [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 4])],
    initializer=[w, b],
)
save("external_data.onnx", opset_model(g))

# Sparse initializer plus typed-field (float_data / int64_data) initializers.
sp = helper.make_sparse_tensor(
    numpy_helper.from_array(np.array([1.0, 2.0], dtype=np.float32), "S"),
    numpy_helper.from_array(np.array([1, 5], dtype=np.int64), "S_idx"),
    [2, 3],
)
shape = helper.make_tensor("shape", TensorProto.INT64, [2], [3, 2])
bias = helper.make_tensor("bias", TensorProto.FLOAT, [3, 2], [0.5] * 6)
g = helper.make_graph(
    [
        helper.make_node("Reshape", ["S", "shape"], ["r"], name="reshape"),
        helper.make_node("Add", ["r", "bias"], ["Y"], name="add"),
    ],
    "sparse",
    [],
    [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [3, 2])],
    initializer=[shape, bias],
    sparse_initializer=[sp],
)
save("sparse_typed.onnx", opset_model(g))


# If inside Loop inside If, each body capturing a value of an outer scope.
def nest(depth):
    inner_out = f"o{depth}"
    if depth == 0:
        return helper.make_graph(
            [helper.make_node("Add", ["outer", "outer"], [inner_out], name="leaf")],
            "leaf", [], [helper.make_tensor_value_info(inner_out, TensorProto.FLOAT, [2])])
    body = nest(depth - 1)
    node = helper.make_node("If", ["cond"], [inner_out], name=f"if{depth}", then_branch=body, else_branch=body)
    return helper.make_graph([node], f"level{depth}", [],
                             [helper.make_tensor_value_info(inner_out, TensorProto.FLOAT, [2])])


g = helper.make_graph(
    [
        helper.make_node("Identity", ["X"], ["outer"], name="id"),
        helper.make_node("If", ["cond"], ["Y"], name="top", then_branch=nest(3), else_branch=nest(2)),
    ],
    "nested",
    [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2]),
     helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
    [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2])],
)
save("nested_if.onnx", opset_model(g))

# Model-local function, metadata and value_info that repeats a graph input.
f = helper.make_function("graft.local", "Double", ["a"], ["b"],
                         [helper.make_node("Add", ["a", "a"], ["b"])],
                         [helper.make_opsetid("", 17)])
g = helper.make_graph(
    [helper.make_node("Double", ["X"], ["Y"], domain="graft.local", name="dbl")],
    "func",
    [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 3])],
    [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", 3])],
    value_info=[helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 3])],
)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("graft.local", 1)],
                      functions=[f])
m.ir_version = 8
helper.set_model_props(m, {"author": "fuzz"})
save("function_meta.onnx", m)

# A static INT8 QDQ block (what `graft-cli quantize --mode static` writes for a ResNet block):
# convolutions with an int32 and a float bias, a residual Add and a Relu, so mutants reach the
# evaluator's fused integer chains and the channels-last activations between them.
rng = np.random.default_rng(7)
C = 8
inits = []


def init(name, array):
    inits.append(numpy_helper.from_array(array, name))


for name, value, dtype in [("xs", 0.02, np.float32), ("s1", 0.05, np.float32), ("s2", 0.07, np.float32), ("s3", 0.09, np.float32)]:
    init(name, np.array(value, dtype))
init("xz", np.array(117, np.uint8))
init("z0", np.array(0, np.uint8))
init("z128", np.array(128, np.uint8))
for k, (name, kernel) in enumerate([("w1", 3), ("w2", 3), ("w3", 1)]):
    init(name, rng.integers(-127, 128, (C, C, kernel, kernel)).astype(np.int8))
    init(name + "s", (0.001 * (1 + np.arange(C) % 3)).astype(np.float32))
init("b1q", rng.integers(-500, 500, C).astype(np.int32))
init("b1s", (0.02 * 0.001 * (1 + np.arange(C) % 3)).astype(np.float32))
init("b2", (0.01 * np.arange(C)).astype(np.float32))
nodes = [
    helper.make_node("DequantizeLinear", ["w1", "w1s"], ["w1f"], axis=0),
    helper.make_node("DequantizeLinear", ["w2", "w2s"], ["w2f"], axis=0),
    helper.make_node("DequantizeLinear", ["w3", "w3s"], ["w3f"], axis=0),
    helper.make_node("DequantizeLinear", ["b1q", "b1s"], ["b1f"], axis=0),
    helper.make_node("DequantizeLinear", ["x", "xs", "xz"], ["xf"]),
    helper.make_node("Conv", ["xf", "w1f", "b1f"], ["c1"], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c1"], ["r1"]),
    helper.make_node("QuantizeLinear", ["r1", "s1", "z0"], ["y1"]),
    helper.make_node("DequantizeLinear", ["y1", "s1", "z0"], ["y1a"]),
    helper.make_node("DequantizeLinear", ["y1", "s1", "z0"], ["y1b"]),
    helper.make_node("Conv", ["y1a", "w2f", "b2"], ["c2"], pads=[1, 1, 1, 1]),
    helper.make_node("QuantizeLinear", ["c2", "s2", "z128"], ["y2"]),
    helper.make_node("DequantizeLinear", ["y2", "s2", "z128"], ["y2f"]),
    helper.make_node("Add", ["y2f", "y1b"], ["sum"]),
    helper.make_node("Relu", ["sum"], ["r3"]),
    helper.make_node("QuantizeLinear", ["r3", "s3", "z0"], ["y3"]),
    helper.make_node("DequantizeLinear", ["y3", "s3", "z0"], ["y3f"]),
    helper.make_node("Conv", ["y3f", "w3f"], ["c4"]),
    helper.make_node("QuantizeLinear", ["c4", "s3", "z128"], ["y"]),
]
g = helper.make_graph(nodes, "qdq_block", [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, C, 6, 6])],
                      [helper.make_tensor_value_info("y", TensorProto.UINT8, [1, C, 6, 6])], initializer=inits)
save("qdq_block.onnx", opset_model(g, 13))

# A static QDQ Linear layer (int8 weights with a scale per column, a bias row) and the dynamic
# forms (com.microsoft.DynamicQuantizeMatMul, MatMulInteger by a constant B), so mutants reach
# the evaluator's int8 products.
rng = np.random.default_rng(11)
K, N = 16, 24
inits = [
    numpy_helper.from_array(np.array(0.05, np.float32), "as"),
    numpy_helper.from_array(np.array(3, np.uint8), "az"),
    numpy_helper.from_array(rng.integers(-127, 128, (K, N)).astype(np.int8), "w"),
    numpy_helper.from_array((0.01 * (1 + np.arange(N) % 4)).astype(np.float32), "ws"),
    numpy_helper.from_array((0.1 * np.arange(N)).astype(np.float32), "bias"),
    numpy_helper.from_array(np.zeros(N, np.int8), "wz"),
]
nodes = [
    helper.make_node("DequantizeLinear", ["a", "as", "az"], ["af"]),
    helper.make_node("DequantizeLinear", ["w", "ws"], ["wf"], axis=1),
    helper.make_node("MatMul", ["af", "wf"], ["p"]),
    helper.make_node("Add", ["p", "bias"], ["y"]),
    helper.make_node("DynamicQuantizeMatMul", ["y_in", "w", "ws", "wz", "bias"], ["d"], domain="com.microsoft"),
    helper.make_node("MatMulInteger", ["a", "w", "az"], ["i"]),
]
g = helper.make_graph(nodes, "int8_products",
                      [helper.make_tensor_value_info("a", TensorProto.UINT8, [2, 5, K]),
                       helper.make_tensor_value_info("y_in", TensorProto.FLOAT, [5, K])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5, N]),
                       helper.make_tensor_value_info("d", TensorProto.FLOAT, [5, N]),
                       helper.make_tensor_value_info("i", TensorProto.INT32, [2, 5, N])], initializer=inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)], producer_name="graft-fuzz")
m.ir_version = 8
save("int8_products.onnx", m)

# A static INT8 QDQ activation block as EfficientNet and YOLO write it: a SiLU (Sigmoid, Q/DQ,
# Mul of the two), a squeeze-and-excitation Mul by one byte per channel and a HardSwish, so
# mutants reach the evaluator's byte-table chains.
C = 8
inits = [numpy_helper.from_array(np.array(v, np.float32), n) for n, v in [("xs", 0.05), ("ss", 1 / 256), ("ys", 0.03), ("hs", 0.02)]]
inits += [numpy_helper.from_array(np.array(v, np.uint8), n) for n, v in [("xz", 120), ("z0", 0), ("yz", 10)]]
nodes = [
    helper.make_node("DequantizeLinear", ["x", "xs", "xz"], ["xf"]),
    helper.make_node("Sigmoid", ["xf"], ["sg"]),
    helper.make_node("QuantizeLinear", ["sg", "ss", "z0"], ["sq"]),
    helper.make_node("DequantizeLinear", ["sq", "ss", "z0"], ["sf"]),
    helper.make_node("Mul", ["xf", "sf"], ["m"]),
    helper.make_node("QuantizeLinear", ["m", "ys", "yz"], ["mq"]),
    helper.make_node("DequantizeLinear", ["mq", "ys", "yz"], ["mf"]),
    helper.make_node("DequantizeLinear", ["se", "ss", "z0"], ["sef"]),
    helper.make_node("Mul", ["mf", "sef"], ["e"]),
    helper.make_node("QuantizeLinear", ["e", "ys", "yz"], ["eq"]),
    helper.make_node("DequantizeLinear", ["eq", "ys", "yz"], ["ef"]),
    helper.make_node("HardSwish", ["ef"], ["h"]),
    helper.make_node("QuantizeLinear", ["h", "hs", "yz"], ["y"]),
]
g = helper.make_graph(nodes, "qdq_activations",
                      [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, C, 5, 5]),
                       helper.make_tensor_value_info("se", TensorProto.UINT8, [1, C, 1, 1])],
                      [helper.make_tensor_value_info("y", TensorProto.UINT8, [1, C, 5, 5])], initializer=inits)
save("qdq_activations.onnx", opset_model(g, 14))
