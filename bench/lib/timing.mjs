/**
 * Timing: benchmark.js runs for torchlet and tfjs, plus the small statistics the harness needs.
 *
 * Benchmarks are `defer: true` with a synchronous `resolve()`: benchmark.js then calls the function
 * exactly as often as it times it (its non-deferred mode runs an extra untimed "pretest" call per
 * cycle, which doubles the cost of a benchmark whose call takes seconds).
 */
import Benchmark from 'benchmark';

/** Wall-clock milliseconds of one call. */
export function timeOnce(fn) {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

/**
 * One benchmark.js run of `fn`: samples until `maxTimeS` seconds have passed and at least
 * `minSamples` samples were taken. Resolves to { ms: per-call milliseconds of each sample, calls }.
 */
export function runBenchmark(name, fn, { maxTimeS, minSamples = 1 }) {
  let calls = 0;
  return new Promise((resolve, reject) => {
    const bench = new Benchmark(name, (deferred) => { calls++; fn(); deferred.resolve(); }, {
      defer: true,
      maxTime: maxTimeS,
      minSamples,
      delay: 0.002,
      onError(ev) { reject(ev.target.error ?? new Error(`${name}: benchmark failed`)); },
      onComplete() {
        if (bench.error) reject(bench.error);
        else resolve({ ms: bench.stats.sample.map((s) => s * 1e3), calls });
      },
    });
    bench.run({ async: true });
  });
}

export function median(xs) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

/** Deterministic N(0,1) float32 data (xorshift + Box-Muller), so every backend gets the same inputs. */
export function randomData(n, seed = 1) {
  let s = (seed * 2654435761) >>> 0 || 1;
  const u = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u())), th = 2 * Math.PI * u();
    out[i] = r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = r * Math.sin(th);
  }
  return out;
}

/** max |a - b| / max |b|: how far a result is from the peer's, relative to the peer's scale. */
export function relErr(a, b) {
  if (a.length !== b.length) return Infinity;
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / (m || 1);
}
