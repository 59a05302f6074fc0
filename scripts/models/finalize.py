#!/usr/bin/python3
"""Writes models/<name>/model.json and models/<name>/metrics.json from the training outputs
(models/<name>/train_result.json, and for hotspot the CV table models/hotspot/cv.json if present)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hotspot_train as H  # noqa: E402
import smoke_train as S  # noqa: E402


def write(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def hotspot():
    r = json.load(open("models/hotspot/train_result.json"))
    write("models/hotspot/model.json", {
        "name": "hotspot", "type": "hotspot", "kind": "heatmap", "inputName": "input", "outputName": "heatmap",
        "channels": 1, "stride": H.STRIDE, "inputSize": {"width": H.INPUT_W, "height": H.INPUT_H},
        "normalize": {"mean": [H.MEAN], "std": [H.STD]}, "threshold": r["threshold"], "minBoxAreaPx": 4,
        "version": "1"})
    m = {"model": "hotspot", "threshold": r["threshold"], "threshold_selected_on": "validation split (last 20% frames per camera of sites A-D)",
         "box_match_rule": "pred matches GT fire box if IoU>=0.1 or pred centre inside GT box; greedy 1:1 by score",
         "train_sites": r["train_sites"], "test_site": r["test_site"], "val": r["val"],
         "test_siteE_inputSize_320x256": r["test"], "test_siteE_native_padded": r["test_native"],
         "test_siteE_per_camera": r["test_per_camera"], "baseline_siteE": r["baseline"], "params": r["params"]}
    if os.path.exists("models/hotspot/cv.json"):
        cv = json.load(open("models/hotspot/cv.json"))
        m["leave_one_site_out"] = [{"test_site": f["test_site"], "threshold": f["threshold"], "model": f["test"],
                                    "baseline_abs": f["baseline"]["abs"]["test"], "baseline_abs_T": f["baseline"]["abs"]["threshold"],
                                    "baseline_local": f["baseline"]["local"]["test"], "baseline_local_T": f["baseline"]["local"]["threshold"]}
                                   for f in cv]
        tot = {}
        for key in ["model", "baseline_abs", "baseline_local"]:
            tp = sum(f[key]["tp"] for f in m["leave_one_site_out"]); fp = sum(f[key]["fp"] for f in m["leave_one_site_out"])
            fn = sum(f[key]["fn"] for f in m["leave_one_site_out"])
            tot[key] = H.prf(tp, fp, fn)
            tot[key]["mean_f1_over_folds"] = round(sum(f[key]["f1"] for f in m["leave_one_site_out"]) / len(cv), 4)
        m["leave_one_site_out_pooled"] = tot
    write("models/hotspot/metrics.json", m)


def smoke():
    """v1/v3 (smoke_train.py, trained from scratch): since v5 became models/smoke, these live in models/smoke-lite/.
    v5's files are written by smoke_finetune.py (see models/smoke/card.md)."""
    r = json.load(open("models/smoke-lite/train_result.json"))
    v3 = r.get("recipe") == "v3"
    write("models/smoke-lite/model.json", {
        "name": "smoke", "type": "smoke", "kind": "heatmap", "inputName": "input", "outputName": "heatmap",
        "channels": 3, "stride": S.STRIDE, "inputSize": {"width": S.INPUT_W, "height": S.INPUT_H},
        "normalize": {"mean": S.MEAN, "std": S.STD}, "threshold": r["threshold"], "minBoxAreaPx": 4,
        "version": "3" if v3 else "1"})
    sel = ("max frame F1 with negative-window FP rate <= 0.0737 on a validation split of whole scene groups "
           "(>= 15% of smoke-hpwren/train, seed 0)") if v3 else "validation split (15% of smoke-hpwren/train, seed 0)"
    extra = {k: r[k] for k in ("recipe", "iters", "n_extra_fesb", "train_minutes", "schedule_changes") if k in r}
    write("models/smoke-lite/metrics.json", {
        "model": "smoke", "threshold": r["threshold"], "threshold_selected_on": sel,
        "box_match_rule": "pred matches GT box if IoU>=0.1 or pred centre inside GT box; greedy 1:1 by score",
        "negative_frames": "320x256 windows at x in {0,320}, y in {0,224} of each image with no pixel of the 65x65-dilated mask",
        "val": r["val"], "test": r["test"], "params": r["params"], "n_train": r["n_train"], "n_val": r["n_val"], **extra})


if __name__ == "__main__":
    for n in sys.argv[1:] or ["hotspot", "smoke"]:
        {"hotspot": hotspot, "smoke": smoke}[n]()
