#!/usr/bin/env bash
# One call on the GPU machine: retrain every sample model at a larger budget (the same for all)
# and bring the folders back as tarballs. Not yet run (no device time for it so far).
# Here first:   node samples/corpus/build.mjs && node samples/corpus/tokenize.mjs
#               git sparse-checkout set --no-cone '/*' '!/samples/models/*/'   (the bundled weights would
#               push the working tree past the device tool's 64 MiB; `git sparse-checkout disable` after)
# Device run:   carry ["samples/corpus/out"], command "bash samples/train/h200.sh" (STEPS=… BATCH=… to change the budget)
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
mkdir -p "$out"
export MODELS_DIR=.train/models PY=${PY:-python3} JOBS=${JOBS:-10} THREADS=1
export STEPS=${STEPS:-3000} BATCH=${BATCH:-16}
time bash samples/train/train_samples.sh || echo "train_samples.sh failed (exit $?): see logs/ beside models/"
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
tar -cf "$out/logs.tar" -C .train $(cd .train && ls *.log 2>/dev/null) 2>/dev/null || true
ls -la "$out"
