#!/usr/bin/python3
"""Seed-noise study of the v1 hotspot recipe and the seed-ensemble candidate (issue #4).

  train:   scripts/models/hotspot_seeds.py train --seeds 0,1,2 --iters 300 --cache /tmp/hot_seeds
           For every seed and every LOSO fold (left-out site A..E, trained on the other 4 sites) trains the v1
           recipe exactly as `hotspot_train.py cv` does (same split_val tail block, same train_model(seed)),
           and caches the fold net + its heatmaps on the fold's validation block and on the left-out site
           (inputSize 320x256, as the caller) in <cache>/s<seed>_<site>.npz / .pt.
  report:  scripts/models/hotspot_seeds.py report --seeds 0,1,2,3,4,5 --sets 0,1,2:3,4,5 --cache /tmp/hot_seeds
           --out models/hotspot/experiments/seeds_v1.json
           Pure post-processing of the cache (no training):
             v1           : each seed alone, threshold = hotspot_train.tune_threshold on the fold's val block
                            (grid 0.10..0.95, ties -> LOWEST threshold, as cv.json)
             v1_tiehigh   : diagnostic, same nets, ties -> HIGHEST threshold
             ens          : CANDIDATE (declared in card.md before evaluation): mean of the K nets' heatmaps of one
                            seed set, threshold on the same val block, ties -> HIGHEST threshold
             ens_tielow   : diagnostic, mean heatmap, ties -> lowest threshold
           Metrics: box P/R/F1 on all frames of the left-out site, pooled over the 5 folds (sum of TP/FP/FN).
  final:   scripts/models/hotspot_seeds.py final --seeds 0,1,2 --iters 1500 --cache /tmp/hot_final --out models/hotspot
           The shipping build of the candidate: one v1 net per seed trained on sites A-D (v1 recipe, 1500 iterations,
           same split_val tail block), mean heatmap, threshold on the A-D validation block (ties -> highest), site E
           held out; writes <out>/model.onnx (one graph), <out>/hotspot_ens.pt, <out>/train_result.json (for finalize.py;
           the seed-independent threshold baselines are copied from the previous train_result.json).
  retune:  scripts/models/hotspot_seeds.py retune --out models/hotspot/experiments/tiehigh_shipped.json
           Check (c) of the v1_tiehigh candidate: the shipped net's threshold re-chosen on its A-D validation block
           with ties -> lowest (reproduces the shipped 0.8) and -> highest; site E box P/R/F1 at each.
  apply-tiehigh: the same, then writes the ties -> highest threshold into models/hotspot/train_result.json and
           hotspot.pt (then: finalize.py hotspot).
  ensemble-export: scripts/models/hotspot_seeds.py export --ckpts a.pt,b.pt,c.pt --threshold T --out model.onnx
           One ONNX graph: mean of the members' sigmoid heatmaps (same input/output contract as v1).
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotspot_train as H  # noqa: E402
from common import heatmap_boxes, match_counts, prf  # noqa: E402

SITES = "ABCDE"
GRID = [float(t) for t in np.round(np.arange(0.1, 0.96, 0.05), 2)]


def fold_items(site, cache_sites={}):
    if site not in cache_sites:
        cache_sites[site] = H.load_site(site)
    return cache_sites[site]


def train(seeds, iters, cache):
    os.makedirs(cache, exist_ok=True)
    for seed in seeds:
        for s in SITES:
            npz = f"{cache}/s{seed}_{s}.npz"
            if os.path.exists(npz):
                continue
            t0 = time.time()
            tr_sites = [x for x in SITES if x != s]
            items = sum((fold_items(x) for x in tr_sites), [])
            tr, va = H.split_val(items)
            te = fold_items(s)
            net = H.train_model(tr, iters, seed, log=False)
            hv = H.predict_heatmaps(net, va)
            ht = H.predict_heatmaps(net, te)
            torch.save({"state_dict": net.state_dict(), "seed": seed, "iters": iters, "train_sites": tr_sites},
                       f"{cache}/s{seed}_{s}.pt")
            np.savez_compressed(npz, val=np.stack([h[0] for h in hv]).astype(np.float32),
                                test=np.stack([h[0] for h in ht]).astype(np.float32))
            thr, vm = H.tune_threshold(hv, va)
            m = H.eval_boxes(ht, te, thr)
            print(json.dumps({"seed": seed, "fold": s, "thr": thr, "val_f1": vm["f1"], "test": m,
                              "sec": round(time.time() - t0)}), flush=True)


def hm_list(arr, items):
    """cached heatmaps -> [(hm, sx, sy)] like H.predict_heatmaps (contract mode)."""
    out = []
    for hm, d in zip(arr, items):
        h, w = d["img"].shape
        out.append((hm, w / H.INPUT_W, h / H.INPUT_H))
    return out


def tune(hms, items, tie):
    res = [(t, H.eval_boxes(hms, items, t)) for t in GRID]
    best = max(r[1]["f1"] for r in res)
    tied = [r for r in res if r[1]["f1"] == best]
    return tied[0] if tie == "low" else tied[-1]


def per_cam(hms, items, thr):
    out = {}
    for c in sorted(set(d["cam"] for d in items)):
        idx = [i for i, d in enumerate(items) if d["cam"] == c]
        out[c] = H.eval_boxes([hms[i] for i in idx], [items[i] for i in idx], thr)
    return out


def pooled(folds):
    tp = sum(f["test"]["tp"] for f in folds); fp = sum(f["test"]["fp"] for f in folds)
    fn = sum(f["test"]["fn"] for f in folds)
    r = prf(tp, fp, fn)
    r["mean_f1_over_folds"] = round(sum(f["test"]["f1"] for f in folds) / len(folds), 4)
    return r


def evaluate(seed_group, cache, tie):
    folds = []
    for s in SITES:
        items = sum((fold_items(x) for x in SITES if x != s), [])
        _tr, va = H.split_val(items)
        te = fold_items(s)
        zs = [np.load(f"{cache}/s{k}_{s}.npz") for k in seed_group]
        hv = hm_list(np.mean([z["val"] for z in zs], 0), va)
        ht = hm_list(np.mean([z["test"] for z in zs], 0), te)
        thr, vm = tune(hv, va, tie)
        folds.append({"test_site": s, "threshold": thr, "val": vm, "test": H.eval_boxes(ht, te, thr),
                      "test_per_camera": per_cam(ht, te, thr)})
    return {"seeds": list(seed_group), "tie": tie, "folds": folds, "pooled": pooled(folds)}


def summary(vals):
    return {"mean": round(statistics.mean(vals), 4), "sd": round(statistics.stdev(vals), 4) if len(vals) > 1 else None,
            "min": min(vals), "max": max(vals), "n": len(vals)}


def report(seeds, sets, cache, out, iters):
    res = {"protocol": f"LOSO 5 folds (left-out site A..E, trained on the other 4), v1 recipe hotspot_train.train_model, "
                       f"{iters} iterations per fold, threshold grid 0.10..0.95 step 0.05 chosen for box F1 on the fold's "
                       "validation block (hotspot_train.split_val: last 20% of each camera's frames of the 4 training "
                       "sites concatenated in site order); test = all frames of the left-out site at 320x256; pooled = "
                       "sum of TP/FP/FN over the 5 folds; sd = sample standard deviation over seeds / seed sets",
           "command": f"scripts/models/hotspot_seeds.py train --seeds {','.join(map(str, seeds))} --iters {iters}; "
                      f"scripts/models/hotspot_seeds.py report --seeds {','.join(map(str, seeds))} "
                      f"--sets {':'.join(','.join(map(str, g)) for g in sets)}",
           "v1": [], "v1_tiehigh": [], "ens": [], "ens_tielow": []}
    for k in seeds:
        res["v1"].append(evaluate([k], cache, "low"))
        res["v1_tiehigh"].append(evaluate([k], cache, "high"))
    for g in sets:
        res["ens"].append(evaluate(g, cache, "high"))
        res["ens_tielow"].append(evaluate(g, cache, "low"))
    res["summary"] = {key: summary([r["pooled"]["f1"] for r in res[key]]) for key in ["v1", "v1_tiehigh", "ens", "ens_tielow"]}
    for key in ["v1", "v1_tiehigh", "ens", "ens_tielow"]:
        res["summary"][key]["per_run"] = {",".join(map(str, r["seeds"])): {
            "pooled": r["pooled"], "folds": {f["test_site"]: [f["threshold"], f["test"]["f1"]] for f in r["folds"]}}
            for r in res[key]}
    os.makedirs(os.path.dirname(out), exist_ok=True)
    json.dump(res, open(out, "w"), indent=1)
    print(json.dumps(res["summary"], indent=1))


class MeanEnsemble(nn.Module):
    """Mean of the members' sigmoid heatmaps: same contract as one HotNet ([1,1,H,W] -> [1,1,H/4,W/4], in [0,1])."""

    def __init__(self, nets):
        super().__init__()
        self.nets = nn.ModuleList(nets)

    def forward(self, x):
        return torch.stack([n(x) for n in self.nets], 0).mean(0)


