"""Golden fixtures for test/unit/torch-golden.test.ts: tiny seeded random models of several variants
(hidden 32, 2 layers, vocab 61, like test/gpu/variants.ts), each exported to test/fixtures/torch/<name>/
with config.json, model.safetensors and golden.json (20 input ids, f32 logits from the chunked path
with chunk 8 so that T = 20 spans three chunks, the last one partial, and the largest |chunked −
recurrent| over chunk sizes 8 and 64). Run: /usr/bin/python3 samples/train/make_fixtures.py"""

from __future__ import annotations

import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import export  # noqa: E402
from regla_torch import ReglaConfig, ReglaForCausalLM  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "test", "fixtures", "torch")
TINY = {"hidden_size": 32, "num_hidden_layers": 2, "num_heads": 2, "vocab_size": 61, "intermediate_size": 48}
T = 20
GOLDEN_CHUNK = 8

# name → (config.json, gate bias mean)
VARIANTS = {
    "regla": ({"model_type": "regla", **TINY}, 0.0),
    "regla_strong_decay": ({"model_type": "regla", **TINY, "gate_low_rank_dim": 4, "attn_norm": "rmsnorm", "use_output_gate": True}, -6.0),
    "gla_conv_gqa_tied": (
        {"model_type": "gla", **TINY, "num_heads": 4, "num_kv_heads": 2, "gate_low_rank_dim": 4, "use_short_conv": True,
         "conv_size": 3, "tie_word_embeddings": True, "clamp_min": -3, "gate_logit_normalizer": 4},
        0.0,
    ),
    "hedgehog_denominator": ({"model_type": "regla", **TINY, "gate": "gla", "feature_map": "hedgehog", "attn_norm": "none", "denominator": True}, 0.0),
    "fast_decay": ({"model_type": "regla", **TINY, "gate": "fast_decay", "feature_map": "identity", "attn_norm": "rmsnorm", "scale": "inv_sqrt_dk"}, 0.0),
    "hybrid": ({"model_type": "regla", **TINY, "num_kv_heads": 1, "hybrid_softmax_layers": [1], "rope_theta": 500.0}, 0.0),
    "sigmoid": ({"model_type": "regla", **TINY, "gate": "sigmoid", "feature_map": "identity", "scale": "inv_sqrt_dk", "use_output_gate": True}, 0.0),
    "la_elu1_relu": ({"model_type": "regla", **TINY, "gate": "none", "feature_map": "elu1", "attn_norm": "none", "denominator": True, "scale": 0.3}, 0.0),
}


def randomize(model: ReglaForCausalLM, gate_bias: float) -> None:
    """Values in the spirit of shaders/model/weights.ts randomWeights: every parameter off its trivial
    init so that biases, norm weights and hedgehog maps all matter."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.normal_(1.0, 0.1)
            elif name.endswith("norm.bias"):
                p.normal_(0.0, 0.05)
            elif ".fmap_" in name:
                p.normal_(0.0, 0.05)
                if name.endswith("weight"):
                    p.add_(torch.eye(p.shape[0]))
            elif "_conv1d" in name:
                p.normal_(0.0, 0.5)
            elif name.endswith("bias"):
                p.normal_(gate_bias, 1.0)
            elif name == "model.embeddings.weight":
                # tied: the embedding is also the head, keep logits O(1-10)
                p.normal_(0.0, 0.3 if model.config.tie_word_embeddings else 1.0)
            else:
                p.normal_(0.0, 1.0 / math.sqrt(p.shape[-1]))


def f32(x: float) -> float:
    return float(f"{x:.9g}")


def main() -> None:
    torch.set_num_threads(1)
    for seed, (name, (cfg, gate_bias)) in enumerate(VARIANTS.items()):
        torch.manual_seed(1000 + seed)
        model = ReglaForCausalLM(ReglaConfig.from_json(cfg))
        randomize(model, gate_bias)
        model.eval()
        ids = torch.randint(0, cfg["vocab_size"], (1, T))
        with torch.no_grad():
            logits = model(ids, chunk_size=GOLDEN_CHUNK)[0]
            rec = model(ids, recurrent=True)[0]
            diff = max((model(ids, chunk_size=c)[0] - rec).abs().max().item() for c in (GOLDEN_CHUNK, 64))
        assert torch.isfinite(logits).all(), name
        out = os.path.join(OUT, name)
        export(model, cfg, out)
        golden = {
            "input_ids": ids[0].tolist(),
            "chunk_size": GOLDEN_CHUNK,
            "logits": [[f32(v) for v in row] for row in logits.tolist()],
            "recurrent_max_abs_diff": diff,
        }
        with open(os.path.join(out, "golden.json"), "w") as f:
            json.dump(golden, f, separators=(",", ":"))
            f.write("\n")
        print(f"{name:24s} |logits| max {logits.abs().max().item():8.4f}  chunked vs recurrent {diff:.2e}")


if __name__ == "__main__":
    main()
