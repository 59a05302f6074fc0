#!/usr/bin/python3
"""Hotspot v3 experiment (issue #4): a COCO-pretrained MobileNetV3-Large CenterNet backbone (the graph smoke v5 uses),
cut at stride 4/8 and fine-tuned with a small stride-4 heatmap head, on the v1 recipe's data pipeline.

Declaration, recipe and results: models/hotspot/experiments/v3_pretrained.json.

Network (`HotPre`), same runtime contract as v1 (input [N,1,H,W] gray, (p/255-0.5)/0.25; output `heatmap`
[N,1,H/4,W/4], sigmoid in the graph):
  rgb   = cat([g, g, g]) with g = (x*0.25 + 0.5) * 255   (the tfjs graph expects raw RGB 0..255: its /255 and the
          ImageNet normalisation are folded into its first conv; smoke v5's wrapper undoes ImageNet normalisation
          to reach the same 0..255 input)
  f4    = graph node tower_0/MobilenetV3/expanded_conv_2/add  (stride 4, 24 ch)  -- stem + blocks 0..2
  f8    = graph node tower_0/MobilenetV3/expanded_conv_5/add  (stride 8, 32 ch)  -- + blocks 3..5 (SE)
  lc    = 4x4 max-pool of [x, x - 15x15 mean, x - 5x5 mean]   (v1's in-graph local-contrast channels, stride 4)
  head  = conv3x3(24+32+3 -> 32) ReLU, conv3x3 dil 2 (32 -> 32) ReLU, conv1x1 (32 -> 1) on cat(0.1*f4, 0.1*up2(f8), lc)
          (0.1: the graph's features are ~8 on average, max ~80; the lc channels are ~1)
All graph weights up to f8 (~45 k parameters) are trained with lr_backbone, the head with lr_head (AdamW, one-cycle).
Training data / crops / targets / hard negatives / augmentation / loss: hotspot_train.augment + v1's weighted BCE
(positive weight x20, class-0 hot objects x4), the same rng call order as hotspot_train.train_model.

Usage (repo root):
  cv:    nice -n 19 /usr/bin/python3 scripts/models/hotspot_pretrained.py cv --seeds 0,1,2 --iters N --cache /tmp/hot_v3
  report: ... report --seeds 0,1,2 --cache /tmp/hot_v3 --out models/hotspot/experiments/v3_pretrained.json
  pilot: ... pilot --fold D --iters N   (validation-tail numbers only; the left-out site is not evaluated)
  final: ... final --seed 0 --iters N --cache /tmp/hot_v3_final --out DIR   (A-D train, site E held out, ONNX export)
"""
import argparse
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotspot_seeds as HS  # noqa: E402
import hotspot_train as H  # noqa: E402
from common import seed_all  # noqa: E402
from tfjs_graph import TfjsGraph  # noqa: E402

torch.set_num_threads(int(os.environ.get("TW_THREADS", "2")))

GRAPH = os.environ.get("TW_CENTERNET", "/tmp/pm/package/models/centernet.json")
S4 = "tower_0/MobilenetV3/expanded_conv_2/add"
S8 = "tower_0/MobilenetV3/expanded_conv_5/add"
SITES = "ABCDE"
FEAT_SCALE = 0.1


class HotPre(nn.Module):
    def __init__(self, graph=GRAPH, width=32):
        super().__init__()
        self.g = TfjsGraph(graph, [S4, S8])
        self.pool15 = nn.AvgPool2d(15, 1, 7, count_include_pad=False)
        self.pool5 = nn.AvgPool2d(5, 1, 2, count_include_pad=False)
        self.head = nn.Sequential(
            nn.Conv2d(24 + 32 + 3, width, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, padding=2, dilation=2), nn.ReLU(inplace=True),
            nn.Conv2d(width, 1, 1))

    def logits(self, x):
        g = (x * H.STD + H.MEAN) * 255.0
        f4, f8 = self.g(torch.cat([g, g, g], 1))
        lc = F.max_pool2d(torch.cat([x, x - self.pool15(x), x - self.pool5(x)], 1), H.STRIDE)
        f8u = F.interpolate(f8, scale_factor=2.0, mode="nearest")
        return self.head(torch.cat([FEAT_SCALE * f4, FEAT_SCALE * f8u, lc], 1))

    def forward(self, x):
        return torch.sigmoid(self.logits(x))