def load_net(path):
    net = H.HotNet()
    net.load_state_dict(torch.load(path)["state_dict"])
    net.eval()
    return net


def final(seeds, iters, cache, out):
    os.makedirs(cache, exist_ok=True)
    tr_sites, test_site = list("ABCD"), "E"
    items = sum((fold_items(x) for x in tr_sites), [])
    tr, va = H.split_val(items)
    te = fold_items(test_site)
    nets = []
    for seed in seeds:
        path = f"{cache}/final_s{seed}.pt"
        if not os.path.exists(path):
            net = H.train_model(tr, iters, seed, log=False)
            torch.save({"state_dict": net.state_dict(), "seed": seed, "iters": iters, "train_sites": tr_sites}, path)
        nets.append(load_net(path))
    ens = MeanEnsemble(nets).eval()
    hv = H.predict_heatmaps(ens, va)
    ht = H.predict_heatmaps(ens, te)
    thr, vm = tune(hv, va, "high")
    prev = json.load(open(f"{out}/train_result.json")) if os.path.exists(f"{out}/train_result.json") else {}
    res = {"train_sites": tr_sites, "test_site": test_site, "threshold": thr, "val": vm,
           "test": H.eval_boxes(ht, te, thr), "test_native": H.eval_boxes(H.predict_heatmaps(ens, te, "native"), te, thr),
           "test_per_camera": per_cam(ht, te, thr), "params": sum(p.numel() for p in ens.parameters()),
           "members": {"seeds": seeds, "iters": iters, "combine": "mean of sigmoid heatmaps", "threshold_ties": "highest"},
           "baseline": prev.get("baseline")}
    os.makedirs(out, exist_ok=True)
    torch.save({"members": [n.state_dict() for n in nets], "seeds": seeds, "threshold": thr}, f"{out}/hotspot_ens.pt")
    H.export_onnx(ens, f"{out}/model.onnx")
    json.dump(res, open(f"{out}/train_result.json", "w"), indent=1)
    print(json.dumps(res))


