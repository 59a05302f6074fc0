#!/usr/bin/python3
"""Builds camera-config/demo/clips/hpwren-cloud-haze-negatives.mp4: a smoke-free visible clip made of real
HPWREN tower frames, for the "no alert on cloud/haze" check (npm run eval, end-to-end section).

Source: smoke-hpwren/test (HPWREN imagery, AI For Mankind annotations, CC BY-NC-SA 4.0; never used for training).
Each image is cut into 320x256 windows at x in {0, 320}, y in {0, 224} (the card's negative windows); a window
is kept only if no smoke-mask pixel lies within 32 px of it AND it shows cloud/haze-like content (>= 8% of
pixels bright (V > 150) and low-saturation (S < 60) in HSV). The first 50 such windows (sorted by image name)
are each held for 6 s at 2 fps (like a fixed camera watching a cloudy sky), at native 320x256, GOP 12:
50 x 6 s = 300 s; looped twice it is a 10-minute run.

Usage (repo root): /usr/bin/python3 scripts/models/make_negative_clip.py
"""
import glob
import os
import subprocess
import tempfile

import cv2
import numpy as np

ROOT = "/work/shared/data/smoke-hpwren/test"
OUT = "camera-config/demo/clips/hpwren-cloud-haze-negatives.mp4"
N_WINDOWS, HOLD_FRAMES, FPS = 50, 12, 2


def windows():
    for p in sorted(glob.glob(f"{ROOT}/images/*.jpg")):
        name = os.path.splitext(os.path.basename(p))[0]
        img = cv2.imread(p)
        mask = cv2.imread(f"{ROOT}/masks/{name}.png", 0) > 127
        dil = cv2.dilate(mask.astype(np.uint8), np.ones((65, 65), np.uint8))
        for y0 in (0, 224):
            for x0 in (0, 320):
                if dil[y0:y0 + 256, x0:x0 + 320].any():
                    continue
                w = img[y0:y0 + 256, x0:x0 + 320]
                hsv = cv2.cvtColor(w, cv2.COLOR_BGR2HSV)
                if ((hsv[..., 2] > 150) & (hsv[..., 1] < 60)).mean() >= 0.08:
                    yield name, x0, y0, w


def main():
    with tempfile.TemporaryDirectory() as tmp:
        k, used = 0, []
        for name, x0, y0, w in windows():
            big = w
            for _ in range(HOLD_FRAMES):
                cv2.imwrite(f"{tmp}/{k:05d}.png", big)
                k += 1
            used.append(f"{name}@{x0},{y0}")
            if len(used) == N_WINDOWS:
                break
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-framerate", str(FPS), "-i",
                        f"{tmp}/%05d.png", "-vf", "format=yuv420p", "-c:v", "libx264", "-preset", "medium",
                        "-crf", "26", "-g", "12", "-keyint_min", "12", "-sc_threshold", "0", "-r", str(FPS),
                        "-movflags", "+faststart", OUT], check=True)
        print(f"{OUT}: {len(used)} windows, {k} frames; first windows: {', '.join(used[:5])}")


if __name__ == "__main__":
    main()
