"""Shared helpers for TowerWatch model training/evaluation.

Box format everywhere: (x0, y0, x1, y1) in pixels, x1/y1 exclusive.

Box matching rule (used for every box-level metric in the model cards):
  a predicted box matches a ground-truth box if IoU >= 0.1 OR the predicted box
  centre lies inside the GT box. Greedy one-to-one matching in order of
  descending predicted score. TP = matched predictions, FP = unmatched
  predictions, FN = unmatched GT boxes.
"""
import json
import random

import cv2
import numpy as np

DATA = "/work/shared/data"


def seed_all(seed=0):
    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def yolo_boxes(path, w, h, classes=None):
    """Read a YOLO label file -> list of (cls, x0, y0, x1, y1) in pixels."""
    out = []
    try:
        txt = open(path).read()
    except FileNotFoundError:
        return out
    for line in txt.splitlines():
        p = line.split()
        if len(p) < 5:
            continue
        c = int(float(p[0]))
        if classes is not None and c not in classes:
            continue
        x, y, bw, bh = map(float, p[1:5])
        out.append((c, (x - bw / 2) * w, (y - bh / 2) * h, (x + bw / 2) * w, (y + bh / 2) * h))
    return out


def heatmap_boxes(hm, threshold, stride, min_area_px=0, scale_x=1.0, scale_y=1.0):
    """Threshold a heatmap (h, w), connected components (8-connectivity) -> boxes.

    Returns list of (score, x0, y0, x1, y1) in input-pixel coordinates (cells * stride),
    then multiplied by scale_x/scale_y (to map back to the original frame).
    Score = max probability inside the component. Same procedure as the TS side.
    """
    mask = (hm >= threshold).astype(np.uint8)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    mx = np.zeros(n, np.float32)
    np.maximum.at(mx, lab.ravel(), hm.ravel().astype(np.float32))
    boxes = []
    for i in range(1, n):
        x, y, w, h, _a = stats[i]
        x0, y0, x1, y1 = x * stride, y * stride, (x + w) * stride, (y + h) * stride
        if (x1 - x0) * (y1 - y0) < min_area_px:
            continue
        score = float(mx[i])
        boxes.append((score, x0 * scale_x, y0 * scale_y, x1 * scale_x, y1 * scale_y))
    return boxes


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / ua if ua > 0 else 0.0


def box_match(a, g):
    """a = predicted box (x0,y0,x1,y1), g = GT box. IoU>=0.1 or pred centre inside GT."""
    cx, cy = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
    if g[0] <= cx <= g[2] and g[1] <= cy <= g[3]:
        return True
    return iou(a, g) >= 0.1


def match_counts(preds, gts):
    """preds: list of (score, x0,y0,x1,y1); gts: list of (x0,y0,x1,y1). -> tp, fp, fn"""
    used = [False] * len(gts)
    tp = 0
    for p in sorted(preds, key=lambda t: -t[0]):
        for j, g in enumerate(gts):
            if not used[j] and box_match(p[1:], g):
                used[j] = True
                tp += 1
                break
    return tp, len(preds) - tp, len(gts) - tp


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


def pad_to(img, mult=32, value=0):
    h, w = img.shape[:2]
    H, W = -(-h // mult) * mult, -(-w // mult) * mult
    if (H, W) == (h, w):
        return img
    pad = [(0, H - h), (0, W - w)] + [(0, 0)] * (img.ndim - 2)
    return np.pad(img, pad, mode="constant", constant_values=value)


def dump(obj):
    print(json.dumps(obj))
