#!/usr/bin/env bash
# The whole test suite: static checks, unit tests, medium tests (real ffmpeg, real RTSP server, real
# onnxruntime, real SQLite), browser tests (real Chromium). Run `bash scripts/install.sh` once first.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f web/dist/index.html ] || npm run --silent build:web
echo "== typecheck"; npx tsc -p tsconfig.json --noEmit
echo "== lint"; npx eslint . --max-warnings=0
echo "== format"; npx prettier --check . --log-level warn
echo "== unit, medium, e2e"
npx vitest run --reporter=default
