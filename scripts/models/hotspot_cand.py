#!/usr/bin/python3
"""EXPERIMENT, NOT SHIPPED (see models/hotspot/card.md, "Experiments that were not shipped"): a two-stage
thermal fire detector (local-contrast candidates + per-candidate classifier), exportable as ONE ONNX heatmap graph
so the runtime would need no new code (manifest kind `heatmap`, stride 1). Leave-one-site-out it scored below the
shipped CNN (pooled box F1 0.26 with the MLP, 0.64 with logistic regression, vs 0.79), mainly on site E.

Stage 1 (candidates, inside the graph): p = 8-bit white-hot luma / 255 at the model input (the caller resizes the
  frame to 320x256). A pixel is a candidate if it is the maximum of its 7x7 neighbourhood and
  p - mean15x15(p) >= CAND_CONTRAST (0.04). The local mean adapts the candidate stage to each frame's AGC span.
Stage 2 (classifier, inside the graph): a 2-hidden-layer MLP (applied as 1x1 convolutions) on scale-local
  intensity/contrast features of the candidate pixel (FEATURES below; all computed with fixed pooling windows),
  standardised with the training-set mean/std baked into the graph. Output: sigmoid probability at candidate
  pixels (0 elsewhere), max-pooled over 5x5 so a detection is a 5x5 px box centred on the candidate.

Usage (repo root, /usr/bin/python3):
  all:   scripts/models/hotspot_cand.py all --out models/hotspot       (= cv then train, sharing the candidate cache)
  cv:    scripts/models/hotspot_cand.py cv --out models/hotspot        (5 folds, writes cv.json; the shipped recipe)
  train: scripts/models/hotspot_cand.py train --train-sites A,B,C,D --test-site E --out models/hotspot
  eval:  scripts/models/hotspot_cand.py eval --ckpt models/hotspot/hotspot.pt --test-site E   (one JSON line)

Labels: a candidate is positive if it lies within 1.5 frame px of a FLAME-T class-1 (fire) box; everything else,
including class-0 hot objects (vehicles, roofs, rocks), is negative. Threshold: chosen on the validation split
(last 20% of frames per camera of each training site, as in hotspot_train.py); the test site is never used.
"""
import argparse
import json
import os
import sys
import time

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import heatmap_boxes, match_counts, prf, seed_all  # noqa: E402
from hotspot_train import INPUT_H, INPUT_W, MEAN, STD, load_site, prep, split_val  # noqa: E402

torch.set_num_threads(int(os.environ.get("TW_THREADS", "1")))
cv2.setNumThreads(1)

CAND_CONTRAST = 0.04
PEAK_WIN = 7
SPREAD = 5
MARGIN = 1.5
HIDDEN = int(os.environ.get("TW_HOT_HIDDEN", "0"))  # 0 = logistic regression (linear in the features)
EPOCHS = 3
POS_WEIGHT = 10.0
ALL_FEATURES = ["p", "p-m3", "p-m7", "p-m15", "p-m31", "m3-m15", "sat7", "sat15", "p-gmax", "fine"]
FEATURES = os.environ.get("TW_HOT_FEATURES", "p,p-m3,p-m7,p-m15,p-m31,m3-m15,sat7,fine").split(",")


