#!/usr/bin/python3
"""PyTorch CPU peer for the attention-block benchmark: ms per block forward + backward, one thread.

    /usr/bin/python3 bench/torch_blocks.py [--quick] [--only REGEX] [--batch B]   # a table on its own
    /usr/bin/python3 bench/torch_blocks.py --serve                                  # used by bench/run.mjs

The blocks and their sizes come from bench/blocks.json; the reference classes from
tools/fixtures/blocks_ref.py (imported, the same classes the test fixtures come from). One call =
train-mode forward, backward of sum(out * cot) (out.backward(cot)), gradients reset to None, exactly
the work bench/run.mjs times on torchlet. float32, default PyTorch initialisation, seed 0.

Threads: OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS are set to 1 before torch is imported
(unless already set) and torch.set_num_threads(1).

BLAS: Debian's python3-torch links libblas.so.3, which is the reference BLAS (libblas3, ~3 GFLOP/s
matmul) unless OpenBLAS is installed (`apt-get install -y libopenblas0-pthread`; Debian's alternatives
then route libblas.so.3 to OpenBLAS). `info` reports which library this process actually mapped.

--serve speaks JSON lines on stdin/stdout, one reply per request:
    {"op": "info"}                                   -> {"ok": true, "torch", "blas", "threads", "matmul512_gflops"}
    {"op": "build", "block", "kwargs", "shape", "train_gates"}
                                                     -> {"ok": true, "params", "first_ms"} (one untimed-warm-up call)
    {"op": "time", "max_s": 1.0, "min_n": 1}         -> {"ok": true, "ms": [per-call ms, ...]}
    {"op": "quit"}
Errors answer {"ok": false, "error": "..."}; the process keeps serving.
"""
import json
import os
import re
import statistics
import sys
import time

for _v in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_v, '1')

import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools', 'fixtures'))
import blocks_ref as R  # noqa: E402

torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass


def blas_info():
    """Which BLAS this process mapped (from /proc/self/maps), after a matmul has run."""
    a = torch.randn(64, 64)
    (a @ a).sum().item()
    libs = set()
    try:
        with open('/proc/self/maps') as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ''
                base = os.path.basename(path)
                if 'blas' in base or 'mkl_' in base or 'lapack' in base:
                    libs.add(os.path.realpath(path))
    except OSError:
        pass
    blas = sorted(p for p in libs if 'blas' in os.path.basename(p) or 'mkl' in os.path.basename(p))
    if any('openblas' in p for p in blas):
        kind = 'openblas'
    elif any('mkl' in p for p in blas):
        kind = 'mkl'
    elif any(os.path.basename(p).startswith('libblas.so') for p in blas):
        kind = 'reference'
    else:
        kind = 'unknown'
    return {'kind': kind, 'libs': blas}


def matmul_gflops(n=512, reps=5):
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float('inf')
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


class Case:
    """One block at one input shape: model, input, cotangent; call() = forward + backward."""

    def __init__(self, block, kwargs, shape, train_gates=False):
        torch.manual_seed(0)
        self.model = getattr(R, block)(**kwargs)
        if train_gates:
            for g in ('f_qr', 'f_kr', 'f_sve', 'f_sv'):
                getattr(self.model, g).requires_grad_(True)
        self.model.train()
        self.x = torch.randn(shape, requires_grad=True)
        with torch.no_grad():
            out = self.model(self.x)
        self.cot = torch.randn(out.shape)
        self.params = sum(p.numel() for p in self.model.parameters())

    def call(self):
        out = self.model(self.x)
        out.backward(self.cot)
        self.model.zero_grad(set_to_none=True)
        self.x.grad = None

    def timed(self):
        t = time.perf_counter()
        self.call()
        return (time.perf_counter() - t) * 1e3

    def time(self, max_s, min_n=1):
        ms, start = [], time.perf_counter()
        while len(ms) < min_n or time.perf_counter() - start < max_s:
            ms.append(self.timed())
        return ms


def info():
    return {'torch': torch.__version__, 'blas': blas_info(), 'threads': torch.get_num_threads(),
            'matmul512_gflops': round(matmul_gflops(), 2)}


def serve():
    case = None
    out = sys.stdout
    sys.stdout = sys.stderr  # anything a block prints must not corrupt the protocol
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            op = req.get('op')
            if op == 'quit':
                break
            if op == 'info':
                rep = info()
            elif op == 'build':
                case = None
                case = Case(req['block'], req.get('kwargs', {}), req['shape'], req.get('train_gates', False))
                rep = {'params': case.params, 'first_ms': case.timed()}
            elif op == 'time':
                if case is None:
                    raise RuntimeError('time: no block built')
                rep = {'ms': case.time(float(req.get('max_s', 1.0)), int(req.get('min_n', 1)))}
            else:
                raise ValueError(f'unknown op {op!r}')
            rep['ok'] = True
        except Exception as e:  # noqa: BLE001 -- reported to the client, which decides
            rep = {'ok': False, 'error': f'{type(e).__name__}: {e}'}
        out.write(json.dumps(rep) + '\n')
        out.flush()


def main(argv):
    if '--serve' in argv:
        serve()
        return
    quick = '--quick' in argv
    only = argv[argv.index('--only') + 1] if '--only' in argv else None
    batch = int(argv[argv.index('--batch') + 1]) if '--batch' in argv else None
    with open(os.path.join(HERE, 'blocks.json')) as f:
        blocks = json.load(f)['blocks']
    inf = info()
    blas = inf['blas']
    print(f"torch {inf['torch']}, {inf['threads']} thread(s), BLAS: {blas['kind']} {' '.join(blas['libs'])}, "
          f"matmul 512: {inf['matmul512_gflops']} GFLOP/s")
    if blas['kind'] == 'reference':
        print('note: PyTorch is on the reference BLAS; for a fair comparison: apt-get install -y libopenblas0-pthread')
    print(f"{'block':32} {'shape':18} {'ms (median)':>12} {'n':>4}")
    for b in blocks:
        if only and not re.search(only, b['block']):
            continue
        shape = list(b['shape'])
        if batch:
            shape[0] = batch
        case = Case(b['block'], b['kwargs'], shape, b.get('torch_train_gates', False))
        case.timed()
        ms = case.time(0.3 if quick else 2.0, 1 if quick else 3)
        print(f"{b['block']:32} {str(shape):18} {statistics.median(ms):12.2f} {len(ms):4d}", flush=True)


if __name__ == '__main__':
    main(sys.argv[1:])
