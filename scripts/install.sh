#!/usr/bin/env bash
# Installs everything TowerWatch needs on Debian/Ubuntu (run as root, Node 20 present):
#   - ffmpeg (capture, demo feeders), GStreamer's RTSP server + PyGObject (demo RTSP server),
#   - Chromium (browser tests only; skip with TOWERWATCH_SKIP_BROWSER=1),
#   - npm packages (npm ci), then builds the web console.
# Idempotent: packages already present are not reinstalled.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
/usr/bin/python3 -c 'import gi; gi.require_version("GstRtspServer", "1.0")' >/dev/null 2>&1 || need+=(
  python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-libav gstreamer1.0-rtsp)
gst-inspect-1.0 tsdemux >/dev/null 2>&1 || need+=(gstreamer1.0-plugins-bad)
gst-inspect-1.0 rtph264pay >/dev/null 2>&1 || need+=(gstreamer1.0-plugins-good)
if [ "${TOWERWATCH_SKIP_BROWSER:-0}" != 1 ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  # (no grep -q: it exits at the first match, fc-list then dies of SIGPIPE and pipefail reports a miss)
  fc-list 2>/dev/null | grep -i 'CJK\|wqy' >/dev/null || need+=(fonts-noto-cjk)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "[install] apt packages: ${need[*]}"
  if [ "$(id -u)" != 0 ]; then echo "[install] need root for apt-get (or install them yourself): ${need[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

node -e 'const [M]=process.versions.node.split(".").map(Number); if (M<20) { console.error("Node >= 20 required, found "+process.version); process.exit(1) }'
echo "[install] npm ci"
npm ci --no-audit --no-fund --loglevel=error
echo "[install] building the web console"
npm run --silent build:web
echo "[install] done"