def _ap(x, k):
    return F.avg_pool2d(x, k, 1, k // 2, count_include_pad=False)


class HotCand(nn.Module):
    """x: normalised input [1, 1, H, W] ((pixel/255 - 0.5)/0.25). forward -> heatmap [1, 1, H, W] (stride 1)."""

    def __init__(self, features=None):
        super().__init__()
        self.features = list(features or FEATURES)
        n = len(self.features)
        self.register_buffer("mu", torch.zeros(1, n, 1, 1))
        self.register_buffer("sd", torch.ones(1, n, 1, 1))
        if HIDDEN:
            self.mlp = nn.Sequential(nn.Conv2d(n, HIDDEN, 1), nn.ReLU(), nn.Conv2d(HIDDEN, HIDDEN, 1), nn.ReLU(),
                                     nn.Conv2d(HIDDEN, 1, 1))
        else:
            self.mlp = nn.Sequential(nn.Conv2d(n, 1, 1))

    def feats(self, x):
        p = x * STD + MEAN
        m3, m7, m15, m31 = _ap(p, 3), _ap(p, 7), _ap(p, 15), _ap(p, 31)
        sat = (p >= 0.9).float()
        # "fine": frame-level ratio of finest-scale to next-scale horizontal second differences. A frame that the
        # caller upsampled (e.g. a 160x120 Lepton frame resized to 320x256) has little energy at the finest
        # scale (ratio ~0.35-0.4 vs ~0.46-0.56 at native resolution on FLAME-T), so the classifier can treat
        # low-resolution sensors differently without being told the camera model.
        k1 = torch.tensor([[[[1.0, -2.0, 1.0]]]])
        k2 = torch.tensor([[[[1.0, 0.0, -2.0, 0.0, 1.0]]]])
        d1 = F.conv2d(F.pad(p, (1, 1, 0, 0), mode="reflect"), k1).abs().mean((2, 3), keepdim=True)
        d2 = F.conv2d(F.pad(p, (2, 2, 0, 0), mode="reflect"), k2).abs().mean((2, 3), keepdim=True)
        fine = d1 / (d2 + 1e-6) * torch.ones_like(p)
        allf = {"p": p, "p-m3": p - m3, "p-m7": p - m7, "p-m15": p - m15, "p-m31": p - m31, "m3-m15": m3 - m15,
                "sat7": _ap(sat, 7), "sat15": _ap(sat, 15), "p-gmax": p - p.amax((2, 3), keepdim=True), "fine": fine}
        f = torch.cat([allf[k] for k in self.features], 1)
        peak = ((p >= F.max_pool2d(p, PEAK_WIN, 1, PEAK_WIN // 2)) & ((p - m15) >= CAND_CONTRAST)).float()
        return f, peak

    def forward(self, x):
        f, peak = self.feats(x)
        prob = torch.sigmoid(self.mlp((f - self.mu) / self.sd)) * peak
        return F.max_pool2d(prob, SPREAD, 1, SPREAD // 2)


@torch.no_grad()
def candidates(net, items):
    """Per site: candidate features X [N, F], labels Y [N], frame index FI [N], position XY [N, 2] (input px)."""
    X, Y, FI, XY, SC = [], [], [], [], []
    for i, d in enumerate(items):
        x, sx, sy = prep(d["img"])
        f, pk = net.feats(x)
        ys, xs = np.nonzero(pk[0, 0].numpy())
        X.append(f[0][:, ys, xs].numpy().T)
        fx, fy = (xs + 0.5) * sx, (ys + 0.5) * sy
        lab = np.zeros(len(xs), bool)
        for b in d["fire"]:
            lab |= (fx >= b[0] - MARGIN) & (fx <= b[2] + MARGIN) & (fy >= b[1] - MARGIN) & (fy <= b[3] + MARGIN)
        Y.append(lab)
        FI.append(np.full(len(xs), i))
        XY.append(np.stack([xs, ys], 1))
        SC.append((sx, sy))
    return {"X": np.concatenate(X).astype(np.float32), "Y": np.concatenate(Y).astype(np.float32),
            "FI": np.concatenate(FI), "XY": np.concatenate(XY), "SC": np.array(SC)}


def fit(X, Y, seed=0, features=None):
    seed_all(seed)
    net = HotCand(features)
    net.mu[:] = torch.from_numpy(X.mean(0)).view(1, -1, 1, 1)
    net.sd[:] = torch.from_numpy(X.std(0) + 1e-4).view(1, -1, 1, 1)
    mlp = net.mlp
    Xt = (torch.from_numpy(X) - net.mu.view(1, -1)) / net.sd.view(1, -1)
    Yt = torch.from_numpy(Y)
    opt = torch.optim.Adam(mlp.parameters(), 3e-3, weight_decay=1e-4)
    g = torch.Generator().manual_seed(seed)
    for _ep in range(EPOCHS):
        perm = torch.randperm(len(X), generator=g)
        for i in range(0, len(X), 512):
            idx = perm[i:i + 512]
            lg = mlp(Xt[idx][:, :, None, None])[:, 0, 0, 0]
            loss = F.binary_cross_entropy_with_logits(lg, Yt[idx], pos_weight=torch.tensor(POS_WEIGHT))
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    return net


@torch.no_grad()
def heatmaps_from_cands(net, c, frames):
    """Same as the graph's output, computed from the cached candidates (the graph is checked against it)."""
    mlp = net.mlp
    Xt = (torch.from_numpy(c["X"]) - net.mu.view(1, -1)) / net.sd.view(1, -1)
    p = torch.sigmoid(mlp(Xt[:, :, None, None])[:, 0, 0, 0]).numpy() if len(Xt) else np.zeros(0, np.float32)
    k = np.ones((SPREAD, SPREAD), np.uint8)
    out = []
    for i in frames:
        sel = c["FI"] == i
        hm = np.zeros((INPUT_H, INPUT_W), np.float32)
        xy = c["XY"][sel]
        hm[xy[:, 1], xy[:, 0]] = p[sel]
        out.append((cv2.dilate(hm, k), c["SC"][i][0], c["SC"][i][1]))
    return out


@torch.no_grad()
def heatmaps_graph(net, items):
    out = []
    for d in items:
        x, sx, sy = prep(d["img"])
        out.append((net(x)[0, 0].numpy(), sx, sy))
    return out


def eval_boxes(hms, items, thr):
    tp = fp = fn = 0
    for (hm, sx, sy), d in zip(hms, items):
        a, b, c = match_counts(heatmap_boxes(hm, thr, 1, 0, sx, sy), d["fire"])
        tp += a; fp += b; fn += c
    return prf(tp, fp, fn)


def per_camera(hms, items, thr):
    return {cam: eval_boxes([h for h, d in zip(hms, items) if d["cam"] == cam], [d for d in items if d["cam"] == cam], thr)
            for cam in sorted(set(d["cam"] for d in items))}


def run_fold(train_sites, test_site, seed=0, cache=None):
    """Train on train_sites (minus their validation tail), threshold on the validation tail, report test_site."""
    probe = HotCand()
    cache = cache if cache is not None else {}
    sites = {s: cache.get(s) or (load_site(s), None) for s in train_sites + [test_site]}
    for s, (items, c) in list(sites.items()):
        if c is None:
            sites[s] = (items, candidates(probe, items))
            cache[s] = sites[s]
    Xs, Ys, val = [], [], []
    for s in train_sites:
        items, c = sites[s]
        _tr, va = split_val(items)
        vn = {d["name"] for d in va}
        vidx = [i for i, d in enumerate(items) if d["name"] in vn]
        keep = ~np.isin(c["FI"], vidx)
        Xs.append(c["X"][keep]); Ys.append(c["Y"][keep])
        val.append((s, vidx))
    t0 = time.time()
    net = fit(np.concatenate(Xs), np.concatenate(Ys), seed)
    vh, vi = [], []
    for s, vidx in val:
        items, c = sites[s]
        vh += heatmaps_from_cands(net, c, vidx)
        vi += [items[i] for i in vidx]
    best = None
    for thr in np.round(np.arange(0.3, 0.99, 0.05), 2):
        m = eval_boxes(vh, vi, float(thr))
        if best is None or m["f1"] >= best[1]["f1"]:  # ties -> the higher threshold
            best = (float(thr), m)
    thr = best[0]
    items, c = sites[test_site]
    th = heatmaps_from_cands(net, c, range(len(items)))
    res = {"train_sites": train_sites, "test_site": test_site, "threshold": thr, "val": best[1],
           "test": eval_boxes(th, items, thr), "test_per_camera": per_camera(th, items, thr),
           "train_seconds": round(time.time() - t0, 1), "features": net.features}
    return net, res


def export_onnx(net, path):
    net.eval()
    x = torch.zeros(1, 1, INPUT_H, INPUT_W)
    torch.onnx.export(net, x, path, input_names=["input"], output_names=["heatmap"], opset_version=13,
                      dynamic_axes={"input": {2: "H", 3: "W"}, "heatmap": {2: "h", 3: "w"}})


def load_ckpt(path):
    ck = torch.load(path)
    net = HotCand(ck["features"])
    net.load_state_dict(ck["state_dict"])
    net.eval()
    return net, ck


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["train", "eval", "cv", "all"])
    ap.add_argument("--train-sites", default="A,B,C,D")
    ap.add_argument("--test-site", default="E")
    ap.add_argument("--out", default="models/hotspot")
    ap.add_argument("--ckpt", default="models/hotspot/hotspot.pt")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threshold", type=float, default=None)
    a = ap.parse_args()
    cache = {}
    if a.mode in ("cv", "all"):
        os.makedirs(a.out, exist_ok=True)
        rows, tot = [], [0, 0, 0]
        for s in "ABCDE":
            _net, res = run_fold([x for x in "ABCDE" if x != s], s, a.seed, cache)
            rows.append(res)
            t = res["test"]
            tot = [tot[0] + t["tp"], tot[1] + t["fp"], tot[2] + t["fn"]]
            print(json.dumps({"fold": s, "thr": res["threshold"], "test": t,
                              "per_camera": {k: v["f1"] for k, v in res["test_per_camera"].items()}}), flush=True)
        pooled = prf(*tot)
        pooled["mean_f1_over_folds"] = round(sum(r["test"]["f1"] for r in rows) / len(rows), 4)
        json.dump({"folds": rows, "pooled": pooled, "recipe": "hotspot_cand.py (same as the shipped model)"},
                  open(f"{a.out}/cv.json", "w"), indent=1)
        print(json.dumps({"pooled": pooled}), flush=True)
    if a.mode in ("train", "all"):
        os.makedirs(a.out, exist_ok=True)
        train_sites = a.train_sites.split(",")
        net, res = run_fold(train_sites, a.test_site, a.seed, cache)
        te = cache[a.test_site][0]
        # the exported graph itself (not the cached candidates) on the test site
        res["test_graph"] = eval_boxes(heatmaps_graph(net, te), te, res["threshold"])
        res["params"] = sum(p.numel() for p in net.mlp.parameters())
        torch.save({"state_dict": net.state_dict(), "threshold": res["threshold"], "features": net.features},
                   f"{a.out}/hotspot.pt")
        export_onnx(net, f"{a.out}/model.onnx")
        json.dump(res, open(f"{a.out}/train_result.json", "w"), indent=1)
        print(json.dumps(res))
    if a.mode == "eval":
        net, ck = load_ckpt(a.ckpt)
        thr = a.threshold if a.threshold is not None else ck["threshold"]
        te = load_site(a.test_site)
        hms = heatmaps_graph(net, te)
        print(json.dumps({"test_site": a.test_site, "threshold": thr, "test": eval_boxes(hms, te, thr),
                          "test_per_camera": per_camera(hms, te, thr)}))


if __name__ == "__main__":
    main()
