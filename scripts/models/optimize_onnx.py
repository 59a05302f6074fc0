#!/usr/bin/env python3
"""Makes an exported TowerWatch heatmap model cheaper to run on onnxruntime's CPU kernels: graph rewrites that keep
the numbers (steps 1-2, always) and, optionally, static int8 quantization (ONNX QDQ format) of selected Convs.
(Named quantize_int8.py until 2026-12-01.)

onnxruntime's own Python quantizer is not installable here (only Debian packages and npm), so this script builds
the graph that `onnxruntime.quantization.quantize_static(..., QuantFormat.QDQ, per_channel=True)` would build for
the selected Convs, with onnxruntime-node doing the graph work (`scripts/models/ort_tool.cjs`):

1. `ort_tool.cjs optimize`: onnxruntime's *basic* graph optimisations (constant folding, Conv+Add fusion) turn the
   exported graph into plain Conv/Add/Mul/Clip/... nodes; the result is standard ONNX and numerically the same model.
2. Zero-constant `Pad` nodes that feed a single Conv are folded into that Conv's `pads` (exact; the tfjs-converted
   MobileNetV3 of smoke v5 reproduces TensorFlow's SAME padding with such Pads, which cost a full copy of the
   tensor each and block onnxruntime's Conv fusions).
   Also (unless --no-fuse-hard): MobileNetV3's hard-swish / hard-sigmoid, exported as four element-wise passes
   each, become one HardSwish / HardSigmoid node (see fuse_hard_activations). Together these made smoke v5 ~25 %
   cheaper with the same test metrics (models/smoke/experiments/v5_runtime_graph.json).
3. Selected Convs (`--int8`): weights int8, symmetric, per output channel (scale = max|w| / 127); bias int32 with
   scale = input scale x weight scale (the layout onnxruntime's QDQ Conv fusion expects); the Conv's input and
   output activations uint8 per tensor, asymmetric MinMax over the calibration frames. onnxruntime fuses
   DQ -> Conv -> Q into QLinearConv at load. Never quantized: a Conv on the graph input or on 3 input channels
   (K = 27 is slower in int8 here) and a Conv with one output channel (the heatmap logit).
4. `ort_tool.cjs ranges` runs the float graph on TRAINING frames only (smoke-hpwren/train, resized to the model
   input like the runtime does), so held-out test data stays unseen.

`--int8`: `none` (default: float, steps 1-2 only), `all` (every eligible Conv), `dense` (eligible Convs with group = 1: onnxruntime's int8 depthwise
kernel was slower than float here, models/smoke/card.md), or comma-separated substrings of node/output names
(`head`: smoke v5's two 96->96 3x3 head Convs, ~20 % of its time).

The input model is not changed; output goes to --out. Raises SystemExit naming the tensor on a calibration or
bias-range problem.

Usage (repo root, /usr/bin/python3):
  scripts/models/optimize_onnx.py --model /tmp/smoke_v5/model.onnx --out models/smoke/model.onnx
  scripts/models/optimize_onnx.py --model models/smoke/model.onnx --out /tmp/smoke8/model.onnx --int8 head
"""

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def fold_pads(model):
    """Folds constant-zero spatial Pads that feed exactly one Conv into the Conv's `pads`. Returns the count."""
    g = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    folded = []
    for n in g.node:
        if n.op_type != "Pad" or len(n.input) < 2 or n.input[1] not in inits or len(n.input) > 2 and any(n.input[2:]):
            continue  # pads must be a constant input (opset >= 11); no constant value, no axes
        if n.output[0] in {o.name for o in g.output}:
            continue
        if attr(n, "mode", b"constant") not in (b"constant", "constant"):
            continue
        cons = consumers.get(n.output[0], [])
        if len(cons) != 1 or cons[0].op_type != "Conv":
            continue
        p = inits[n.input[1]].tolist()  # [N_b, C_b, H_b, W_b, N_e, C_e, H_e, W_e]
        if len(p) != 8 or p[0] or p[1] or p[4] or p[5] or min(p) < 0:
            continue
        c = cons[0]
        if c.input[0] != n.output[0] or attr(c, "auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            continue
        cp = list(attr(c, "pads", [0, 0, 0, 0]))
        new = [cp[0] + p[2], cp[1] + p[3], cp[2] + p[6], cp[3] + p[7]]
        for a in [a for a in c.attribute if a.name in ("pads", "auto_pad")]:
            c.attribute.remove(a)
        c.attribute.append(helper.make_attribute("pads", new))
        c.input[0] = n.input[0]
        folded.append(n)
    for n in folded:
        g.node.remove(n)
    return len(folded)


def fuse_hard_activations(model):
    """Rewrites MobileNetV3's hard-swish and hard-sigmoid, exported as 4 element-wise passes each
    (x * (Clip(x + 3, 0, 6) * k), k = 1/6), into one ONNX `HardSwish` (opset 14) or `HardSigmoid` node.
    Returns the number of rewrites. The tfjs graph stores k as float16 (0.16663, not 1/6): `HardSigmoid` uses the
    stored k (alpha = k, beta = 3k; it saturates at 1 instead of 6k, a 2.5e-4 difference); `HardSwish` uses exactly
    1/6, so the 6k factor is folded into the weights of the Convs that read it (or a Mul when something else does).
    Definitions: ONNX operator docs; Howard et al. 2019 (MobileNetV3), section 5.2 (h-swish)."""
    g = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    prod = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    def const(name, value, tol=1e-3):
        return name in inits and inits[name].size == 1 and abs(float(inits[name].reshape(-1)[0]) - value) <= tol

    def other(mul, name):
        return mul.input[1] if mul.input[0] == name else mul.input[0]

    outputs = {o.name for o in g.output}
    remove, add, scaled, new_inits = [], [], {}, []
    for clip in g.node:
        if clip.op_type != "Clip" or len(clip.input) < 3 or not (const(clip.input[1], 0) and const(clip.input[2], 6)):
            continue
        a = prod.get(clip.input[0])
        if a is None or a.op_type != "Add" or len(consumers[a.output[0]]) != 1:
            continue
        x = a.input[0] if const(a.input[1], 3) else a.input[1] if const(a.input[0], 3) else None
        cons = consumers.get(clip.output[0], [])
        if x is None or len(cons) != 1 or cons[0].op_type != "Mul":
            continue
        mul = cons[0]
        k_or_m = other(mul, clip.output[0])
        if const(k_or_m, 1 / 6):  # hard-sigmoid: k * Clip(x + 3, 0, 6)
            k = float(inits[k_or_m].reshape(-1)[0])
            add.append((mul, [helper.make_node("HardSigmoid", [x], [mul.output[0]], name=f"{mul.name}_hsig", alpha=k,
                                               beta=3 * k)]))
            remove += [a, clip, mul]
            continue
        m = prod.get(k_or_m)
        if m is None or m.op_type != "Mul" or len(consumers[m.output[0]]) != 1:
            continue
        if other(m, x) == x or not const(other(m, x), 1 / 6) or x not in m.input:
            continue
        k = float(inits[other(m, x)].reshape(-1)[0])
        y = mul.output[0]
        weights = [c.input[1] for c in consumers.get(y, []) if c.op_type == "Conv"]
        if (consumers.get(y) and all(c.op_type == "Conv" and c.input[0] == y for c in consumers[y])
                and all(w in inits and len(consumers[w]) == 1 for w in weights) and y not in outputs):
            # HardSwish uses exactly 1/6: fold the 6k factor into the consuming Convs' weights (exact: linear,
            # and zero padding stays zero)
            for w in weights:
                scaled[w] = inits[w] * np.float32(6 * k)
            add.append((mul, [helper.make_node("HardSwish", [x], [y], name=f"{mul.name}_hswish")]))
        else:
            add.append((mul, [helper.make_node("HardSwish", [x], [f"{y}_hswish"], name=f"{mul.name}_hswish"),
                              helper.make_node("Mul", [f"{y}_hswish", f"{y}_6k"], [y], name=f"{mul.name}_6k")]))
            new_inits.append(numpy_helper.from_array(np.array(6 * k, np.float32), f"{y}_6k"))
        remove += [a, clip, m, mul]
    if not add:
        return 0
    ids = {id(n) for n in remove}
    add_at = {id(last): new for last, new in add}  # the new nodes take the place of the pattern's final Mul
    nodes = list(g.node)
    del g.node[:]
    for n in nodes:
        if id(n) in ids:
            g.node.extend(add_at.get(id(n), []))
        else:
            g.node.append(n)
    for init in g.initializer:
        if init.name in scaled:
            init.CopyFrom(numpy_helper.from_array(scaled[init.name].astype(np.float32), init.name))
    g.initializer.extend(new_inits)
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx") and imp.version < 14:
            imp.version = 14  # HardSwish
    return len(add)


def select_convs(model, select):
    """The Convs `--int8` selects (see the module docstring); [] for `none`."""
    g = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    out = []
    for n in g.node:
        if n.op_type != "Conv" or n.input[1] not in inits:
            continue
        w = inits[n.input[1]]
        if w.shape[0] == 1 or w.shape[1] == 3 or n.input[0] == g.input[0].name:
            continue
        if select == "none":
            continue
        if sum(i == n.input[1] for m in g.node for i in m.input) != 1:
            continue  # a weight shared with another node stays float
        if select == "dense" and attr(n, "group", 1) != 1:
            continue
        if select not in ("all", "dense") and not any(s in n.name or s in n.output[0] for s in select.split(",")):
            continue
        out.append(n)
    return out


def calib_frames(spec, n):
    """(n, C, H, W) float32: training frames resized to the model input and normalised as model.json says."""
    files = sorted(glob.glob(f"{DATA}/smoke-hpwren/train/images/*.jpg"))
    if not files:
        raise SystemExit(f"no calibration frames in {DATA}/smoke-hpwren/train/images")
    step = max(1, len(files) // n)
    w, h = spec["inputSize"]["width"], spec["inputSize"]["height"]
    mean = np.array(spec["normalize"]["mean"], np.float32)
    std = np.array(spec["normalize"]["std"], np.float32)
    frames = []
    for f in files[::step][:n]:
        img = cv2.cvtColor(cv2.imread(f), cv2.COLOR_BGR2RGB)
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0
        frames.append(((img - mean) / std).transpose(2, 0, 1))
    return np.ascontiguousarray(np.stack(frames), np.float32)


def node_tool(*argv):
    r = subprocess.run(["node", os.path.join(HERE, "ort_tool.cjs"), *argv], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"ort_tool.cjs {argv[0]} failed: {r.stderr.strip()}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def qparams(lo, hi):
    """uint8 asymmetric (scale, zero point) covering [min(lo, 0), max(hi, 0)]."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0 or 1e-8
    return np.float32(scale), np.uint8(min(255, max(0, int(round(-lo / scale)))))


def quantize(model, convs, ranges):
    g = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    new_inits, after, pre, drop, done = [], {}, [], set(), set()

    def qdq(t):
        if t in done:
            return
        done.add(t)
        s, z = qparams(*ranges[t])
        new_inits.extend([numpy_helper.from_array(np.array(s, np.float32), f"{t}_scale"),
                          numpy_helper.from_array(np.array(z, np.uint8), f"{t}_zp")])
        after.setdefault(t, []).extend([
            helper.make_node("QuantizeLinear", [t, f"{t}_scale", f"{t}_zp"], [f"{t}_q"], name=f"{t}_Q"),
            helper.make_node("DequantizeLinear", [f"{t}_q", f"{t}_scale", f"{t}_zp"], [f"{t}_dq"], name=f"{t}_DQ")])

    for n in convs:
        qdq(n.input[0])
        qdq(n.output[0])
    for n in g.node:  # every consumer of a quantized tensor reads its DQ output
        for k, i in enumerate(n.input):
            if i in done:
                n.input[k] = f"{i}_dq"
    outputs = {o.name for o in g.output}
    if outputs & done:
        raise SystemExit(f"a graph output would be quantized: {sorted(outputs & done)}")
    for n in convs:
        x = n.input[0][: -len("_dq")]
        xs = qparams(*ranges[x])[0]
        w, wn = inits[n.input[1]], n.input[1]
        ws = np.maximum(np.abs(w.reshape(w.shape[0], -1)).max(axis=1), 1e-12) / 127.0
        has_bias = len(n.input) > 2 and n.input[2]
        if has_bias:  # a dead channel (all-zero weights, non-zero bias) must still fit its bias in int32
            ws = np.maximum(ws, np.abs(inits[n.input[2]]) / (float(xs) * 2**30))
        wq = np.clip(np.round(w / ws.reshape(-1, 1, 1, 1)), -127, 127).astype(np.int8)
        new_inits += [numpy_helper.from_array(wq, f"{wn}_q"), numpy_helper.from_array(ws.astype(np.float32), f"{wn}_wscale"),
                      numpy_helper.from_array(np.zeros(len(ws), np.int8), f"{wn}_wzp")]
        pre.append(helper.make_node("DequantizeLinear", [f"{wn}_q", f"{wn}_wscale", f"{wn}_wzp"], [f"{wn}_dq"],
                                    name=f"{wn}_DQ", axis=0))
        drop.add(wn)
        n.input[1] = f"{wn}_dq"
        if has_bias:
            bn = n.input[2]
            bs = (xs * ws).astype(np.float32)
            bq = np.round(inits[bn] / bs)
            if not np.all(np.isfinite(bq)) or np.abs(bq).max() >= 2**31:
                raise SystemExit(f"{n.name}: bias does not fit int32 at scale {bs.min()}")
            new_inits += [numpy_helper.from_array(bq.astype(np.int32), f"{bn}_q"), numpy_helper.from_array(bs, f"{bn}_bscale"),
                          numpy_helper.from_array(np.zeros(len(bs), np.int32), f"{bn}_bzp")]
            pre.append(helper.make_node("DequantizeLinear", [f"{bn}_q", f"{bn}_bscale", f"{bn}_bzp"], [f"{bn}_dq"],
                                        name=f"{bn}_DQ", axis=0))
            drop.add(bn)
            n.input[2] = f"{bn}_dq"
    kept = [i for i in g.initializer if i.name not in drop]
    del g.initializer[:]
    g.initializer.extend(kept + new_inits)
    nodes = list(g.node)
    del g.node[:]
    order = pre + after.get(g.input[0].name, [])  # Q/DQ of a tensor right after its producer
    for n in nodes:
        order.append(n)
        for o in n.output:
            order += after.get(o, [])
    g.node.extend(order)
    # (main() refuses models below opset 13, so per-axis DequantizeLinear needs no opset change)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--spec", help="model.json (default: beside --model)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--int8", dest="select", default="none",
                    help="Convs to quantize: none | all | dense | name substrings, comma-separated")
    ap.add_argument("--frames", type=int, default=32, help="calibration frames from smoke-hpwren/train")
    ap.add_argument("--no-fuse-hard", dest="fuse_hard", action="store_false",
                    help="keep hard-swish/hard-sigmoid as exported (Add, Clip, Mul, Mul)")
    a = ap.parse_args()
    spec = json.load(open(a.spec or os.path.join(os.path.dirname(a.model), "model.json")))
    with tempfile.TemporaryDirectory() as tmp:
        node_tool("optimize", a.model, f"{tmp}/basic.onnx")
        model = onnx.load(f"{tmp}/basic.onnx")
        opset = next((i.version for i in model.opset_import if i.domain in ("", "ai.onnx")), 0)
        if opset < 13:
            raise SystemExit(f"{a.model}: opset {opset}; export with opset >= 13 (this script does not convert opsets)")
        pads = fold_pads(model)
        hard = fuse_hard_activations(model) if a.fuse_hard else 0
        convs = select_convs(model, a.select)
        ranges = {}
        if convs:
            tensors = sorted({t for n in convs for t in (n.input[0], n.output[0])})
            aug = onnx.load(f"{tmp}/basic.onnx")
            fold_pads(aug)
            if a.fuse_hard:
                fuse_hard_activations(aug)
            for t in tensors:
                aug.graph.output.append(helper.make_tensor_value_info(t, TensorProto.FLOAT, None))
            onnx.save(aug, f"{tmp}/aug.onnx")
            json.dump(tensors, open(f"{tmp}/tensors.json", "w"))
            x = calib_frames(spec, a.frames)
            x.tofile(f"{tmp}/calib.f32")
            node_tool("ranges", f"{tmp}/aug.onnx", f"{tmp}/calib.f32", ",".join(map(str, x.shape)), f"{tmp}/tensors.json",
                      f"{tmp}/ranges.json")
            ranges = json.load(open(f"{tmp}/ranges.json"))
            quantize(model, convs, ranges)
    used = {i for n in model.graph.node for i in n.input}
    kept = [i for i in model.graph.initializer if i.name in used]  # drop what the rewrites left unused
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    onnx.checker.check_model(model)
    onnx.save(model, a.out)
    print(json.dumps({"out": a.out, "int8": a.select, "foldedPads": pads, "hardActivations": hard, "quantizedConvs": [n.name for n in convs],
                      "calibrationFrames": a.frames if convs else 0}))


if __name__ == "__main__":
    main()
