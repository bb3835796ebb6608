"""PyTorch reference of the ReGLA / GLA model family (docs/model-spec.md §1-§4), f32 throughout.

Mirrors the engine: ReglaConfig.from_json applies shaders/model/config.ts's defaulting rules, the
state_dict equals shaders/model/weights.ts expectedWeights (fla-compatible names and shapes), and the
forward is shaders/cpu/model.ts forward64. Two recurrences: a chunked one for training (pairwise
exponents inside a chunk, all <= 0) and a token-serial one (recurrent=True) for checking.
Uses only APIs present in both torch 1.13 and torch 2.x.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

FEATURE_MAPS = ("identity", "relu", "elu1", "hedgehog", "exp_norm")
GATES = ("none", "gla", "sigmoid", "refined", "fast_decay")
ATTN_NORMS = ("rmsnorm", "layernorm", "none")
SCALES = ("inv_sqrt_dk", "variance")
DENOM_EPS = 1e-6


class ConfigError(ValueError):
    pass


def _has(j: dict, k: str) -> bool:
    return j.get(k) is not None


def _one_of(field_: str, v, allowed):
    if isinstance(v, str) and v in allowed:
        return v
    raise ConfigError(f"{field_}: {v!r} is not one of {allowed}")


def _int(field_: str, v, lo: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v) or v < lo:
        raise ConfigError(f"{field_}: {v!r} must be an integer >= {lo}")
    return int(v)


def _num(field_: str, v) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ConfigError(f"{field_}: {v!r} must be a finite number")
    return float(v)


def _bool(field_: str, v) -> bool:
    if not isinstance(v, bool):
        raise ConfigError(f"{field_}: {v!r} must be true or false")
    return v


def default_intermediate(hidden: int, ratio: float) -> int:
    return 256 * math.ceil(hidden * ratio * 2 / 3 / 256)


def _fla_feature_map(v) -> str:
    if v is None or v == "identity":
        return "identity"
    if v in ("relu", "hedgehog"):
        return v
    if v in ("elu", "elu1"):
        return "elu1"
    raise ConfigError(f"feature_map: {v!r} is not one of null, 'relu', 'elu', 'hedgehog'")


@dataclass
class ReglaConfig:
    model_type: str
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim_k: int
    head_dim_v: int
    key_dim: int
    value_dim: int
    intermediate_size: int
    vocab_size: int
    norm_eps: float
    tie_word_embeddings: bool
    use_short_conv: bool
    conv_size: int
    feature_map: str
    scale: Union[str, float]
    gate: str
    gate_low_rank_dim: Optional[int]
    gate_logit_normalizer: float
    clamp_min: Optional[float]
    attn_norm: str
    use_output_gate: bool
    denominator: bool
    hybrid_softmax_layers: List[int] = field(default_factory=list)
    rope_theta: float = 10000.0

    @staticmethod
    def from_json(j: dict) -> "ReglaConfig":
        """parseConfig of shaders/model/config.ts: the same defaults for "regla" and "gla"."""
        if not isinstance(j, dict):
            raise ConfigError("(root): config must be a JSON object")
        model_type = _one_of("model_type", j.get("model_type"), ("regla", "gla"))
        gla = model_type == "gla"
        hidden = _int("hidden_size", j.get("hidden_size"))
        layers = _int("num_hidden_layers", j.get("num_hidden_layers"))
        heads = _int("num_heads", j.get("num_heads"))
        kv_heads = _int("num_kv_heads", j["num_kv_heads"]) if _has(j, "num_kv_heads") else heads
        if heads % kv_heads:
            raise ConfigError(f"num_kv_heads: {kv_heads} must divide num_heads ({heads})")
        expand_k = _num("expand_k", j["expand_k"]) if _has(j, "expand_k") else 0.5
        expand_v = _num("expand_v", j["expand_v"]) if _has(j, "expand_v") else 1.0
        key_dim, value_dim = hidden * expand_k, hidden * expand_v
        if key_dim != int(key_dim) or int(key_dim) % heads:
            raise ConfigError(f"expand_k: hidden_size*expand_k = {key_dim} must be an integer divisible by num_heads")
        if value_dim != int(value_dim) or int(value_dim) % heads:
            raise ConfigError(f"expand_v: hidden_size*expand_v = {value_dim} must be an integer divisible by num_heads")
        key_dim, value_dim = int(key_dim), int(value_dim)
        ratio = _num("hidden_ratio", j["hidden_ratio"]) if _has(j, "hidden_ratio") else 4
        inter = (
            _int("intermediate_size", j["intermediate_size"])
            if _has(j, "intermediate_size")
            else default_intermediate(hidden, ratio)
        )
        vocab = _int("vocab_size", j.get("vocab_size"))
        if _has(j, "norm_eps"):
            eps = _num("norm_eps", j["norm_eps"])
        elif _has(j, "rms_norm_eps"):
            eps = _num("rms_norm_eps", j["rms_norm_eps"])
        else:
            eps = 1e-6
        if eps <= 0:
            raise ConfigError(f"norm_eps: {eps} must be > 0")
        tie = _bool("tie_word_embeddings", j["tie_word_embeddings"]) if _has(j, "tie_word_embeddings") else False
        conv = _bool("use_short_conv", j["use_short_conv"]) if _has(j, "use_short_conv") else False
        conv_size = _int("conv_size", j["conv_size"]) if _has(j, "conv_size") else 4
        if gla:
            fmap = _fla_feature_map(j.get("feature_map"))
        else:
            fmap = _one_of("feature_map", j["feature_map"], FEATURE_MAPS) if _has(j, "feature_map") else "exp_norm"
        scale: Union[str, float] = "inv_sqrt_dk" if gla else "variance"
        if not gla and _has(j, "scale"):
            s = j["scale"]
            scale = _num("scale", s) if isinstance(s, (int, float)) and not isinstance(s, bool) else _one_of("scale", s, SCALES)
        gate = "gla" if gla else (_one_of("gate", j["gate"], GATES) if _has(j, "gate") else "refined")
        if _has(j, "gate_low_rank_dim"):
            rank: Optional[int] = _int("gate_low_rank_dim", j["gate_low_rank_dim"])
        else:
            rank = 16 if gla else None
        if _has(j, "gate_logit_normalizer"):
            tau = _num("gate_logit_normalizer", j["gate_logit_normalizer"])
        else:
            tau = 16.0 if gla else 1.0
        if tau <= 0:
            raise ConfigError(f"gate_logit_normalizer: {tau} must be > 0")
        clamp_min = _num("clamp_min", j["clamp_min"]) if _has(j, "clamp_min") else None
        attn_norm = "rmsnorm" if gla else (_one_of("attn_norm", j["attn_norm"], ATTN_NORMS) if _has(j, "attn_norm") else "layernorm")
        out_gate = _bool("use_output_gate", j["use_output_gate"]) if _has(j, "use_output_gate") else gla
        denominator = _bool("denominator", j["denominator"]) if not gla and _has(j, "denominator") else False
        hybrid: List[int] = []
        if not gla and _has(j, "hybrid_softmax_layers"):
            h = j["hybrid_softmax_layers"]
            if not isinstance(h, list):
                raise ConfigError("hybrid_softmax_layers: must be a list of layer indices")
            hybrid = [_int(f"hybrid_softmax_layers[{i}]", v, 0) for i, v in enumerate(h)]
            for li in hybrid:
                if li >= layers:
                    raise ConfigError(f"hybrid_softmax_layers: layer {li} is out of range 0..{layers - 1}")
            hybrid = sorted(set(hybrid))
        if gla and _has(j, "attn"):
            raise ConfigError('attn: fla hybrid attention layers are not supported; use model_type "regla"')
        if hybrid and hidden % heads:
            raise ConfigError("hidden_size: must be divisible by num_heads for softmax layers")
        theta = _num("rope_theta", j["rope_theta"]) if _has(j, "rope_theta") else 10000.0
        return ReglaConfig(
            model_type=model_type, hidden_size=hidden, num_layers=layers, num_heads=heads,
            num_kv_heads=kv_heads, head_dim_k=key_dim // heads, head_dim_v=value_dim // heads,
            key_dim=key_dim, value_dim=value_dim, intermediate_size=inter, vocab_size=vocab,
            norm_eps=eps, tie_word_embeddings=tie, use_short_conv=conv, conv_size=conv_size,
            feature_map=fmap, scale=scale, gate=gate, gate_low_rank_dim=rank,
            gate_logit_normalizer=tau, clamp_min=clamp_min, attn_norm=attn_norm,
            use_output_gate=out_gate, denominator=denominator, hybrid_softmax_layers=hybrid,
            rope_theta=theta,
        )

    @property
    def feature_dim(self) -> int:
        return 2 * self.head_dim_k if self.feature_map == "hedgehog" else self.head_dim_k

    @property
    def readout_scale(self) -> float:
        d = self.feature_dim
        if isinstance(self.scale, float):
            return self.scale
        if self.scale == "inv_sqrt_dk":
            return 1 / math.sqrt(d)
        return 1 / (math.e * math.sqrt(d * (math.e * math.e - 1)))


# ------------------------------------------------------------------------------------ maths


def rms_norm(x: torch.Tensor, w: torch.Tensor, eps: float) -> torch.Tensor:
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


class RMSNorm(nn.Module):
    def __init__(self, n: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return rms_norm(x, self.weight, self.eps)


class HeadNorm(nn.Module):
    """The per-head output norm over dv, one weight (and bias for layernorm) shared by heads."""

    def __init__(self, kind: str, dv: int, eps: float):
        super().__init__()
        self.kind, self.eps = kind, eps
        self.weight = nn.Parameter(torch.ones(dv))
        if kind == "layernorm":
            self.bias = nn.Parameter(torch.zeros(dv))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "rmsnorm":
            return rms_norm(x, self.weight, self.eps)
        return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps)


def log_refined(a: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """log F, F = g(g + 2r(1 - g)), in the engine's two-branch stable form (shaders/cpu/gate.ts)."""
    an = torch.clamp(a, max=0.0)  # each branch sees only its own domain: no inf/nan gradients
    ap = torch.clamp(a, min=0.0)
    la = F.logsigmoid(an)
    neg = la + torch.logaddexp(la, math.log(2.0) + F.logsigmoid(c) + F.logsigmoid(-an))
    eps = torch.sigmoid(-ap)
    pos = torch.log1p(-eps * (2 * torch.sigmoid(-c) + eps * (torch.sigmoid(c) - torch.sigmoid(-c))))
    return torch.where(a < 0, neg, pos)


