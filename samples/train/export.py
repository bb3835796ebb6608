"""Export a ReglaForCausalLM as an engine model folder: config.json, model.safetensors (F32, written
by hand: u64 LE header length, JSON header padded with spaces to 8 bytes, tensors sorted by name),
and optionally tokenizer.json. Tied models carry no lm_head.weight (spec §4)."""

from __future__ import annotations

import json
import os
import shutil
import struct
from typing import Dict, Optional

import numpy as np


def write_safetensors(tensors: Dict[str, np.ndarray], path: str, metadata: Optional[Dict[str, str]] = None) -> None:
    header: Dict[str, object] = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def state_tensors(model) -> Dict[str, np.ndarray]:
    """state_dict as f32 numpy arrays (tied weights appear once, under model.embeddings.weight)."""
    return {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}


def export(model, config_dict: dict, out_dir: str, tokenizer_json_path: Optional[str] = None) -> None:
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config_dict, f, indent=2)
        f.write("\n")
    write_safetensors(state_tensors(model), os.path.join(out_dir, "model.safetensors"), {"format": "pt"})
    if tokenizer_json_path:
        shutil.copyfile(tokenizer_json_path, os.path.join(out_dir, "tokenizer.json"))
