#!/usr/bin/env bash
# One call on the GPU machine: retrain every sample model at one budget (the same for all) and bring
# the folders back as tarballs. The call is limited to 600 s, so the budget is fitted to it: a short
# calibration run of all ten models at once (as they will train) measures the slowest one's seconds
# per step, and STEPS is the largest multiple of 100 (≤ MAX_STEPS) that fits TRAIN_S with a margin.
# Here first:   node samples/corpus/build.mjs && node samples/corpus/tokenize.mjs
#               git sparse-checkout set --no-cone '/*' '!/samples/models/*/'   (the bundled weights would
#               push the working tree past the device tool's 64 MiB; `git sparse-checkout disable` after)
# Device run:   carry ["samples/corpus/out"], command "bash samples/train/h200.sh"
#               (BATCH, CHUNK, MAX_STEPS, TRAIN_S change it; STEPS=… skips the calibration)
# Back here:    the device tool returns at most 8 files of ≤ 16 MiB each, so the models come back as
#               models-N.tar (a few folders each) and logs.tar:
#               for t in <files_at>/models-*.tar; do tar -xf "$t" -C samples/models; done, then
#               /usr/bin/python3 samples/train/golden.py && /usr/bin/python3 samples/train/report.py
#               (goldens are computed here, on the CPU, from the returned weights), update samples/README.md
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[[ -f samples/corpus/out/train.bin ]] || { echo "samples/corpus/out/train.bin missing: carry samples/corpus/out" >&2; exit 1; }
nvidia-smi --query-gpu=name,memory.used --format=csv,noheader || true
out=${OUT:-.train/out}
mkdir -p "$out" .train
export MODELS_DIR=.train/models PY=${PY:-python3} JOBS=${JOBS:-10} THREADS=1
export BATCH=${BATCH:-32} CHUNK=${CHUNK:-64}
if [[ -z ${STEPS:-} ]]; then
  # Calibration: 30 steps of every model at once; seconds per step from step 10 to 30 of the slowest.
  STEPS=30 MODELS_DIR=.train/cal bash samples/train/train_samples.sh > .train/calibration.txt 2>&1 || true
  STEPS=$(python3 - "${TRAIN_S:-420}" "${MAX_STEPS:-2000}" <<'PY'
import glob, json, sys
budget, cap = float(sys.argv[1]), int(sys.argv[2])
per = []
for f in glob.glob(".train/cal/*/training_log.json"):
    st = {s["step"]: s["time_s"] for s in json.load(open(f))["steps"]}
    per.append((st[30] - st[10]) / 20)
if len(per) < 10:
    sys.exit(f"calibration: only {len(per)} of 10 models ran (see .train/*.log)")
# 1.25: evaluation every 100 steps (16 forward batches) and gate statistics, plus a margin.
steps = min(cap, int(budget / (1.25 * max(per)) / 100) * 100)
print(f"calibration: {min(per):.3f}–{max(per):.3f} s/step with 10 models at once → {steps} steps", file=sys.stderr)
print(max(steps, 100))
PY
  ) || { cat .train/calibration.txt; exit 1; }
  rm -rf .train/cal
fi
export STEPS
echo "budget: $STEPS steps of $BATCH × 256 tokens, chunk $CHUNK"
# The hard stop leaves time to pack whatever finished.
time timeout "${HARD_S:-500}" bash samples/train/train_samples.sh || echo "train_samples.sh failed or timed out (exit $?): see the logs"
# Pack: folders into tarballs of at most ~15 MiB each (one model is ~5.5 MB), the logs into one.
python3 - "$MODELS_DIR" "$out" <<'PY'
import os, sys, tarfile
src, out = sys.argv[1], sys.argv[2]
groups, cur, size = [], [], 0
for name in sorted(os.listdir(src)):
    d = os.path.join(src, name)
    if not os.path.isdir(d):
        continue
    n = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    if cur and size + n > 15 * 2**20:
        groups.append(cur)
        cur, size = [], 0
    cur.append(name)
    size += n
if cur:
    groups.append(cur)
for i, g in enumerate(groups):
    with tarfile.open(os.path.join(out, f"models-{i}.tar"), "w") as t:
        for name in g:
            t.add(os.path.join(src, name), arcname=name)
    print(f"models-{i}.tar: {', '.join(g)}")
PY
tar -cf "$out/logs.tar" -C .train $(cd .train && ls *.log *.txt 2>/dev/null) 2>/dev/null || true
ls -la "$out"
