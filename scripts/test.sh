#!/usr/bin/env bash
# The whole test suite: static checks, unit tests, medium tests (real ffmpeg, real RTSP server, real
# onnxruntime, real SQLite), browser tests (real Chromium). Run `bash scripts/install.sh` once first.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f web/dist/index.html ] || npm run --silent build:web
echo "== typecheck"; npx tsc -p tsconfig.json --noEmit
echo "== lint"; npx eslint . --max-warnings=0
echo "== format"; npx prettier --check . --log-level warn
# Projects run one after another: the medium and browser tests start real ffmpeg, RTSP servers and Chromium,
# and on a 2-core machine they must not compete with each other.
for project in unit medium e2e; do
  echo "== $project tests"
  npx vitest run --project "$project"
done