def feature_map(kind: str, x: torch.Tensor, lin: Optional[nn.Linear] = None) -> torch.Tensor:
    """φ on [..., dk]; exp_norm here is the query map (per-token max over the head's features)."""
    if kind == "identity":
        return x
    if kind == "relu":
        return F.relu(x)
    if kind == "elu1":
        return 1 + F.elu(x)
    if kind == "exp_norm":
        return torch.exp(x - x.max(-1, keepdim=True).values)
    if kind == "hedgehog":
        assert lin is not None
        z = lin(x)
        return torch.cat([2 * z, -2 * z], -1).softmax(-1)
    raise ValueError(kind)


def exp_norm_keys(k: torch.Tensor, A: Optional[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
    """k [B,T,H,dk]: causal running max M_t per (b, h); φ(k_t) = exp(k_t - M_t) and the folded gate
    A'_t = A_t + (M_{t-1} - M_t), 0 extra at t = 0 (spec §1.1)."""
    m = k.max(-1).values  # [B,T,H]
    M = torch.cummax(m, dim=1).values
    prev = torch.cat([M[:, :1], M[:, :-1]], 1)  # M_{t-1}, and M_0 itself at t = 0 (term 0)
    term = (prev - M).unsqueeze(-1)
    phi = torch.exp(k - M.unsqueeze(-1))
    A2 = term.expand_as(k) if A is None else A + term
    return phi, A2


def gla_recurrent(q, k, v, A, D, scale: float, denominator: bool):
    """Token-serial reference. q,k [B,H,T,d], v [B,H,T,dv], A [B,H,T,d] | None, D [B,H,T,dv] | None."""
    B, H, T, d = q.shape
    dv = v.shape[-1]
    S = q.new_zeros(B, H, d, dv)
    z = q.new_zeros(B, H, d)
    out = []
    for t in range(T):
        if A is not None:
            S = S * torch.exp(A[:, :, t]).unsqueeze(-1)
            z = z * torch.exp(A[:, :, t])
        if D is not None:
            S = S * torch.exp(D[:, :, t]).unsqueeze(-2)
        S = S + k[:, :, t].unsqueeze(-1) * v[:, :, t].unsqueeze(-2)
        z = z + k[:, :, t]
        num = torch.einsum("bhd,bhde->bhe", q[:, :, t], S)
        if denominator:
            den = (q[:, :, t] * z).sum(-1, keepdim=True)
            out.append(num / (den + DENOM_EPS))
        else:
            out.append(scale * num)
    return torch.stack(out, 2)


def gla_chunked(q, k, v, A, D, scale: float, denominator: bool, chunk: int = 64):
    """Chunkwise form of spec §3.2/§3.4: chunk-local inclusive cumulative gates G (key side) and GD
    (value side); inside a chunk the pairwise exp(G_t - G_u) for u <= t (masked to -inf above the
    diagonal before exp, so no exponent is ever > 0); state passing with exp(G_last - G) <= 0.
    Memory O(C²·d) per chunk. T is padded with log α = 0, k = v = 0 rows, which change nothing."""
    B, H, T, d = q.shape
    dv = v.shape[-1]
    s = 1.0 if denominator else scale
    C = chunk
    N = (T + C - 1) // C
    pad = N * C - T
    if A is None:
        A = q.new_zeros(B, H, T, d)
    if pad:
        q, k, v, A = (F.pad(x, (0, 0, 0, pad)) for x in (q, k, v, A))
        if D is not None:
            D = F.pad(D, (0, 0, 0, pad))
    q, k, v, A = (x.reshape(B, H, N, C, x.shape[-1]) for x in (q, k, v, A))
    G = A.cumsum(3)
    GD = D.reshape(B, H, N, C, dv).cumsum(3) if D is not None else None
    causal = torch.ones(C, C, dtype=torch.bool, device=q.device).tril()
    S = q.new_zeros(B, H, d, dv)
    z = q.new_zeros(B, H, d)
    outs = []
    for n in range(N):
        qc, kc, vc, Gc = q[:, :, n], k[:, :, n], v[:, :, n], G[:, :, n]  # [B,H,C,·]
        diff = (Gc.unsqueeze(3) - Gc.unsqueeze(2)).masked_fill(~causal[:, :, None], float("-inf"))
        P = torch.einsum("bhtd,bhud,bhtud->bhtu", qc, kc, torch.exp(diff)) * s  # [B,H,C,C], 0 above diag
        qg = qc * torch.exp(Gc)
        inter = torch.einsum("bhtd,bhde->bhte", qg, S) * s
        if GD is not None:
            GDc = GD[:, :, n]
            dd = (GDc.unsqueeze(3) - GDc.unsqueeze(2)).masked_fill(~causal[:, :, None], float("-inf"))
            intra = torch.einsum("bhtu,bhue,bhtue->bhte", P, vc, torch.exp(dd))
            o = inter * torch.exp(GDc) + intra
        else:
            o = inter + P @ vc
        if denominator:
            den = (qg * z.unsqueeze(2)).sum(-1) * s + P.sum(-1)
            o = o / (den.unsqueeze(-1) + DENOM_EPS)
        outs.append(o)
        gl = Gc[:, :, -1]  # [B,H,d]
        kd = kc * torch.exp(gl.unsqueeze(2) - Gc)
        if GD is not None:
            gdl = GD[:, :, n, -1]
            vd = vc * torch.exp(gdl.unsqueeze(2) - GD[:, :, n])
            S = S * (torch.exp(gl).unsqueeze(-1) * torch.exp(gdl).unsqueeze(-2)) + kd.transpose(-1, -2) @ vd
        else:
            S = S * torch.exp(gl).unsqueeze(-1) + kd.transpose(-1, -2) @ vc
        if denominator:
            z = z * torch.exp(gl) + kd.sum(2)
    o = torch.cat(outs, 2)
    return o[:, :, :T]


def rope_inv_freq(dim: int, theta: float, device=None) -> torch.Tensor:
    """Hugging Face Llama's inv_freq, computed in f32 exactly as HF does."""
    return 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.int64, device=device).float() / dim))


