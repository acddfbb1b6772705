/**
 * The PyTorch CPU peer for the blocks: bench/torch_blocks.py --serve as a child process, spoken to
 * with JSON lines, so its timings interleave with torchlet's round by round (one process computes
 * at a time: Node waits for each reply).
 *
 * Threads are pinned (OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 and
 * torch.set_num_threads(1)). Nothing is installed from here: if /usr/bin/python3 cannot import torch
 * the peer is reported unavailable, and `info` says which BLAS PyTorch actually loaded.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const SCRIPT = fileURLToPath(new URL('../torch_blocks.py', import.meta.url));
export const PYTHON = process.env.TORCHLET_BENCH_PYTHON || '/usr/bin/python3';
const ENV = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

/** Start the peer; resolves to { peer } or { reason } when PyTorch is not usable. */
export async function startTorchPeer() {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { env: ENV, encoding: 'utf8', timeout: 120_000 });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? probe.error.message : (probe.stderr.trim().split('\n').pop() || `exit ${probe.status}`);
    return { reason: `${PYTHON} cannot import torch (${why})` };
  }
  const peer = new TorchPeer();
  try {
    peer.info = await peer.request({ op: 'info' });
  } catch (e) {
    peer.close();
    return { reason: `bench/torch_blocks.py failed to start: ${e.message}` };
  }
  return { peer };
}

class TorchPeer {
  constructor() {
    this.proc = spawn(PYTHON, [SCRIPT, '--serve'], { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    this.waiting = [];
    this.stderr = '';
    this.proc.stderr.on('data', (d) => { this.stderr = (this.stderr + d).slice(-4000); });
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const w = this.waiting.shift();
      if (!w) return;
      let rep;
      try { rep = JSON.parse(line); } catch { w.reject(new Error(`torch peer: bad reply ${line.slice(0, 200)}`)); return; }
      if (rep.ok) w.resolve(rep); else w.reject(new Error(rep.error));
    });
    this.proc.on('exit', (code) => {
      for (const w of this.waiting.splice(0)) w.reject(new Error(`torch peer exited (${code}): ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
    this.proc.on('error', (e) => { for (const w of this.waiting.splice(0)) w.reject(e); });
  }

  request(msg) {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.proc.stdin.write(JSON.stringify(msg) + '\n');
    });
  }

  /** Build a block at `shape` (runs one warm-up call); resolves to { params, first_ms }. */
  build(spec, shape) {
    return this.request({ op: 'build', block: spec.block, kwargs: spec.kwargs, shape, train_gates: !!spec.torch_train_gates });
  }

  /** Per-call ms of calls made until maxTimeS has passed (at least minN calls). */
  async time(maxTimeS, minN = 1) {
    return (await this.request({ op: 'time', max_s: maxTimeS, min_n: minN })).ms;
  }

  close() {
    try { this.proc.stdin.end(JSON.stringify({ op: 'quit' }) + '\n'); } catch { /* already gone */ }
  }
}
