#!/usr/bin/env bash
# Run every benchmark in turn from the repository root; stops at the first that fails.
set -euo pipefail

cd "$(dirname "$0")/.."  # the scripts start run.py and read content/ relative to the root
PYTHON="${PYTHON:-python}"

for name in send_to_dashboard kiosks_at_once page_weight speech_cache audio voice records redis_alert bad_input; do
  echo "== $name"
  "$PYTHON" "bench/$name.py"
done