def apply_rope(x: torch.Tensor, theta: float, pos0: int = 0) -> torch.Tensor:
    """x [B,T,H,hd]: rotate-half pairs (i, i + hd/2), angle f32(pos · inv_freq)."""
    B, T, H, hd = x.shape
    inv = rope_inv_freq(hd, theta, x.device)
    pos = torch.arange(pos0, pos0 + T, device=x.device, dtype=torch.float32)
    ang = pos[:, None] * inv[None, :]  # [T, hd/2], f32 like HF's matmul
    emb = torch.cat([ang, ang], -1)
    cos, sin = emb.cos()[None, :, None, :], emb.sin()[None, :, None, :]
    x1, x2 = x[..., : hd // 2], x[..., hd // 2 :]
    rot = torch.cat([-x2, x1], -1)
    return x * cos + rot * sin


# ------------------------------------------------------------------------------------ modules


def _gate_proj(hidden: int, out: int, rank: Optional[int]) -> nn.Module:
    if rank is None:
        return nn.Linear(hidden, out, bias=True)
    return nn.Sequential(nn.Linear(hidden, rank, bias=False), nn.Linear(rank, out, bias=True))


class LinearAttention(nn.Module):
    def __init__(self, c: ReglaConfig):
        super().__init__()
        self.c = c
        H = c.hidden_size
        groups = c.num_heads // c.num_kv_heads
        kvk, kvv = c.key_dim // groups, c.value_dim // groups
        self.q_proj = nn.Linear(H, c.key_dim, bias=False)
        self.k_proj = nn.Linear(H, kvk, bias=False)
        self.v_proj = nn.Linear(H, kvv, bias=False)
        if c.use_short_conv:
            K = c.conv_size
            self.q_conv1d = nn.Conv1d(c.key_dim, c.key_dim, K, groups=c.key_dim, bias=False, padding=K - 1)
            self.k_conv1d = nn.Conv1d(kvk, kvk, K, groups=kvk, bias=False, padding=K - 1)
            self.v_conv1d = nn.Conv1d(kvv, kvv, K, groups=kvv, bias=False, padding=K - 1)
        if c.gate != "none":
            self.gk_proj = _gate_proj(H, kvk, c.gate_low_rank_dim)
        if c.gate == "refined":
            self.gr_proj = _gate_proj(H, kvk, c.gate_low_rank_dim)
        if c.gate == "fast_decay":
            self.gv_proj = _gate_proj(H, kvv, c.gate_low_rank_dim)
        if c.feature_map == "hedgehog":
            self.fmap_q = nn.Linear(c.head_dim_k, c.head_dim_k)
            self.fmap_k = nn.Linear(c.head_dim_k, c.head_dim_k)
        if c.use_output_gate:
            self.g_proj = nn.Linear(H, c.value_dim, bias=False)
        if c.attn_norm != "none":
            self.g_norm = HeadNorm(c.attn_norm, c.head_dim_v, c.norm_eps)
        self.o_proj = nn.Linear(c.value_dim, H, bias=False)
        # When a dict, forward stores the detached gate logits a (and c for the refined gate) and
        # log α after τ and clamp_min (before the exp_norm term): the trainer's gate statistics.
        self.capture: Optional[dict] = None

    @staticmethod
    def _conv(conv: nn.Conv1d, x: torch.Tensor) -> torch.Tensor:
        T = x.shape[1]
        return F.silu(conv(x.transpose(1, 2))[..., :T].transpose(1, 2))

    def forward(self, x: torch.Tensor, recurrent: bool = False, chunk_size: int = 64) -> torch.Tensor:
        c = self.c
        B, T, _ = x.shape
        Hq, Hkv, dk, dv = c.num_heads, c.num_kv_heads, c.head_dim_k, c.head_dim_v
        groups = Hq // Hkv
        q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        if c.use_short_conv:
            q, k, v = self._conv(self.q_conv1d, q), self._conv(self.k_conv1d, k), self._conv(self.v_conv1d, v)
        q = q.view(B, T, Hq, dk)
        k = k.view(B, T, Hkv, dk)
        v = v.view(B, T, Hkv, dv)
        A: Optional[torch.Tensor] = None
        D: Optional[torch.Tensor] = None
        if c.gate != "none":
            tau = 1.0 if c.gate == "sigmoid" else c.gate_logit_normalizer
            a = self.gk_proj(x).view(B, T, Hkv, dk)
            cr = self.gr_proj(x).view(B, T, Hkv, dk) if c.gate == "refined" else None
            if cr is not None:
                A = log_refined(a, cr) / tau
            else:
                A = F.logsigmoid(a) / tau
            if c.gate == "fast_decay":
                D = F.logsigmoid(self.gv_proj(x).view(B, T, Hkv, dv)) / tau
            if c.clamp_min is not None:
                A = torch.clamp(A, min=c.clamp_min)
                if D is not None:
                    D = torch.clamp(D, min=c.clamp_min)
            if self.capture is not None:
                self.capture.update(a=a.detach(), logA=A.detach())
                if cr is not None:
                    self.capture["c"] = cr.detach()
            if c.feature_map == "hedgehog":
                A = torch.cat([A, A], -1)
        phi_q = feature_map(c.feature_map, q, getattr(self, "fmap_q", None))
        if c.feature_map == "exp_norm":
            phi_k, A = exp_norm_keys(k, A)
        else:
            phi_k = feature_map(c.feature_map, k, getattr(self, "fmap_k", None))

        def heads(t: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
            # [B,T,Hkv,·] → [B,Hq,T,·]: query head i reads kv head i // groups
            if t is None:
                return None
            t = t.transpose(1, 2)
            return t.repeat_interleave(groups, 1) if groups > 1 else t

        args = (phi_q.transpose(1, 2), heads(phi_k), heads(v), heads(A), heads(D), c.readout_scale, c.denominator)
        o = gla_recurrent(*args) if recurrent else gla_chunked(*args, chunk=chunk_size)
        o = o.transpose(1, 2)  # [B,T,Hq,dv]
        if c.attn_norm != "none":
            o = self.g_norm(o)
        if c.use_output_gate:
            o = o * F.silu(self.g_proj(x).view(B, T, Hq, dv))
        return self.o_proj(o.reshape(B, T, Hq * dv))


class SoftmaxAttention(nn.Module):
    def __init__(self, c: ReglaConfig):
        super().__init__()
        self.c = c
        self.hd = c.hidden_size // c.num_heads
        H = c.hidden_size
        self.q_proj = nn.Linear(H, self.hd * c.num_heads, bias=False)
        self.k_proj = nn.Linear(H, self.hd * c.num_kv_heads, bias=False)
        self.v_proj = nn.Linear(H, self.hd * c.num_kv_heads, bias=False)
        self.o_proj = nn.Linear(self.hd * c.num_heads, H, bias=False)

    def forward(self, x: torch.Tensor, recurrent: bool = False, chunk_size: int = 64) -> torch.Tensor:
        c, hd = self.c, self.hd
        B, T, _ = x.shape
        groups = c.num_heads // c.num_kv_heads
        q = apply_rope(self.q_proj(x).view(B, T, c.num_heads, hd), c.rope_theta)
        k = apply_rope(self.k_proj(x).view(B, T, c.num_kv_heads, hd), c.rope_theta)
        v = self.v_proj(x).view(B, T, c.num_kv_heads, hd)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        if groups > 1:
            k, v = k.repeat_interleave(groups, 1), v.repeat_interleave(groups, 1)
        s = (q @ k.transpose(-1, -2)) * hd**-0.5
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        p = s.masked_fill(~mask, float("-inf")).softmax(-1)
        o = (p @ v).transpose(1, 2).reshape(B, T, c.num_heads * hd)
        return self.o_proj(o)


class MLP(nn.Module):
    def __init__(self, c: ReglaConfig):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.up_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.down_proj = nn.Linear(c.intermediate_size, c.hidden_size, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, c: ReglaConfig, layer: int):
        super().__init__()
        self.attn_norm = RMSNorm(c.hidden_size, c.norm_eps)
        self.attn = SoftmaxAttention(c) if layer in c.hybrid_softmax_layers else LinearAttention(c)
        self.mlp_norm = RMSNorm(c.hidden_size, c.norm_eps)
        self.mlp = MLP(c)

    def forward(self, x: torch.Tensor, recurrent: bool = False, chunk_size: int = 64) -> torch.Tensor:
        h = x + self.attn(self.attn_norm(x), recurrent=recurrent, chunk_size=chunk_size)
        return h + self.mlp(self.mlp_norm(h))


class ReglaModel(nn.Module):
    def __init__(self, c: ReglaConfig):
        super().__init__()
        self.embeddings = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList([Block(c, i) for i in range(c.num_layers)])
        self.norm = RMSNorm(c.hidden_size, c.norm_eps)

    def forward(self, ids: torch.Tensor, recurrent: bool = False, chunk_size: int = 64) -> torch.Tensor:
        h = self.embeddings(ids)
        for layer in self.layers:
            h = layer(h, recurrent=recurrent, chunk_size=chunk_size)
        return self.norm(h)


class ReglaForCausalLM(nn.Module):
    """state_dict() names and shapes equal the engine's expectedWeights (lm_head absent when tied)."""

    def __init__(self, c: ReglaConfig):
        super().__init__()
        self.config = c
        self.model = ReglaModel(c)
        if not c.tie_word_embeddings:
            self.lm_head = nn.Linear(c.hidden_size, c.vocab_size, bias=False)
        self.init_weights()

    def init_weights(self, std: float = 0.02, gate_bias: float = 0.0) -> None:
        """Training init: normal(0, std) matrices, unit norms, identity hedgehog maps, gate biases
        `gate_bias` (far from 0 for the saturation study), default PyTorch init for convs."""
        for name, p in self.named_parameters():
            with torch.no_grad():
                if name.endswith("norm.weight"):
                    p.fill_(1.0)
                elif name.endswith("norm.bias"):
                    p.zero_()
                elif ".fmap_" in name:
                    if name.endswith("weight"):
                        p.copy_(torch.eye(p.shape[0]))
                    else:
                        p.zero_()
                elif "_conv1d" in name:
                    pass
                elif name.endswith("bias"):
                    p.fill_(gate_bias)
                else:
                    p.normal_(0.0, std)

    def head_weight(self) -> torch.Tensor:
        return self.model.embeddings.weight if self.config.tie_word_embeddings else self.lm_head.weight

    def forward(self, input_ids: torch.Tensor, recurrent: bool = False, chunk_size: int = 64) -> torch.Tensor:
        """input_ids [B,T] → logits [B,T,V] (f32)."""
        h = self.model(input_ids, recurrent=recurrent, chunk_size=chunk_size)
        return h @ self.head_weight().t()
