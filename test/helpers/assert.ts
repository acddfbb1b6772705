// Assertion and input helpers shared by the hand-written suites (test/*.test.ts):
// elementwise comparisons, "gradcheck must pass", "must throw with this message",
// and seeded random inputs. The PyTorch-fixture harness lives in ./fixtures.ts.
//
// Tolerances stay with the tests: every comparison takes its tolerance as an
// argument (closeTo binds a file's default).
import * as assert from 'uvu/assert';
import { Generator, gradcheck, tensor, type GradcheckOptions, type Tensor } from '../../src/index.js';

// ---- shapes and values ------------------------------------------------------------------------

/** The number of elements of a shape. */
export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A tensor's values (row-major) as a plain array. */
export const vals = (t: Tensor) => Array.from(t.dataSync());

// ---- elementwise comparisons ------------------------------------------------------------------

export interface CloseOptions {
  /**
   * A NaN or ±∞ expectation must be matched by the same value. Without it every
   * element goes through the tolerance test, which a non-finite expectation fails.
   */
  nonFinite?: boolean;
}

/** Same length, and |a − e| ≤ tol · max(1, |e|) elementwise. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, msg = '', opts: CloseOptions = {}): void {
  assert.is(actual.length, expected.length, `${msg} length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (opts.nonFinite && Number.isNaN(e)) assert.ok(Number.isNaN(a), `${msg} [${i}]: expected NaN, got ${a}`);
    else if (opts.nonFinite && !Number.isFinite(e)) assert.is(a, e, `${msg} [${i}]`);
    else assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${msg} [${i}]: got ${a}, expected ${e}`);
  }
}

/** A file's `close(actual, expected, tol = defaultTol, msg = '')`: assertClose with a default tolerance. */
export function closeTo(defaultTol: number, opts: CloseOptions = {}) {
  return (actual: ArrayLike<number>, expected: ArrayLike<number>, tol = defaultTol, msg = ''): void =>
    assertClose(actual, expected, tol, msg, opts);
}

/** The tensor has `shape`, and its values are assertClose to `expected`. */
export function assertTensorClose(t: Tensor, shape: readonly number[], expected: ArrayLike<number>, tol: number, msg = ''): void {
  assert.equal([...t.shape], shape, `${msg} shape`);
  assertClose(t.dataSync(), expected, tol, msg);
}

// ---- gradients and errors ---------------------------------------------------------------------

/** gradcheck(fn, inputs, opts) must pass; `what` (when given) starts the failure message. */
export function assertGradcheck(
  fn: Parameters<typeof gradcheck>[0],
  inputs: readonly Tensor[],
  what?: string,
  opts?: GradcheckOptions,
): void {
  const r = gradcheck(fn, inputs, opts);
  assert.ok(r.ok, `${what === undefined ? '' : `${what}: `}${r.message} (max error ${r.maxError})`);
}

/** `fn` must throw an Error whose message matches every regex; returns the error. */
export function throwsWith(fn: () => unknown, ...patterns: RegExp[]): Error {
  let caught: unknown;
  try { fn(); } catch (e) { caught = e; }
  assert.ok(caught instanceof Error, `expected an Error to be thrown, got ${String(caught)}`);
  const msg = (caught as Error).message;
  for (const p of patterns) assert.match(msg, p, `message "${msg}" does not match ${p}`);
  return caught as Error;
}

/** A regex for a shape as error messages print it: shapeRe(2, 3) matches "[2,3]". */
export const shapeRe = (...dims: number[]): RegExp => new RegExp(`\\[${dims.join(',')}\\]`);

// ---- seeded random inputs ---------------------------------------------------------------------

/** Uniform values in [0, 1) from a small seeded generator (mulberry32), independent of Generator. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A float64 leaf (requiresGrad) holding `values`. */
export const leaf = (values: ArrayLike<number>, shape: readonly number[]): Tensor =>
  tensor(Float64Array.from(values), shape, { requiresGrad: true });

export interface UniformOptions {
  lo?: number;
  hi?: number;
  /** Points to stay `margin` away from (the kinks of the op under test): values are redrawn. */
  avoid?: number[];
  margin?: number;
}

/**
 * Random inputs for one test file. Every call draws from a fresh Generator
 * seeded firstSeed, firstSeed + 1, ... in call order, so a file's values depend
 * only on its own calls (uvu runs all files in one process).
 */
export function seededInputs(firstSeed: number) {
  let seed = firstSeed;
  /** The next Generator of the sequence. */
  const generator = () => new Generator(seed++);

  /** n uniform values in [lo, hi] (default [-2, 2]), redrawn while within `margin` of an `avoid` point. */
  function uniformValues(n: number, opts: UniformOptions = {}): number[] {
    const { lo = -2, hi = 2, avoid = [], margin = 0.1 } = opts;
    const g = generator();
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      let v: number;
      do v = lo + (hi - lo) * g.uniform(); while (avoid.some((k) => Math.abs(v - k) < margin));
      out.push(v);
    }
    return out;
  }

  /** A shuffle of n values in [lo, hi] that are pairwise (hi − lo)/n apart (no ties for max/min). */
  function distinctValues(n: number, lo = -2, hi = 2): number[] {
    const g = generator();
    const v = Array.from({ length: n }, (_, i) => lo + ((hi - lo) * (i + 0.5)) / n);
    for (let i = n - 1; i > 0; i--) {
      const j = g.integer(0, i + 1);
      [v[i], v[j]] = [v[j], v[i]];
    }
    return v;
  }

  /** n standard normal values. */
  function normalValues(n: number): number[] {
    const g = generator();
    return Array.from({ length: n }, () => g.normal());
  }

  return {
    generator,
    uniformValues,
    distinctValues,
    normalValues,
    /** A float64 leaf of uniformValues. */
    smooth: (shape: readonly number[], opts?: UniformOptions) => leaf(uniformValues(numel(shape), opts), shape),
    /** A float64 leaf of distinctValues. */
    distinct: (shape: readonly number[], lo?: number, hi?: number) => leaf(distinctValues(numel(shape), lo, hi), shape),
    /** A float64 leaf of normalValues. */
    normal: (shape: readonly number[]) => leaf(normalValues(numel(shape)), shape),
  };
}
