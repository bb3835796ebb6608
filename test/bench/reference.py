"""PyTorch / fla reference timings for `npm run bench -- --full`, run in the same command on the H200.

Times (CUDA events, median of repeats after warm-up): f32 matmul 4096^3 with TF32 off; a chunked GLA
written in plain PyTorch (f32, TF32 off); fla's chunk_gla on f32 inputs (when fla's source is on
FLA_PATH); PyTorch causal SDPA f32. Writes JSON to argv[1].
FLA_ONLY=1 times fla's chunk_gla alone: h200.sh runs it a second time with TRITON_F32_DEFAULT=ieee, so
fla's tl.dot runs in exact f32 instead of its default TF32 (our kernels have no TF32: WGSL has no
tensor cores), for a like-for-like ratio beside the default one.
"""
import json, os, sys, types
import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = 'cuda'
FLA_ONLY = os.environ.get('FLA_ONLY') == '1'
out = {'device': torch.cuda.get_device_name(0), 'torch': torch.__version__, 'tritonF32': os.environ.get('TRITON_F32_DEFAULT', 'default')}


def bench(fn, repeat=10, warmup=3):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record(); fn(); e.record(); torch.cuda.synchronize()
        times.append(s.elapsed_time(e))
    times.sort()
    return times[len(times) // 2]


if not FLA_ONLY:
    n = 4096
    a = torch.randn(n, n, device=dev); b = torch.randn(n, n, device=dev)
    ms = bench(lambda: a @ b)
    out['matmul'] = {'n': n, 'ms': ms, 'tflops': 2 * n ** 3 / ms / 1e9}
    del a, b

    # Streaming bandwidth: a + b -> c over 256 MiB operands.
    m = 64 * 1024 * 1024
    x = torch.rand(m, device=dev); y = torch.rand(m, device=dev); z = torch.empty_like(x)
    ms = bench(lambda: torch.add(x, y, out=z), repeat=20)
    out['bandwidth'] = {'ms': ms, 'tbPerS': 3 * m * 4 / ms / 1e9}
    del x, y, z


def chunk_gla_torch(q, k, v, g, scale, C=64):
    """Chunked GLA (spec 3.2) in plain PyTorch: B,T,H,D inputs, g = log alpha <= 0."""
    B, T, H, D = q.shape
    N = T // C
    q, k, v, g = [t.view(B, N, C, H, -1).transpose(2, 3) for t in (q, k, v, g)]  # B N H C D
    G = g.cumsum(3)
    Glast = G[:, :, :, -1:, :]
    kd = k * torch.exp(Glast - G)
    dS = kd.transpose(-1, -2) @ v  # B N H D Dv
    S = torch.zeros(B, H, D, v.shape[-1], device=q.device)
    states = []
    decay = torch.exp(Glast).squeeze(3)  # B N H D
    for i in range(N):
        states.append(S)
        S = decay[:, i, :, :, None] * S + dS[:, i]
    Sn = torch.stack(states, 1)
    qg = q * torch.exp(G) * scale
    inter = qg @ Sn
    # intra: factorized around the chunk's middle row (fine for the mild gla-style gates used here)
    Gref = G[:, :, :, C // 2:C // 2 + 1, :]
    P = (q * torch.exp(G - Gref)) @ (k * torch.exp(Gref - G)).transpose(-1, -2) * scale
    P = P.masked_fill(~torch.tril(torch.ones(C, C, device=q.device, dtype=torch.bool)), 0.0)
    o = inter + P @ v
    return o.transpose(2, 3).reshape(B, T, H, -1)


gla = []
fla_chunk = None
fla_path = os.environ.get('FLA_PATH')
if fla_path:
    sys.path.insert(0, fla_path)
    try:
        from fla.ops.gla import chunk_gla as fla_chunk  # fla's __init__ imports its layers only if it can
    except Exception as first:
        try:
            # Without fla/__init__ (its layers need einops/transformers): stub the packages.
            for name in [m for m in list(sys.modules) if m == 'fla' or m.startswith('fla.')]:
                del sys.modules[name]
            for name, sub in (('fla', ''), ('fla.ops', 'ops')):
                mod = types.ModuleType(name); mod.__path__ = [os.path.join(fla_path, 'fla', sub)]; mod.__version__ = 'source'
                sys.modules[name] = mod
            from fla.ops.gla.chunk import chunk_gla as fla_chunk
        except Exception as e:  # report, keep going
            out['fla_error'] = f'{first!r}; then {e!r}'
for B, T in ((8, 2048), (8, 8192), (4, 16384)):
    H, D = 32, 128
    q = torch.randn(B, T, H, D, device=dev) * 0.5
    k = torch.randn(B, T, H, D, device=dev) * 0.5
    v = torch.randn(B, T, H, D, device=dev)
    g = torch.nn.functional.logsigmoid(torch.randn(B, T, H, D, device=dev) + 2) / 16
    row = {'T': T, 'B': B, 'H': H, 'D': D}
    if T <= 8192 and not FLA_ONLY:
        row['torchChunkMs'] = bench(lambda: chunk_gla_torch(q, k, v, g, D ** -0.5), repeat=3, warmup=1)
    if fla_chunk is not None:
        try:
            row['flaChunkMs'] = bench(lambda: fla_chunk(q, k, v, g, scale=D ** -0.5, output_final_state=True), repeat=10)
        except Exception as e:
            out['fla_error'] = repr(e)
    if not FLA_ONLY:
        qh, kh, vh = (t.transpose(1, 2) for t in (q, k, v))
        row['sdpaMs'] = bench(lambda: torch.nn.functional.scaled_dot_product_attention(qh, kh, vh, is_causal=True), repeat=5)
        del qh, kh, vh
    gla.append(row)
    del q, k, v, g
    torch.cuda.empty_cache()
out['gla'] = gla
json.dump(out, open(sys.argv[1], 'w'), indent=2)
print(json.dumps(out, indent=2))
