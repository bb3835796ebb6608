#!/usr/bin/env bash
# One call on the GPU machine: our bench, the PyTorch/fla reference and the ratios, all in one run.
# Here first:  bash ../shared/gpu/prepare.sh && node scripts/build.mjs bundle test/bench/bench.ts .bench/bench.mjs
#              (and fla's public source copied into ./fla — git-ignored, never committed)
# Device run:  carry [".gpu", ".bench", "fla"], command "bash test/bench/h200.sh"
# The tracked tree (bundled sample models + fla fixtures) and .gpu together pass the device tool's 64 MiB:
# leave the sample weights out of the working tree for the call and bring them back after:
#   git sparse-checkout set --no-cone '/*' '!/samples/models/*/'   …   git sparse-checkout disable
# On 2026-12-02 the whole --full bench took ~8 minutes and the reference ~3, past one call's 10: split
# it over two calls by section (arguments go to bench.mjs), e.g.
#   bash test/bench/h200.sh --only matmul,bandwidth,gla,softmax,decode      (with the reference, ~7 min)
#   REF=0 bash test/bench/h200.sh --only targets,tune                       (~4 min)
# FIXTURES=1 also rebuilds the fla interop fixtures (committed; ~4 min with Triton's first compile).
set -uo pipefail
out=${OUT:-.bench/out}
mkdir -p "$out"
bash .gpu/run.sh node .bench/bench.mjs --full --json "$out/ours.json" "$@" 2>&1 | grep -v 'artificially reduced' | tee "$out/ours.log"
if [[ ${REF:-1} != 0 ]]; then
  FLA_PATH=$PWD PYTHONUNBUFFERED=1 python3 test/bench/reference.py "$out/ref.json" > "$out/ref.log" 2>&1 || tail -5 "$out/ref.log"
  # fla again with exact f32 dots (Triton's default for f32 tl.dot is TF32 tensor cores).
  FLA_ONLY=1 TRITON_F32_DEFAULT=ieee FLA_PATH=$PWD PYTHONUNBUFFERED=1 python3 test/bench/reference.py "$out/ref_ieee.json" > "$out/ref_ieee.log" 2>&1 || tail -5 "$out/ref_ieee.log"
  PATH="/tmp/gpu-bin:$PATH" node test/bench/compare.mjs "$out/ours.json" "$out/ref.json" "$out/ref_ieee.json" | tee "$out/ratios.txt"
fi
if [[ ${FIXTURES:-0} != 0 ]]; then
  # fla interop fixtures (issue 3 item 7): checkpoints + logits from fla's own GLAForCausalLM (committed in
  # test/fixtures/fla; the script's docstring says how to regenerate). Comes back as one tarball.
  FLA_PATH=$PWD PYTHONUNBUFFERED=1 python3 test/fixtures/fla/make_fla_fixtures.py /tmp/fla_fixtures 2>&1 | tee "$out/fla_fixtures.log" | tail -14
  tar -czf "$out/fla_fixtures.tgz" -C /tmp fla_fixtures
fi
