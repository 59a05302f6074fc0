"""Builds tiny, real ONNX graphs shaped like drop-in detectors for the medium tests (test/fixtures/models/).

    /usr/bin/python3 scripts/models/make_tiny_onnx.py test/fixtures/models

- yolo_v8.onnx: input `images` [N, 3, 64, 64] (dynamic batch), output [N, 4+2, 3] (classes fire, smoke).
  Anchor 0: box centred (32, 32) 16x16 px, fire score = mean brightness of the tile (0..1).
  Anchor 1: box centred (10, 10) 8x8 px, smoke score = 0.1 (always below any sane threshold).
  Anchor 2: duplicate of anchor 0 shifted by 1 px with score 0.9 x brightness (removed by NMS).
- yolo_v5.onnx: input `images` [1, 3, 64, 64], output [1, 3, 5+2] with the same anchors (objectness =
  brightness, class probabilities (1, 0)).
- classifier.onnx: input `input` [N, 3, 32, 32], output [N, 2] probabilities (background, smoke) =
  (1 - brightness, brightness).
Brightness = mean of the first input channel (inputs are pixel/255), so a white tile scores 1, black 0.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def brightness_nodes(inp, out):
    # mean over C, H, W of channel 0 -> [N, 1, 1]
    return [
        helper.make_node("Slice", [inp, "c0s", "c0e", "c0a"], ["ch0"]),
        helper.make_node("ReduceMean", ["ch0"], ["m4"], axes=[1, 2, 3], keepdims=1),  # [N,1,1,1]
        helper.make_node("Reshape", ["m4", "shape_n11"], [out]),
    ]


def common_inits():
    return [
        numpy_helper.from_array(np.array([0], np.int64), "c0s"),
        numpy_helper.from_array(np.array([1], np.int64), "c0e"),
        numpy_helper.from_array(np.array([1], np.int64), "c0a"),
        numpy_helper.from_array(np.array([-1, 1, 1], np.int64), "shape_n11"),
    ]


def save(graph, path):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="towerwatch-tests")
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, path)


def yolo_v8(path):
    # rows: cx, cy, w, h, fire, smoke ; columns: anchors
    mul = np.zeros((1, 6, 3), np.float32)
    add = np.zeros((1, 6, 3), np.float32)
    add[0, :4, 0] = [32, 32, 16, 16]
    add[0, :4, 1] = [10, 10, 8, 8]
    add[0, :4, 2] = [33, 32, 16, 16]
    mul[0, 4, 0] = 1.0
    add[0, 5, 1] = 0.1
    mul[0, 4, 2] = 0.9
    nodes = brightness_nodes("images", "b") + [
        helper.make_node("Mul", ["b", "mul"], ["t"]),
        helper.make_node("Add", ["t", "add"], ["output0"]),
    ]
    g = helper.make_graph(
        nodes,
        "tiny_yolo_v8",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["N", 3, 64, 64])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, ["N", 6, 3])],
        common_inits() + [numpy_helper.from_array(mul, "mul"), numpy_helper.from_array(add, "add")],
    )
    save(g, path)


def yolo_v5(path):
    # columns: cx, cy, w, h, obj, p_fire, p_smoke ; rows: anchors
    mul = np.zeros((1, 3, 7), np.float32)
    add = np.zeros((1, 3, 7), np.float32)
    add[0, 0, :4] = [32, 32, 16, 16]
    add[0, 1, :4] = [10, 10, 8, 8]
    add[0, 2, :4] = [33, 32, 16, 16]
    mul[0, 0, 4] = 1.0
    add[0, 0, 5] = 1.0
    add[0, 1, 4] = 0.1
    add[0, 1, 6] = 1.0
    mul[0, 2, 4] = 0.9
    add[0, 2, 5] = 1.0
    nodes = brightness_nodes("images", "b") + [
        helper.make_node("Mul", ["b", "mul"], ["t"]),
        helper.make_node("Add", ["t", "add"], ["output0"]),
    ]
    g = helper.make_graph(
        nodes,
        "tiny_yolo_v5",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 64, 64])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 3, 7])],
        common_inits() + [numpy_helper.from_array(mul, "mul"), numpy_helper.from_array(add, "add")],
    )
    save(g, path)


def classifier(path):
    nodes = brightness_nodes("input", "b3") + [
        helper.make_node("Reshape", ["b3", "shape_n1"], ["b"]),
        helper.make_node("Sub", ["one", "b"], ["nb"]),
        helper.make_node("Concat", ["nb", "b"], ["probs"], axis=1),
    ]
    g = helper.make_graph(
        nodes,
        "tiny_classifier",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 32, 32])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 2])],
        common_inits()
        + [
            numpy_helper.from_array(np.array([-1, 1], np.int64), "shape_n1"),
            numpy_helper.from_array(np.array([[1.0]], np.float32), "one"),
        ],
    )
    save(g, path)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/models"
    yolo_v8(f"{out}/yolo_v8.onnx")
    yolo_v5(f"{out}/yolo_v5.onnx")
    classifier(f"{out}/classifier.onnx")
    print("wrote", out)
