"""Minimal trainer for the sample models: AdamW (no decay on norms, biases, embeddings' rows are
decayed like matrices), linear warmup then cosine to min_lr, gradient clipping, periodic held-out
loss, export to an engine model folder at the end. Token streams are pre-tokenized files: raw
little-endian .bin (--dtype uint16|uint32) or .npy. f32 by default (--tf32 allows TF32 matmuls).

  /usr/bin/python3 samples/train/train.py --config cfg.json --train train.bin --val val.bin --out out/m
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import export  # noqa: E402
from regla_torch import ReglaConfig, ReglaForCausalLM  # noqa: E402


def load_tokens(path: str, dtype: str) -> np.ndarray:
    if path.endswith(".npy"):
        return np.load(path, mmap_mode="r")
    return np.memmap(path, dtype=np.dtype(dtype).newbyteorder("<"), mode="r")


def lr_at(step: int, total: int, warmup: int, lr: float, min_ratio: float) -> float:
    if step < warmup:
        return lr * (step + 1) / warmup
    p = min(1.0, (step - warmup) / max(1, total - warmup))
    return lr * (min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * p)))


def param_groups(model: torch.nn.Module, wd: float):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim < 2 or "norm" in name or "fmap_" in name else decay).append(p)
    return [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]


def batch(tokens: np.ndarray, B: int, T: int, rng: np.random.Generator, device) -> torch.Tensor:
    starts = rng.integers(0, len(tokens) - T - 1, size=B)
    x = np.stack([np.asarray(tokens[s : s + T + 1], dtype=np.int64) for s in starts])
    return torch.from_numpy(x).to(device)


@torch.no_grad()
def evaluate(model, tokens: np.ndarray, B: int, T: int, max_batches: int, device, chunk: int) -> float:
    model.eval()
    n = min(max_batches * B, (len(tokens) - 1) // T)
    total, count = 0.0, 0
    for i in range(0, n, B):
        rows = [np.asarray(tokens[j * T : j * T + T + 1], dtype=np.int64) for j in range(i, min(n, i + B))]
        x = torch.from_numpy(np.stack(rows)).to(device)
        logits = model(x[:, :-1], chunk_size=chunk)
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1), reduction="sum").item()
        count += x[:, 1:].numel()
    model.train()
    return total / max(1, count)


GATE_BINS = 20
GATE_EPS = (0.01, 0.05)
LOGIT_T = 6.0


def _hist(x: torch.Tensor) -> list:
    """Shares of x in GATE_BINS equal bins over [0, 1] (x in [0, 1])."""
    h = torch.histc(x.float().clamp(0, 1), bins=GATE_BINS, min=0.0, max=1.0)
    return [round(v, 6) for v in (h / max(1, x.numel())).tolist()]


def _share(mask: torch.Tensor) -> float:
    return round(mask.float().mean().item(), 6)


@torch.no_grad()
def gate_stats(model, x: torch.Tensor, chunk: int) -> list:
    """Per gated layer, on one fixed held-out batch: histograms of g = σ(a) and of α = exp(log α)
    (after τ and clamp_min, before the exp_norm term) over [0, 1], saturation shares (g or α
    within eps of 0 or 1, |a| > 6), mean α and memory length 1 / (1 − mean α), the gradient proxy
    g(1 − g), and for the refined gate mean r and dF/dg = 2(1 − r)g + 2r(1 − g)."""
    was_training = model.training
    model.eval()
    attns = [(i, blk.attn) for i, blk in enumerate(model.model.layers) if hasattr(blk.attn, "gk_proj")]
    for _, at in attns:
        at.capture = {}
    try:
        model(x, chunk_size=chunk)
        out = []
        for i, at in attns:
            cap = at.capture
            a, la = cap["a"], cap["logA"]
            g, alpha = torch.sigmoid(a), torch.exp(la)
            rec = {
                "layer": i,
                "g_hist": _hist(g),
                "alpha_hist": _hist(alpha),
                "g_saturated": {str(e): _share((g < e) | (g > 1 - e)) for e in GATE_EPS},
                "alpha_saturated_high": {str(e): _share(alpha > 1 - e) for e in GATE_EPS},
                "alpha_saturated_low": {str(e): _share(alpha < e) for e in GATE_EPS},
                "logit_saturated": _share(a.abs() > LOGIT_T),
                "mean_g": round(g.mean().item(), 6),
                "mean_alpha": round(alpha.mean().item(), 6),
                "memory_length": round(1.0 / max(1e-9, 1.0 - alpha.mean().item()), 4),
                "mean_g_one_minus_g": round((g * (1 - g)).mean().item(), 6),
            }
            if "c" in cap:
                r = torch.sigmoid(cap["c"])
                rec["mean_r"] = round(r.mean().item(), 6)
                rec["mean_dF_dg"] = round((2 * (1 - r) * g + 2 * r * (1 - g)).mean().item(), 6)
            out.append(rec)
        return out
    finally:
        for _, at in attns:
            at.capture = None
        model.train(was_training)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="config.json of the model (regla or gla)")
    ap.add_argument("--train", required=True)
    ap.add_argument("--val")
    ap.add_argument("--dtype", default="uint16", choices=["uint16", "uint32"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--tokenizer", help="tokenizer.json copied into the exported folder")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq-len", type=int, default=512)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--min-lr-ratio", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--init-std", type=float, default=0.02)
    ap.add_argument("--gate-bias", type=float, default=0.0, help="initial gate-logit bias (saturation study: far from 0)")
    ap.add_argument("--chunk-size", type=int, default=64)
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--eval-batches", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--tf32", action="store_true")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    ap.add_argument("--gate-every", type=int, default=0, help="gate statistics every N steps (0: with --eval-every)")
    ap.add_argument("--name", help="the model's name in the training log (default: the --out folder's name)")
    a = ap.parse_args(argv)

    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    torch.backends.cudnn.allow_tf32 = a.tf32
    with open(a.config) as f:
        cfg = json.load(f)
    model = ReglaForCausalLM(ReglaConfig.from_json(cfg))
    model.init_weights(std=a.init_std, gate_bias=a.gate_bias)
    model.to(a.device).train()
    n_params = sum(p.numel() for p in model.parameters())
    train = load_tokens(a.train, a.dtype)
    val = load_tokens(a.val, a.dtype) if a.val else None
    opt = torch.optim.AdamW(param_groups(model, a.wd), lr=a.lr, betas=(0.9, 0.95), eps=1e-8)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    progress = open(os.path.join(a.out, "train_log.jsonl"), "w")
    print(f"{n_params / 1e6:.2f}M parameters, {len(train)} train tokens, device {a.device}", flush=True)
    gate_every = a.gate_every or a.eval_every
    # One fixed batch for the gate statistics: the held-out split's first windows (else the train split's).
    src = val if val is not None else train
    gx = torch.from_numpy(np.stack([np.asarray(src[j * a.seq_len : (j + 1) * a.seq_len], dtype=np.int64) for j in range(4)])).to(a.device)
    steps_log, evals, gates = [], [], [{"step": 0, "layers": gate_stats(model, gx, a.chunk_size)}]
    t0 = time.time()
    for step in range(a.steps):
        lr = lr_at(step, a.steps, a.warmup, a.lr, a.min_lr_ratio)
        for g in opt.param_groups:
            g["lr"] = lr
        x = batch(train, a.batch, a.seq_len, rng, a.device)
        logits = model(x[:, :-1], chunk_size=a.chunk_size)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip).item()
        opt.step()
        rec = {"step": step + 1, "loss": loss.item(), "lr": lr, "grad_norm": gnorm, "time_s": round(time.time() - t0, 2)}
        last = step + 1 == a.steps
        if val is not None and ((step + 1) % a.eval_every == 0 or last):
            vl = evaluate(model, val, a.batch, a.seq_len, a.eval_batches, a.device, a.chunk_size)
            rec.update(val_loss=vl, val_ppl=math.exp(min(vl, 50)))
            evals.append({"step": step + 1, "val_loss": round(vl, 6), "val_ppl": round(math.exp(min(vl, 50)), 4)})
        if (step + 1) % gate_every == 0 or last:
            gates.append({"step": step + 1, "layers": gate_stats(model, gx, a.chunk_size)})
        if step % 10 == 0 or last or "val_loss" in rec:
            print(json.dumps(rec), flush=True)
        progress.write(json.dumps(rec) + "\n")
        progress.flush()
        steps_log.append({k: (round(v, 6) if isinstance(v, float) else v) for k, v in rec.items() if k in ("step", "loss", "lr", "grad_norm", "time_s")})
    progress.close()
    os.remove(os.path.join(a.out, "train_log.jsonl"))
    export(model, cfg, a.out, a.tokenizer)
    training_log = {
        "name": a.name or os.path.basename(os.path.normpath(a.out)),
        "config": cfg,
        "parameters": n_params,
        "torch": torch.__version__,
        "device": str(a.device),
        "threads": torch.get_num_threads(),
        "args": {k: v for k, v in vars(a).items() if k not in ("out", "train", "val", "tokenizer", "config")},
        "tokens_per_step": a.batch * a.seq_len,
        "wall_s": round(time.time() - t0, 1),
        "steps": steps_log,
        "evals": evals,
        "gates": {
            "batch": {"split": "heldout" if val is not None else "train", "windows": 4, "seq_len": a.seq_len},
            "bins": GATE_BINS,
            "eps": list(GATE_EPS),
            "logit_threshold": LOGIT_T,
            "snapshots": gates,
        },
    }
    with open(os.path.join(a.out, "training_log.json"), "w") as f:
        json.dump(training_log, f, separators=(",", ":"))
    print(f"exported to {a.out}", flush=True)


if __name__ == "__main__":
    main()
