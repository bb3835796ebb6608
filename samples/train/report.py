"""Markdown tables for samples/README.md from the bundled models' training_log.json and golden.json:
perplexities per variant (PyTorch's held-out evaluation at the last step and the golden windows the
engine is checked against) and the saturation study (gate statistics at step 0 and at the end).
With --index it (re)writes samples/models/index.json instead: the list of bundled models that an
app or a web host reads (a browser cannot list folders).

  /usr/bin/python3 samples/train/report.py [--index]   (reads samples/models/*/; no torch needed)
"""

from __future__ import annotations

import json
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.path.join(ROOT, "samples", "models")
VARIANTS = os.path.join(ROOT, "samples", "train", "variants.json")
# Spec §5: from-scratch WikiText-103, ~160M parameters (perplexity; lower is better).
PAPER = {"la-relu": 28.5, "la-elu1": 31.3, "hedgehog": 22.4, "fast-decay": 20.8, "regla": 19.0, "hybrid-regla": 17.8, "softmax": 18.5}


def load(name: str, file: str) -> dict:
    with open(os.path.join(MODELS, name, file)) as f:
        return json.load(f)


def mean(xs):
    xs = list(xs)
    return sum(xs) / len(xs) if xs else float("nan")


def write_index(variants: dict) -> None:
    models = []
    for n, e in variants.items():
        log, g = load(n, "training_log.json"), load(n, "golden.json")
        models.append({
            "name": n,
            "path": n,
            "about": e["about"],
            "model_type": log["config"]["model_type"],
            "parameters": log["parameters"],
            "train_tokens": log["tokens_per_step"] * len(log["steps"]),
            "golden_perplexity": round(g["perplexity"], 3),
        })
    with open(os.path.join(MODELS, "index.json"), "w") as f:
        json.dump({"about": "The bundled sample models (samples/README.md); written by samples/train/report.py --index.", "models": models}, f, indent=1)
        f.write("\n")


def main() -> None:
    with open(VARIANTS) as f:
        variants = json.load(f)["variants"]
    if "--index" in sys.argv[1:]:
        write_index(variants)
        return
    names = list(variants)
    print("| model | parameters | held-out ppl (PyTorch, last step) | golden-window ppl (engine = PyTorch) | paper (WikiText-103) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for n in names:
        log, g = load(n, "training_log.json"), load(n, "golden.json")
        paper = PAPER.get(n)
        print(f"| `{n}` | {log['parameters'] / 1e6:.2f} M | {log['evals'][-1]['val_ppl']:.1f} | {g['perplexity']:.1f} | {paper if paper else '—'} |")
    print()
    print("| model | step | g saturated (ε = 0.05) | α > 0.95 | mean α | memory length 1/(1 − mean α) | mean g(1 − g) | mean dF/dg |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in names:
        snaps = load(n, "training_log.json")["gates"]["snapshots"]
        if not snaps or not snaps[0]["layers"]:
            continue
        for s in (snaps[0], snaps[-1]):
            L = s["layers"]
            dfdg = mean(x["mean_dF_dg"] for x in L if "mean_dF_dg" in x)
            print(
                f"| `{n}` | {s['step']} | {mean(x['g_saturated']['0.05'] for x in L):.3f} | {mean(x['alpha_saturated_high']['0.05'] for x in L):.3f} | "
                f"{mean(x['mean_alpha'] for x in L):.3f} | {mean(x['memory_length'] for x in L):.1f} | {mean(x['mean_g_one_minus_g'] for x in L):.4f} | "
                f"{'—' if dfdg != dfdg else f'{dfdg:.3f}'} |"
            )


if __name__ == "__main__":
    main()
