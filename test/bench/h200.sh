#!/usr/bin/env bash
# One call on the GPU machine: our bench, the PyTorch/fla reference and the ratios, all in one run.
# Here first:  bash ../shared/gpu/prepare.sh && node scripts/build.mjs bundle test/bench/bench.ts .bench/bench.mjs
#              (and fla's public source copied into ./fla — git-ignored, never committed)
# Device run:  carry [".gpu", ".bench", "fla"], command "bash test/bench/h200.sh"
# The tracked tree (bundled sample models + fla fixtures) and .gpu together pass the device tool's 64 MiB:
# leave the sample weights out of the working tree for the call and bring them back after:
#   git sparse-checkout set --no-cone '/*' '!/samples/models/*/'   …   git sparse-checkout disable
# On 2026-12-02 the --full bench alone took ~8 of a call's 10 minutes: give the fixture step its own
# call if it is needed (see test/fixtures/fla/make_fla_fixtures.py).
set -uo pipefail
out=${OUT:-.bench/out}
mkdir -p "$out"
bash .gpu/run.sh node .bench/bench.mjs --full --json "$out/ours.json" "$@" 2>&1 | grep -v 'artificially reduced' | tee "$out/ours.log"
FLA_PATH=$PWD PYTHONUNBUFFERED=1 python3 test/bench/reference.py "$out/ref.json" > "$out/ref.log" 2>&1 || tail -5 "$out/ref.log"
PATH="/tmp/gpu-bin:$PATH" node test/bench/compare.mjs "$out/ours.json" "$out/ref.json" | tee "$out/ratios.txt"
# fla interop fixtures (issue 3 item 7): checkpoints + logits from fla's own GLAForCausalLM (committed in test/fixtures/fla; the script's docstring says how to regenerate)
FLA_PATH=$PWD PYTHONUNBUFFERED=1 python3 test/fixtures/fla/make_fla_fixtures.py "$out/fla_fixtures" 2>&1 | tee "$out/fla_fixtures.log" | tail -14
