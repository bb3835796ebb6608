"""Export a ReglaForCausalLM as an engine model folder: config.json, model.safetensors (F32, written
by hand: u64 LE header length, JSON header padded with spaces to 8 bytes, tensors sorted by name),
and optionally tokenizer.json. Tied models carry no lm_head.weight (spec §4). Also the samples' and
fixtures' safetensors reader and writer (F32, F16, BF16)."""

from __future__ import annotations

import json
import os
import shutil
import struct
from typing import Dict, Optional

import numpy as np


def _encode(a) -> tuple:
    """(safetensors dtype, little-endian bytes) of a numpy array or torch tensor: torch bfloat16 → BF16,
    float16 → F16, anything else as F32."""
    kind = str(a.dtype)
    if kind == "torch.bfloat16":
        import torch

        return "BF16", a.detach().cpu().contiguous().view(torch.int16).numpy().astype("<i2").tobytes()
    if kind in ("torch.float16", "float16"):
        a = a.detach().cpu().numpy() if hasattr(a, "detach") else a
        return "F16", np.ascontiguousarray(a, dtype="<f2").tobytes()
    a = a.detach().cpu().numpy() if hasattr(a, "detach") else a
    return "F32", np.ascontiguousarray(a, dtype="<f4").tobytes()


def write_safetensors(tensors: Dict[str, object], path: str, metadata: Optional[Dict[str, str]] = None) -> None:
    """The safetensors format by hand (no `safetensors` package): u64 LE header length, JSON header
    {name: {dtype, shape, data_offsets}} padded with spaces to 8 bytes, data in name order."""
    header: Dict[str, object] = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = tensors[name]
        dtype, b = _encode(a)
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path: str) -> dict:
    """name → torch tensor (F32, F16 or BF16, as stored) of a safetensors file."""
    import torch

    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        if e["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(data[a:b], dtype="<i2").copy()).view(torch.bfloat16)
        elif e["dtype"] in ("F16", "F32"):
            t = torch.from_numpy(np.frombuffer(data[a:b], dtype="<f2" if e["dtype"] == "F16" else "<f4").copy())
        else:
            raise ValueError(f"{path}: {name} has dtype {e['dtype']} (F32, F16 or BF16 expected)")
        out[name] = t.reshape(e["shape"])
    return out


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
