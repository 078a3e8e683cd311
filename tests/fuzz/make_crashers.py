#!/usr/bin/python3
# Writes the hand-made hostile inputs of tests/data/crashers/ (hand_*.onnx): what a damaged or
# malicious file can declare that the loader must refuse cleanly, without allocating for it or
# reading outside the model's folder. tests/test_fuzz_regressions.cpp asserts each one's error.
# External locations refer to the folder the test (and fuzz_load) lays out: data.bin (4096
# bytes), sub/w.bin (256), empty.bin (0) and outside.bin, a symlink out of the folder.
# Run: /usr/bin/python3 tests/fuzz/make_crashers.py
import os

import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "crashers")

X = helper.make_tensor_value_info("X", TensorProto.FLOAT, [4])
Y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [4])


def model(nodes, initializer=(), inputs=(X,), outputs=(Y,), name="g"):
    g = helper.make_graph(list(nodes), name, list(inputs), list(outputs), initializer=list(initializer))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="graft-crashers")
    m.ir_version = 8
    return m


def save(name, m_or_bytes):
    os.makedirs(OUT, exist_ok=True)
    data = m_or_bytes if isinstance(m_or_bytes, bytes) else m_or_bytes.SerializeToString()
    with open(os.path.join(OUT, "hand_" + name + ".onnx"), "wb") as f:
        f.write(data)


def ext_tensor(name, dims, location, offset=None, length=None, dtype=TensorProto.FLOAT):
    t = TensorProto()
    t.name, t.data_type = name, dtype
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    kv = [("location", location)]
    if offset is not None:
        kv.append(("offset", str(offset)))
    if length is not None:
        kv.append(("length", str(length)))
    for k, v in kv:
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def raw_tensor(name, dims, raw, dtype=TensorProto.FLOAT):
    # helper.make_tensor checks the data against the dims; these tensors lie on purpose.
    t = TensorProto()
    t.name, t.data_type, t.raw_data = name, dtype, raw
    t.dims.extend(dims)
    return t


def add_w(w):
    return model([helper.make_node("Add", ["X", w.name], ["Y"], name="add")], initializer=[w])


def nested_if(depth):
    # Each level: If whose branches hold the next level; the leaf reads X from the main graph.
    body = helper.make_graph([helper.make_node("Identity", ["X"], ["leaf"], name="leaf")], "leaf", [],
                             [helper.make_tensor_value_info("leaf", TensorProto.FLOAT, [4])])
    for d in range(depth):
        out = f"l{d}"
        empty = helper.make_graph([helper.make_node("Identity", ["X"], [out + "e"])], f"else{d}", [],
                                  [helper.make_tensor_value_info(out + "e", TensorProto.FLOAT, [4])])
        node = helper.make_node("If", ["cond"], [out], name=f"if{d}", then_branch=body, else_branch=empty)
        body = helper.make_graph([node], f"level{d}", [], [helper.make_tensor_value_info(out, TensorProto.FLOAT, [4])])
    cond = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
    top = helper.make_node("Identity", [body.output[0].name], ["Y"], name="out")
    g = helper.make_graph(list(body.node) + [top], "nested", [X, cond], [Y])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


# --- structure
# 100 levels of If: deeper than protobuf's recursion limit (3 messages per level).
save("deep_nesting_100", nested_if(100))
# 60 levels (about 180 nested messages) loads: recursion in the IR must cope.
save("deep_nesting_60", nested_if(60))

save("cycle", model([helper.make_node("Relu", ["b"], ["a"], name="first"),
                     helper.make_node("Relu", ["a"], ["b"], name="second"),
                     helper.make_node("Add", ["X", "a"], ["Y"], name="out")]))

save("duplicate_output", model([helper.make_node("Relu", ["X"], ["Y"], name="one"),
                                helper.make_node("Sigmoid", ["X"], ["Y"], name="two")]))

good = model([helper.make_node("Relu", ["X"], ["Y"], name="relu")]).SerializeToString()
save("truncated", good[: len(good) // 2])
save("empty", b"")
save("png_header", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64)))

# --- tensors declaring more than they hold
huge = raw_tensor("huge", [1 << 40, 1 << 40], b"\0\0\0\0")
save("huge_dims_attribute", model([helper.make_node("Constant", [], ["c"], name="const", value=huge),
                                   helper.make_node("Add", ["X", "c"], ["Y"], name="add")]))
neg = raw_tensor("W", [-1, 4], b"\0" * 16)
save("negative_dims", add_w(neg))
typed = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[1000000000], float_data=[1.0, 2.0, 3.0])
save("typed_count_mismatch", add_w(typed))
# INT64_MAX^2 elements: the element count saturates instead of wrapping to something small.
over = raw_tensor("W", [(1 << 63) - 1, (1 << 63) - 1], b"\0" * 16)
save("dims_overflow", add_w(over))

# --- external data
save("external_offset_near_max", add_w(ext_tensor("W", [16], "data.bin", offset=(1 << 64) - 64, length=64)))
save("external_length_past_end", add_w(ext_tensor("W", [64], "data.bin", offset=4000, length=256)))
save("external_length_too_small", add_w(ext_tensor("W", [1024], "data.bin", offset=0, length=16)))
save("external_parent_escape", add_w(ext_tensor("W", [4], "../../../etc/passwd", offset=0, length=16)))
save("external_absolute", add_w(ext_tensor("W", [4], "/etc/passwd", offset=0, length=16)))
save("external_symlink_escape", add_w(ext_tensor("W", [1], "outside.bin", offset=0, length=4)))
save("external_missing_file", add_w(ext_tensor("W", [4], "nope.bin", offset=0, length=16)))
save("external_no_location", add_w(ext_tensor("W", [4], "", offset=0, length=16)))
save("external_offset_not_number", add_w(ext_tensor("W", [4], "data.bin", offset="12abc", length=16)))
save("external_folder", add_w(ext_tensor("W", [4], "sub", offset=0, length=16)))
save("external_empty_file", add_w(ext_tensor("W", [4], "empty.bin")))
# A Constant's tensor in external data with an absurd offset: attribute tensors are read at load.
save("external_attribute_offset", model([
    helper.make_node("Constant", [], ["c"], name="const",
                     value=ext_tensor("c", [4], "sub/w.bin", offset=(1 << 63), length=16)),
    helper.make_node("Add", ["X", "c"], ["Y"], name="add")]))
# Good external data in a subfolder, next to a nested graph: loads.
save("external_ok_subfolder", add_w(ext_tensor("W", [4], "sub/w.bin", offset=16, length=16)))