def retune(ckpt, out):
    """Check (c) of the `v1_tiehigh` candidate (card.md): the shipped net's threshold re-chosen on its own A-D validation
    tail block with ties -> lowest (must reproduce the shipped threshold) and -> highest, and site E (held out) at each."""
    tr_sites = list("ABCD")
    items = sum((fold_items(x) for x in tr_sites), [])
    _tr, va = H.split_val(items)
    te = fold_items("E")
    net = load_net(ckpt)
    hv, ht = H.predict_heatmaps(net, va), H.predict_heatmaps(net, te)
    res = {"ckpt": ckpt, "shipped_threshold": torch.load(ckpt).get("threshold")}
    for tie in ("low", "high"):
        thr, vm = tune(hv, va, tie)
        res[f"ties_{tie}"] = {"threshold": thr, "val": vm, "test_site_E": H.eval_boxes(ht, te, thr),
                              "test_per_camera": per_cam(ht, te, thr)}
    json.dump(res, open(out, "w"), indent=1)
    print(json.dumps({k: (v if not isinstance(v, dict) else {"threshold": v["threshold"], "E": v["test_site_E"]})
                      for k, v in res.items()}))
    return res, net, va, te


def apply_tiehigh(ckpt, out):
    """Ships the `v1_tiehigh` rule for the shipped net (card.md, after its declared checks passed): writes the
    ties -> highest threshold and its metrics into <model dir>/train_result.json and the checkpoint; run
    `finalize.py hotspot` afterwards to regenerate model.json and metrics.json."""
    res, net, va, te = retune(ckpt, out)
    hi = res["ties_high"]
    d = os.path.dirname(ckpt)
    tr = json.load(open(f"{d}/train_result.json"))
    thr = hi["threshold"]
    tr.update({"threshold": thr, "threshold_ties": "highest", "val": hi["val"], "test": hi["test_site_E"],
               "test_native": H.eval_boxes(H.predict_heatmaps(net, te, "native"), te, thr),
               "test_per_camera": hi["test_per_camera"]})
    json.dump(tr, open(f"{d}/train_result.json", "w"), indent=1)
    ck = torch.load(ckpt)
    ck["threshold"] = thr
    torch.save(ck, ckpt)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["train", "report", "export", "final", "retune", "apply-tiehigh"])
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--sets", default="0,1,2")
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--cache", default="/tmp/hot_seeds")
    ap.add_argument("--out", default="models/hotspot/experiments/seeds_v1.json")
    ap.add_argument("--ckpts", default="")
    a = ap.parse_args()
    seeds = [int(x) for x in a.seeds.split(",")]
    if a.mode == "train":
        train(seeds, a.iters, a.cache)
    elif a.mode == "report":
        sets = [[int(x) for x in g.split(",")] for g in a.sets.split(":")]
        report(seeds, sets, a.cache, a.out, a.iters)
    elif a.mode == "final":
        final(seeds, a.iters, a.cache, a.out)
    elif a.mode == "retune":
        retune(a.ckpts or "models/hotspot/hotspot.pt", a.out)
    elif a.mode == "apply-tiehigh":
        apply_tiehigh(a.ckpts or "models/hotspot/hotspot.pt", a.out)
    else:
        ens = MeanEnsemble([load_net(p) for p in a.ckpts.split(",")])
        H.export_onnx(ens, a.out)


if __name__ == "__main__":
    main()