def train_model(train_items, iters, seed, lr_backbone, lr_head, bs=16, log=True):
    """hotspot_train.train_model with HotPre and two learning rates (same seeding, sampling, augment, loss)."""
    seed_all(seed)
    rng = random.Random(seed)
    net = HotPre()
    opt = torch.optim.AdamW([{"params": net.g.parameters(), "lr": lr_backbone},
                             {"params": net.head.parameters(), "lr": lr_head}], weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, [lr_backbone, lr_head], total_steps=iters, pct_start=0.15)
    losses = H.train_steps(net, opt, sched, train_items, iters, rng, bs, H.augment, log, log_every=50)
    return net, losses


def loss_summary(losses):
    n = len(losses)
    q = max(1, n // 10)
    return {"first10pct_mean": round(float(np.mean(losses[:q])), 4), "last10pct_mean": round(float(np.mean(losses[-q:])), 4)}


def cv(a):
    os.makedirs(a.cache, exist_ok=True)
    for seed in [int(s) for s in a.seeds.split(",")]:
        for s in a.folds:
            js = f"{a.cache}/s{seed}_{s}.json"
            if os.path.exists(js):
                continue
            t0 = time.time()
            tr_sites = [x for x in SITES if x != s]
            items = sum((HS.fold_items(x) for x in tr_sites), [])
            tr, va = H.split_val(items)
            te = HS.fold_items(s)
            net, losses = train_model(tr, a.iters, seed, a.lr_backbone, a.lr_head, log=False)
            t1 = time.time()
            hv = H.predict_heatmaps(net, va)
            thr, vm = H.tune_threshold(hv, va)          # ties -> highest (shipped v1_tiehigh rule)
            ht = H.predict_heatmaps(net, te)
            res = {"seed": seed, "test_site": s, "train_sites": tr_sites, "iters": a.iters, "threshold": thr, "val": vm,
                   "test": H.eval_boxes(ht, te, thr), "test_per_camera": HS.per_cam(ht, te, thr),
                   "loss": loss_summary(losses), "train_sec": round(t1 - t0), "sec": round(time.time() - t0)}
            torch.save({"state_dict": net.state_dict(), "threshold": thr, "seed": seed, "iters": a.iters,
                        "train_sites": tr_sites}, f"{a.cache}/s{seed}_{s}.pt")
            json.dump(res, open(js, "w"), indent=1)
            print(json.dumps({k: res[k] for k in ("seed", "test_site", "threshold", "test", "loss", "sec")}), flush=True)


def report(a):
    seeds = [int(s) for s in a.seeds.split(",")]
    runs = []
    for seed in seeds:
        folds = [json.load(open(f"{a.cache}/s{seed}_{s}.json")) for s in SITES]
        cams = {}
        for f in folds:
            for c, m in f["test_per_camera"].items():
                d = cams.setdefault(c, {"tp": 0, "fp": 0, "fn": 0})
                for k in d:
                    d[k] += m[k]
        runs.append({"seed": seed, "folds": folds, "pooled": HS.pooled(folds),
                     "pooled_per_camera": {c: H.prf(d["tp"], d["fp"], d["fn"])
                                           for c, d in cams.items()}})
    f1s = [r["pooled"]["f1"] for r in runs]
    summ = HS.summary(f1s)
    ship = summ["mean"] > 0.82 and min(f1s) >= 0.75
    doc = json.load(open(a.out)) if os.path.exists(a.out) else {}
    doc["results"] = {"runs": runs, "summary_pooled_f1": summ,
                      "ship_rule": {"mean_gt_0.82": summ["mean"] > 0.82, "min_seed_ge_0.75": min(f1s) >= 0.75,
                                    "passed": ship}}
    json.dump(doc, open(a.out, "w"), indent=1)
    print(json.dumps(doc["results"]["summary_pooled_f1"]), "ship" if ship else "NOT shipped")
    for r in runs:
        print(r["seed"], " ".join(f"{f['test_site']}:{f['test']['f1']:.3f}({f['threshold']})" for f in r["folds"]),
              r["pooled"], r["pooled_per_camera"])


def pilot(a):
    """Training check on one fold: loss curve and validation-tail numbers only (the left-out site is not loaded)."""
    tr_sites = [x for x in SITES if x != a.fold]
    items = sum((HS.fold_items(x) for x in tr_sites), [])
    tr, va = H.split_val(items)
    t0 = time.time()
    net, losses = train_model(tr, a.iters, int(a.seeds.split(",")[0]), a.lr_backbone, a.lr_head)
    t1 = time.time()
    hv = H.predict_heatmaps(net, va)
    thr, vm = H.tune_threshold(hv, va)
    print(json.dumps({"pilot_fold": a.fold, "iters": a.iters, "train_sec": round(t1 - t0),
                      "val_infer_sec": round(time.time() - t1), "n_val": len(va), "threshold": thr, "val": vm,
                      "val_per_camera": HS.per_cam(hv, va, thr), "loss": loss_summary(losses)}))


def diag_grid(a):
    """POST-HOC DIAGNOSTIC, not eligible to ship (added after the declared CV's results were seen): in 14 of 15 folds
    the declared grid's top (0.95) was chosen, i.e. the cap binds. Re-evaluates the cached fold nets with the same
    tail-block rule on an extended grid (0.10..0.95 step 0.05 plus 0.96..0.99 and 0.995, 0.998, 0.999; ties ->
    highest) and reports what the left-out sites would give. Also stores each fold's validation F1 per threshold."""
    grid = [float(t) for t in np.round(np.arange(0.1, 0.96, 0.05), 2)] + [0.96, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999]
    runs = []
    for seed in [int(s) for s in a.seeds.split(",")]:
        folds = []
        for s in SITES:
            tr_sites = [x for x in SITES if x != s]
            items = sum((HS.fold_items(x) for x in tr_sites), [])
            _tr, va = H.split_val(items)
            te = HS.fold_items(s)
            net = HotPre(); net.load_state_dict(torch.load(f"{a.cache}/s{seed}_{s}.pt")["state_dict"]); net.eval()
            hv = H.predict_heatmaps(net, va)
            vals = [(t, H.eval_boxes(hv, va, t)) for t in grid]
            best = max(v[1]["f1"] for v in vals)
            thr, vm = [v for v in vals if v[1]["f1"] == best][-1]
            ht = H.predict_heatmaps(net, te)
            folds.append({"test_site": s, "threshold": thr, "val": vm, "val_f1_by_threshold": {str(t): m["f1"] for t, m in vals},
                          "test": H.eval_boxes(ht, te, thr), "test_per_camera": HS.per_cam(ht, te, thr)})
            print(json.dumps({"seed": seed, "fold": s, "thr": thr, "val_f1": vm["f1"], "test": folds[-1]["test"]}), flush=True)
        runs.append({"seed": seed, "folds": folds, "pooled": HS.pooled(folds)})
    doc = json.load(open(a.out))
    doc["diagnostic_extended_grid"] = {
        "note": "post hoc (added after the declared results were seen), NOT eligible to ship; same nets, same tail-block rule, grid extended above 0.95",
        "grid": grid, "runs": runs, "summary_pooled_f1": HS.summary([r["pooled"]["f1"] for r in runs])}
    json.dump(doc, open(a.out, "w"), indent=1)
    print(json.dumps(doc["diagnostic_extended_grid"]["summary_pooled_f1"]))


class Export(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)


def final(a):
    os.makedirs(a.cache, exist_ok=True)
    seed = int(a.seeds.split(",")[0])
    tr_sites = list("ABCD")
    items = sum((HS.fold_items(x) for x in tr_sites), [])
    tr, va = H.split_val(items)
    te = HS.fold_items("E")
    path = f"{a.cache}/final_s{seed}.pt"
    if os.path.exists(path):
        net = HotPre(); net.load_state_dict(torch.load(path)["state_dict"]); net.eval()
    else:
        net, _ = train_model(tr, a.iters, seed, a.lr_backbone, a.lr_head)
        torch.save({"state_dict": net.state_dict(), "seed": seed, "iters": a.iters}, path)
    hv, ht = H.predict_heatmaps(net, va), H.predict_heatmaps(net, te)
    thr, vm = H.tune_threshold(hv, va)
    res = {"train_sites": tr_sites, "test_site": "E", "threshold": thr, "threshold_ties": "highest", "val": vm,
           "test": H.eval_boxes(ht, te, thr), "test_per_camera": HS.per_cam(ht, te, thr),
           "params": sum(p.numel() for p in net.parameters()), "iters": a.iters, "seed": seed}
    os.makedirs(a.out, exist_ok=True)
    H.export_onnx(net, f"{a.out}/model.onnx")
    json.dump(res, open(f"{a.out}/train_result_v3.json", "w"), indent=1)
    print(json.dumps(res))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["cv", "report", "pilot", "final", "diag-grid"])
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--folds", default=SITES)
    ap.add_argument("--fold", default="D")
    ap.add_argument("--iters", type=int, default=400)
    ap.add_argument("--lr-backbone", type=float, default=1e-4)
    ap.add_argument("--lr-head", type=float, default=3e-3)
    ap.add_argument("--cache", default="/tmp/hot_v3")
    ap.add_argument("--out", default="models/hotspot/experiments/v3_pretrained.json")
    a = ap.parse_args()
    {"cv": cv, "report": report, "pilot": pilot, "final": final, "diag-grid": diag_grid}[a.mode](a)


if __name__ == "__main__":
    main()
