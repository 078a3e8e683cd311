#!/usr/bin/env python3
"""Exports transformers with a dynamic batch and sequence for the cost and symbolic-shape
tests (tests/test_analysis.cpp): every node of these must get a shape and a cost.

  vit_b16   torchvision ViT-B/16 at 224x224, dynamic batch. Its weights are not needed for
            counting, so they are written as external data to a sparse file (no disk, no
            time spent writing 330 MB); the graph is PyTorch's own export.
  bert      a 2-layer BERT-style encoder (tests/models/export_eval_models.py), dynamic batch
            and sequence
  gpt       a 2-layer GPT-style decoder (causal mask sliced to the sequence, arange
            positions), dynamic batch and sequence
  swin      the small Swin Transformer of export_eval_models.py (shifted windows, padded with
            F.pad, whose pad list is computed through Mod, Reshape, a reversing Slice and a
            Transpose); NAME.macs holds its multiply-accumulates counted from the modules
  lraspp    torchvision's LRASPP (MobileNetV3) at 64x64, whose head resizes to a size read from
            another tensor's Shape; NAME.macs holds PyTorch's count of its convolutions
  yolo      the YOLOv8-style detector of export_eval_models.py at 256x256, static shapes: its
            C2f blocks split channels with Slice ends computed from Shape; NAME.macs holds
            PyTorch's own count of its convolutions' multiply-accumulates

Usage: export_cost_models.py OUT_DIR [NAME ...]   (default: all). Writes OUT_DIR/NAME.onnx.
Needs Debian's /usr/bin/python3 with python3-torch, python3-torchvision, python3-onnx.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

ALL = ["vit_b16", "bert", "gpt", "yolo", "swin", "lraspp"]


def externalize_sparse(path, data_name):
    """Moves every initializer above 1 KiB to external data in a sparse file data_name beside the model."""
    import onnx

    model = onnx.load(path)
    offset = 0
    for t in model.graph.initializer:
        if len(t.raw_data) <= 1024:
            continue
        length = len(t.raw_data)
        t.ClearField("raw_data")
        t.data_location = onnx.TensorProto.EXTERNAL
        for k, v in (("location", data_name), ("offset", str(offset)), ("length", str(length))):
            e = t.external_data.add()
            e.key, e.value = k, v
        offset += (length + 4095) // 4096 * 4096
    with open(os.path.join(os.path.dirname(path), data_name), "wb") as f:
        f.truncate(offset)
    onnx.save(model, path)


def counted_macs(m, example):
    """The multiply-accumulates of one run of m on example, counted from its modules: Conv2d, Linear,
    and torchvision's ShiftedWindowAttention, whose shifted_window_attention calls F.linear with
    its Linear layers' weights (no hook of theirs fires): the qkv and output projections and the
    two window products."""
    import torch
    import torchvision

    attention_type = torchvision.models.swin_transformer.ShiftedWindowAttention
    macs = [0]

    def conv(mod, inputs, out):
        macs[0] += out.numel() * (mod.in_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1]

    def linear(mod, inputs, out):
        macs[0] += out.numel() * mod.in_features

    def attention(mod, inputs, out):
        b, h, w, c = inputs[0].shape
        ws = mod.window_size
        hp, wp = -(-h // ws[0]) * ws[0], -(-w // ws[1]) * ws[1]
        tokens, n = b * hp * wp, ws[0] * ws[1]
        macs[0] += tokens * c * 3 * c + tokens * c * c + 2 * (tokens // n) * n * n * c

    inside_attention = {id(sub) for mod in m.modules() if isinstance(mod, attention_type) for sub in mod.modules()}
    hooks = []
    for mod in m.modules():
        if isinstance(mod, attention_type):
            hooks.append(mod.register_forward_hook(attention))
        elif isinstance(mod, torch.nn.Linear) and id(mod) not in inside_attention:
            hooks.append(mod.register_forward_hook(linear))
        elif isinstance(mod, torch.nn.Conv2d):
            hooks.append(mod.register_forward_hook(conv))
    with torch.no_grad():
        m(*example)
    for h in hooks:  # the export runs the model again
        h.remove()
    return macs[0]


def export(name, out_dir):
    import torch
    from export_eval_models import bert_module, bert_inputs, gpt_module

    torch.manual_seed(0)
    path = os.path.join(out_dir, name + ".onnx")
    tmp = path + ".tmp"
    if name == "vit_b16":
        import torchvision

        m = torchvision.models.vit_b_16().eval()
        x = torch.randn(1, 3, 224, 224)
        torch.onnx.export(m, (x,), tmp, input_names=["image"], output_names=["logits"], opset_version=13,
                          dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
        externalize_sparse(tmp, os.path.basename(path) + ".data")
    elif name == "bert":
        m = bert_module(2, 64, 4, 128)
        names = ["input_ids", "attention_mask", "token_type_ids"]
        dyn = {n: {0: "batch", 1: "sequence"} for n in names}
        dyn.update({"last_hidden_state": {0: "batch", 1: "sequence"}, "pooler_output": {0: "batch"}})
        torch.onnx.export(m, bert_inputs(2, 16), tmp, input_names=names, output_names=["last_hidden_state", "pooler_output"],
                          opset_version=13, dynamic_axes=dyn)
    elif name == "gpt":
        m = gpt_module(layers=2, d=64, heads=4)
        ids = torch.randint(0, 500, (1, 12))
        torch.onnx.export(m, (ids,), tmp, input_names=["input_ids"], output_names=["logits"], opset_version=13,
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}})
    elif name in ("swin", "yolo", "lraspp"):
        from export_eval_models import make, yolo_module

        if name == "yolo":
            m, example, in_names, out_names, opset = yolo_module(), (torch.randn(1, 3, 256, 256),), ["images"], ["out"], 17
        else:
            m, example, in_names, out_names, opset = make(name)
        m = m.eval()
        macs = counted_macs(m, example)
        torch.onnx.export(m, example, tmp, input_names=in_names, output_names=out_names, opset_version=opset)
        with open(os.path.join(out_dir, name + ".macs"), "w") as f:
            f.write(f"{macs}\n")
    else:
        raise KeyError(name)
    os.replace(tmp, path)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 2
    os.makedirs(argv[1], exist_ok=True)
    for name in argv[2:] or ALL:
        export(name, argv[1])
        print(f"exported {name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
