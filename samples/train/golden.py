"""Golden checks for the bundled sample models (test/gpu/samples.test.ts compares the engine to them).

For samples/models/<name>/ it loads model.safetensors into the PyTorch reference, runs the held-out
golden windows of samples/models/golden_tokens.json (WINDOWS windows of WINDOW tokens each, the
state reset per window, chunked path with chunk 64, f32) and writes
  golden.json          mean NLL and perplexity over every predicted token of the windows, the rows
                       kept, and how it was computed
  golden.safetensors   `logits` [len(ROWS), vocab] f32: window 0's logits at the positions ROWS
The first run writes golden_tokens.json from samples/corpus/out/heldout.bin (tokens 0..WINDOWS·WINDOW−1).

  /usr/bin/python3 samples/train/golden.py [name ...]      (default: every folder in samples/models)
"""

from __future__ import annotations

import json
import math
import os
import sys

# One BLAS thread: the goldens come out byte for byte the same on every run of this machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import read_safetensors, write_safetensors  # noqa: E402
from regla_torch import ReglaConfig, ReglaForCausalLM  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.path.join(ROOT, "samples", "models")
TOKENS = os.path.join(MODELS, "golden_tokens.json")
HELDOUT = os.path.join(ROOT, "samples", "corpus", "out", "heldout.bin")
WINDOWS, WINDOW, CHUNK = 4, 1024, 64
ROWS = [0, 1, 2, 15, 16, 63, 64, 65, 255, 511, 1000, 1023]


def golden_tokens() -> list:
    if not os.path.exists(TOKENS):
        ids = np.fromfile(HELDOUT, dtype="<u2")[: WINDOWS * WINDOW].astype(int).tolist()
        assert len(ids) == WINDOWS * WINDOW, "build the token streams first (samples/corpus/tokenize.mjs)"
        with open(TOKENS, "w") as f:
            json.dump({"source": "samples/corpus/out/heldout.bin (held-out split, tokenize.mjs), the first tokens",
                       "windows": WINDOWS, "window": WINDOW, "ids": ids}, f, separators=(",", ":"))
    with open(TOKENS) as f:
        t = json.load(f)
    assert t["windows"] == WINDOWS and t["window"] == WINDOW
    return t["ids"]


@torch.no_grad()
def golden(name: str, ids: list) -> dict:
    d = os.path.join(MODELS, name)
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    model = ReglaForCausalLM(ReglaConfig.from_json(cfg))
    sd = read_safetensors(os.path.join(d, "model.safetensors"))
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert not unexpected and all("lm_head" in m for m in missing), (missing, unexpected)
    model.eval()
    x = torch.tensor(ids, dtype=torch.int64).view(WINDOWS, WINDOW)
    logits = model(x, chunk_size=CHUNK)  # [W, T, V]
    nll = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).double(), x[:, 1:].reshape(-1), reduction="sum").item()
    count = WINDOWS * (WINDOW - 1)
    write_safetensors({"logits": logits[0, ROWS].numpy()}, os.path.join(d, "golden.safetensors"), {"format": "pt"})
    g = {
        "tokens": "../golden_tokens.json",
        "windows": WINDOWS,
        "window": WINDOW,
        "rows": ROWS,
        "predicted": count,
        "mean_nll": nll / count,
        "perplexity": math.exp(nll / count),
        "chunk_size": CHUNK,
        "how": "PyTorch reference (samples/train/regla_torch.py), f32, chunked path; NLL of tokens 1..T−1 of each window from log-softmax in float64; logits of window 0 at `rows` in golden.safetensors",
        "torch": torch.__version__,
    }
    with open(os.path.join(d, "golden.json"), "w") as f:
        json.dump(g, f, indent=1)
        f.write("\n")
    return g


def main(argv) -> None:
    names = argv or sorted(n for n in os.listdir(MODELS) if os.path.isfile(os.path.join(MODELS, n, "config.json")))
    ids = golden_tokens()
    for n in names:
        g = golden(n, ids)
        print(f"{n}: perplexity {g['perplexity']:.3f} over {g['predicted']} held-out tokens", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
