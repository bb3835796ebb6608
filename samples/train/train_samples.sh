#!/usr/bin/env bash
# Trains every sample model of variants.json at one budget and exports each to samples/models/<name>/
# (or $MODELS_DIR/<name>/)
# (config.json, model.safetensors, tokenizer.json, training_log.json); then golden.py adds golden.json.
# Needs the token streams (node samples/corpus/build.mjs && node samples/corpus/tokenize.mjs) and
# PyTorch (/usr/bin/python3 with Debian's python3-torch, or the H200 machine's).
#   samples/train/train_samples.sh [name ...]      (default: every variant; JOBS parallel workers;
#   STEPS and BATCH change the one budget for every model: 500 steps of 8 × 256 tokens by default
#   (the bundled models: h200.sh, 1000 × 32 × 256 with CHUNK=64);
#   CHUNK the training recurrence's chunk size, 16 by default: the chunked form is exact for any chunk)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PY=${PY:-/usr/bin/python3}
JOBS=${JOBS:-2}
THREADS=${THREADS:-1}
# The one budget shared by every variant.
BUDGET="--steps ${STEPS:-500} --batch ${BATCH:-8} --seq-len 256 --lr 2e-3 --warmup 50 --min-lr-ratio 0.1 --wd 0.1
        --clip 1.0 --chunk-size ${CHUNK:-16} --eval-every 100 --eval-batches 16 --seed 0"
names=("$@")
[[ ${#names[@]} -gt 0 ]] || mapfile -t names < <($PY -c 'import json; print("\n".join(json.load(open("samples/train/variants.json"))["variants"]))')
MODELS_DIR=${MODELS_DIR:-samples/models}
mkdir -p "$MODELS_DIR" .train
run() {
  local name=$1 cfg=.train/$1.config.json bias
  bias=$($PY -c "import json,sys; v=json.load(open('samples/train/variants.json')); e=v['variants'][sys.argv[1]]; json.dump({**v['base'], **e['config']}, open(sys.argv[2], 'w'), indent=1); print(e.get('gate_bias', 0))" "$name" "$cfg")
  OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS $PY samples/train/train.py --config "$cfg" \
    --train samples/corpus/out/train.bin --val samples/corpus/out/heldout.bin --tokenizer samples/tokenizer/tokenizer.json \
    --out "$MODELS_DIR/$name" --name "$name" --threads "$THREADS" --gate-bias "$bias" $BUDGET > ".train/$name.log" 2>&1
  echo "$name: $(tail -1 ".train/$name.log")"
}
export -f run; export PY THREADS BUDGET MODELS_DIR
printf '%s\n' "${names[@]}" | xargs -P "$JOBS" -I{} bash -c 'run {}'
