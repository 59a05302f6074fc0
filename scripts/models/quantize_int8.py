#!/usr/bin/env python3
"""Static int8 quantization (ONNX QDQ format) of a TowerWatch heatmap model, for onnxruntime's CPU kernels.

onnxruntime's own Python quantizer is not installable here (only Debian packages and npm), so this script builds
the same QDQ graph that `onnxruntime.quantization.quantize_static(..., QuantFormat.QDQ, per_channel=True)` would:

- weights of every Conv except the 1-channel head: int8, symmetric, per output channel (scale = max|w| / 127);
  biases: int32 with scale = input scale x weight scale (the layout onnxruntime's QDQ Conv fusion expects);
- every activation feeding a Conv or an Add: uint8, per tensor, asymmetric MinMax over the calibration frames
  (QuantizeLinear -> DequantizeLinear pairs; onnxruntime fuses DQ -> Conv -> [Relu] -> Q into QLinearConv and
  DQ -> Add -> [Relu] -> Q into QLinearAdd at load, see `optimizedModelFilePath`);
- the first Conv (on the input image) and the head Conv + Sigmoid stay float (the first Conv's K = 9 x 3 is slow in
  int8 here; the head has one output channel); their neighbours' activations are (de)quantized around them.

Calibration runs the float graph with a small interpreter of the four operators these models use (Conv, Relu,
Add, Sigmoid) on torch, over TRAINING frames only (smoke-hpwren/train, resized to the model input like the
runtime does), so the held-out test split stays unseen. The float model is not changed; output goes to --out.

Usage (repo root, /usr/bin/python3):
  scripts/models/quantize_int8.py --model models/smoke/model.onnx --out models/smoke/model.int8.onnx --frames 64
"""

import argparse
import glob
import os
import sys

import cv2
import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper, TensorProto

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA  # noqa: E402


def attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def run_float(model, x):
    """Runs the float graph; returns {tensor name: torch tensor} for every node output."""
    inits = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model.graph.initializer}
    env = {model.graph.input[0].name: x, **inits}
    for n in model.graph.node:
        a = attrs(n)
        if n.op_type == "Conv":
            w = env[n.input[1]]
            b = env[n.input[2]] if len(n.input) > 2 and n.input[2] else None
            p = a.get("pads", [0, 0, 0, 0])
            assert p[0] == p[2] and p[1] == p[3], f"{n.name}: asymmetric pads"
            y = F.conv2d(env[n.input[0]], w, b, stride=tuple(a.get("strides", [1, 1])), padding=(p[0], p[1]),
                         dilation=tuple(a.get("dilations", [1, 1])), groups=a.get("group", 1))
        elif n.op_type == "Relu":
            y = F.relu(env[n.input[0]])
        elif n.op_type == "Add":
            y = env[n.input[0]] + env[n.input[1]]
        elif n.op_type == "Sigmoid":
            y = torch.sigmoid(env[n.input[0]])
        else:
            raise SystemExit(f"{n.name}: operator {n.op_type} not supported by the calibration interpreter")
        env[n.output[0]] = y
    return env


