#!/usr/bin/env bash
# Builds camera-config/demo/clips/ from /work/shared/data (run from the repo root).
# Thermal clips: FLAME-T site E (held out from hotspot training), one camera, frames sorted by frame number,
# 2 fps, H.264 yuv420p, GOP 2 (-g 2 -keyint_min 2), +faststart.
# HPWREN FIgLib clips: copied unchanged.
set -euo pipefail
DATA=/work/shared/data
OUT=camera-config/demo/clips
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# make_clip CAM FIRST LAST OUTNAME : frames CAM_FIRST..CAM_LAST of site E, in frame-number order
make_clip() {
  local cam=$1 first=$2 last=$3 name=$4 i=0
  mkdir -p "$TMP/$name"
  for n in $(seq "$first" "$last"); do
    f="$DATA/flame-t/site-E/images/${cam}_${n}.jpeg"
    [ -f "$f" ] || continue
    ln -s "$f" "$TMP/$name/$(printf '%05d' $i).jpeg"; i=$((i+1))
  done
  ffmpeg -hide_banner -loglevel error -y -framerate 2 -i "$TMP/$name/%05d.jpeg" \
    -vf "pad=ceil(iw/2)*2:ceil(ih/2)*2,format=yuv420p" \
    -c:v libx264 -preset medium -crf 24 -g 2 -keyint_min 2 -sc_threshold 0 -r 2 \
    -movflags +faststart "$OUT/$name"
}

make_clip A35 541 640 thermal-siteE-a35.mp4   # 100 frames = 50 s, FLIR A35 320x256
make_clip Tau 561 680 thermal-siteE-tau.mp4   # 120 frames = 60 s, Tau 336x256

for f in "$DATA"/clips/hpwren-figlib-*.mp4; do cp "$f" "$OUT/"; chmod 644 "$OUT/$(basename "$f")"; done
ls -la "$OUT"
