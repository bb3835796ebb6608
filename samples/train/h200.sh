#!/usr/bin/env bash
# One call on the GPU machine: retrain every sample model at a larger budget (the same for all)
# and bring the folders back under $OUT/models. Not yet run (no device time on 2026-12-02).
# Here first:   node samples/corpus/build.mjs && node samples/corpus/tokenize.mjs
# Device run:   carry ["samples/corpus/out"], command "bash samples/train/h200.sh" (STEPS=… BATCH=… to change the budget)
# Back here:    copy <files_at>/models/* over samples/models/, then
#               /usr/bin/python3 samples/train/golden.py && /usr/bin/python3 samples/train/report.py
#               (goldens are computed here, on the CPU, from the returned weights), update samples/README.md
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[[ -f samples/corpus/out/train.bin ]] || { echo "samples/corpus/out/train.bin missing: carry samples/corpus/out" >&2; exit 1; }
nvidia-smi --query-gpu=name,memory.used --format=csv,noheader || true
export MODELS_DIR=${OUT:-.train}/models PY=${PY:-python3} JOBS=${JOBS:-10} THREADS=1
export STEPS=${STEPS:-3000} BATCH=${BATCH:-16}
time bash samples/train/train_samples.sh || echo "train_samples.sh failed (exit $?): see logs/ beside models/"
mkdir -p "${OUT:-.train}/logs" && cp .train/*.log "${OUT:-.train}/logs/" 2>/dev/null || true