def calib_frames(spec, n):
    files = sorted(glob.glob(f"{DATA}/smoke-hpwren/train/images/*.jpg"))
    step = max(1, len(files) // n)
    w, h = spec["inputSize"]["width"], spec["inputSize"]["height"]
    mean = np.array(spec["normalize"]["mean"], np.float32)
    std = np.array(spec["normalize"]["std"], np.float32)
    for f in files[::step][:n]:
        img = cv2.cvtColor(cv2.imread(f), cv2.COLOR_BGR2RGB)
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0
        yield torch.from_numpy(((img - mean) / std).transpose(2, 0, 1)[None].copy())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--spec", help="model.json (default: beside --model)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--frames", type=int, default=64, help="calibration frames from smoke-hpwren/train")
    a = ap.parse_args()
    import json
    spec = json.load(open(a.spec or os.path.join(os.path.dirname(a.model), "model.json")))
    model = onnx.load(a.model)
    g = model.graph
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    producer = {o: n for n in g.node for o in n.output}
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    head = {id(n) for n in g.node if n.op_type == "Conv" and inits[n.input[1]].shape[0] == 1}

    # tensors to quantize: graph input + every node output consumed by a Conv or an Add
    # The first Conv (3 or 1 input channels at full resolution) stays float: onnxruntime's int8 kernel is slow
    # with K = 27 (measured: 3.6 ms int8 vs 1.2 ms float for smoke's 3->16 stride-2 conv at 640x480).
    first = {id(n) for n in consumers[g.input[0].name]}
    act = [o for n in g.node for o in n.output
           if any(c.op_type in ("Conv", "Add") for c in consumers.get(o, []))]
    # the output of an Add feeds a Relu: give the Relu output a Q (fused away), so the Add becomes QLinearAdd
    lo = {t: np.inf for t in act}
    hi = {t: -np.inf for t in act}
    with torch.no_grad():
        for x in calib_frames(spec, a.frames):
            env = run_float(model, x)
            for t in act:
                lo[t] = min(lo[t], float(env[t].min()))
                hi[t] = max(hi[t], float(env[t].max()))

    def qparams(t):
        l, h = min(lo[t], 0.0), max(hi[t], 0.0)
        scale = (h - l) / 255.0 or 1e-8
        zp = int(round(-l / scale))
        return np.float32(scale), np.uint8(min(255, max(0, zp)))

    new_inits, new_nodes, rename = [], [], {}
    for t in act:
        s, z = qparams(t)
        new_inits += [numpy_helper.from_array(np.array(s, np.float32), f"{t}_scale"),
                      numpy_helper.from_array(np.array(z, np.uint8), f"{t}_zp")]
        new_nodes.append(helper.make_node("QuantizeLinear", [t, f"{t}_scale", f"{t}_zp"], [f"{t}_q"], name=f"{t}_Q"))
        new_nodes.append(helper.make_node("DequantizeLinear", [f"{t}_q", f"{t}_scale", f"{t}_zp"], [f"{t}_dq"],
                                          name=f"{t}_DQ"))
        rename[t] = f"{t}_dq"
    scales = {t: qparams(t)[0] for t in act}

    drop = set()
    for n in g.node:
        for k, i in enumerate(n.input):
            if i in rename and n.op_type in ("Conv", "Add"):
                n.input[k] = rename[i]
        if n.op_type != "Conv" or id(n) in head or id(n) in first:
            continue
        w = inits[n.input[1]]
        xs = scales[n.input[0][: -len("_dq")]]
        ws = np.maximum(np.abs(w.reshape(w.shape[0], -1)).max(axis=1), 1e-12) / 127.0
        wq = np.clip(np.round(w / ws.reshape(-1, 1, 1, 1)), -127, 127).astype(np.int8)
        wn = n.input[1]
        new_inits += [numpy_helper.from_array(wq, f"{wn}_q"), numpy_helper.from_array(ws.astype(np.float32), f"{wn}_scale"),
                      numpy_helper.from_array(np.zeros(len(ws), np.int8), f"{wn}_zp")]
        new_nodes.append(helper.make_node("DequantizeLinear", [f"{wn}_q", f"{wn}_scale", f"{wn}_zp"], [f"{wn}_dq"],
                                          name=f"{wn}_DQ", axis=0))
        drop.add(wn)
        n.input[1] = f"{wn}_dq"
        if len(n.input) > 2 and n.input[2]:
            bn = n.input[2]
            bs = (xs * ws).astype(np.float32)
            bq = np.round(inits[bn] / bs).astype(np.int32)
            new_inits += [numpy_helper.from_array(bq, f"{bn}_q"), numpy_helper.from_array(bs, f"{bn}_scale"),
                          numpy_helper.from_array(np.zeros(len(bs), np.int32), f"{bn}_zp")]
            new_nodes.append(helper.make_node("DequantizeLinear", [f"{bn}_q", f"{bn}_scale", f"{bn}_zp"],
                                              [f"{bn}_dq"], name=f"{bn}_DQ", axis=0))
            drop.add(bn)
            n.input[2] = f"{bn}_dq"

    kept = [i for i in g.initializer if i.name not in drop]
    del g.initializer[:]
    g.initializer.extend(kept + new_inits)
    nodes = list(g.node)
    del g.node[:]
    # topological order: Q/DQ of a tensor right after its producer (graph input's first)
    order = [n for n in new_nodes if n.input[0] == g.input[0].name or n.input[0].endswith("_q") and
             n.input[0][:-2] == g.input[0].name]
    placed = set(id(n) for n in order)
    for n in nodes:
        order.append(n)
        for o in n.output:
            for q in new_nodes:
                if id(q) not in placed and (q.input[0] == o or q.input[0] == f"{o}_q"):
                    order.append(q)
                    placed.add(id(q))
    rest = [n for n in new_nodes if id(n) not in placed]  # weight/bias DQs: no graph dependency
    g.node.extend(rest + order)
    if model.opset_import[0].version < 13:
        model.opset_import[0].version = 13  # per-axis DequantizeLinear
    onnx.checker.check_model(model)
    onnx.save(model, a.out)
    print(json.dumps({"out": a.out, "activations": len(act), "quantizedConvs": len(drop) and sum(
        1 for n in nodes if n.op_type == "Conv" and id(n) not in head and id(n) not in first), "calibrationFrames": a.frames}))


if __name__ == "__main__":
    main()
