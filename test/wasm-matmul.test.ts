// The wasm GEMM (assembly/matmul.ts, assembly/gemm-kernels.ts):
//  1. kernel level: the packed, register-blocked f32x4 matmulF32 equals the
//     scalar specification matmulScalar BIT FOR BIT, for every tile shape,
//     on tails in M, N, K (1..17, primes), transposed, strided and negative
//     strides, broadcast batch dims (zero strides), several cache blockings
//     (K split into KC blocks, M into MC, N into NC), and empty dims. Both sum
//     k in the same order in float32 and wasm has no FMA, so equality is exact.
//     matmulScalar itself is checked against a float64 reference within the
//     float32 summation bound |ĉ − c| ≤ γ·Σ_k |a_ik|·|b_kj|, γ = (K+2)·2⁻²⁴
//     (recursive summation of K rounded products, plus rounding the result).
//  2. backend level: the wasm backend against the js backend through the
//     public matmul / bmm / linear ops (forward and backward), with the same
//     bound (js sums in float64 and rounds once; wasm sums in float32).
//  3. a spy: float32 products take the native kernel, never the js
//     reference; float64 takes the reference.
// Run: node tools/run-tests.mjs wasm-matmul
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bmm, getBackend, linear, tensor, type Tensor } from '../src/index.js';
import type { Backend, View } from '../src/backends/backend.js';
import { JsBackend } from '../src/backends/js/index.js';
import { WasmBackend } from '../src/backends/wasm/index.js';
import { loadEmbeddedKernels, type WasmKernels } from '../src/backends/wasm/loader.js';
import { matmulParams } from '../src/backends/wasm/native/matmul.js';

const U = 2 ** -24; // float32 unit roundoff
const TILES = { '4x8': 1, '5x8': 2, '6x8': 3, '3x12': 4, '4x12': 5 } as const;

let seed = 20240611;
const rand = (): number => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32 - 0.5;
};

// ---- kernel level -----------------------------------------------------------------------

/** How one operand [..batch, R, C] lies in memory. */
type Layout = 'n' | 't' | 'strided' | 'negative';

interface Operand {
  data: Float32Array; // the storage
  offset: number; // element offset of [0, .., 0]
  strides: number[]; // [...batch strides, row stride, column stride]
}

/**
 * Storage and strides for an operand of logical shape [...batch, R, C].
 * `shared` marks batch dims that are broadcast (stride 0).
 */
function makeOperand(batch: number[], R: number, C: number, layout: Layout, shared: boolean[]): Operand {
  const pad = layout === 'strided' ? 3 : 0;
  // matrix strides: row-major, column-major, padded rows with every other column, or rows reversed
  let rs: number, cs: number, span: number;
  if (layout === 't') [rs, cs, span] = [1, R, R * C];
  else if (layout === 'strided') [rs, cs, span] = [2 * C + pad, 2, R * (2 * C + pad)];
  else [rs, cs, span] = [C, 1, R * C];
  const strides: number[] = [];
  let size = Math.max(span, 1);
  for (let d = batch.length - 1; d >= 0; d--) {
    strides[d] = shared[d] ? 0 : size;
    if (!shared[d]) size *= batch[d];
  }
  const data = new Float32Array(size + 1);
  for (let i = 0; i < data.length; i++) data[i] = rand() * 4;
  let offset = 0;
  if (layout === 'negative') {
    offset = (R - 1) * C; // row r lives at (R-1-r)·C: a row stride of −C
    rs = -C;
  }
  return { data, offset, strides: [...strides, rs, cs] };
}

/** Σ_k over the operands as laid out, in float64: value and Σ|a||b| per output element. */
function reference(A: Operand, B: Operand, batch: number[], M: number, N: number, K: number) {
  const count = batch.reduce((x, y) => x * y, 1);
  const value = new Float64Array(count * M * N), mag = new Float64Array(count * M * N);
  const r = batch.length;
  for (let p = 0; p < count; p++) {
    let ao = A.offset, bo = B.offset, rem = p;
    for (let d = r - 1; d >= 0; d--) {
      const i = rem % batch[d];
      rem = Math.floor(rem / batch[d]);
      ao += i * A.strides[d];
      bo += i * B.strides[d];
    }
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0, m = 0;
        for (let k = 0; k < K; k++) {
          const x = A.data[ao + i * A.strides[r] + k * A.strides[r + 1]] * B.data[bo + k * B.strides[r] + j * B.strides[r + 1]];
          s += x;
          m += Math.abs(x);
        }
        value[(p * M + i) * N + j] = s;
        mag[(p * M + i) * N + j] = m;
      }
    }
  }
  return { value, mag };
}

/** Copies the operands into a kernels instance, runs `kernel`, returns C and frees everything. */
function runKernel(k: WasmKernels, kernel: 'matmulF32' | 'matmulScalar', A: Operand, B: Operand, batch: number[], M: number, N: number, K: number, tuning: number[], fold = false): Float32Array {
  const count = batch.reduce((x, y) => x * y, 1) * M * N;
  const pa = k.alloc(A.data.length * 4), pb = k.alloc(B.data.length * 4), pc = k.alloc(Math.max(count, 1) * 4);
  const r = batch.length;
  // matmulParams reads shapes and strides from views; storage is irrelevant here
  const view = (shape: number[], strides: number[]): View => ({ shape, strides, offset: 0, storage: null as never });
  const params = matmulParams(view([...batch, M, K], A.strides), view([...batch, K, N], B.strides), tuning, fold);
  if (!fold) assert.is(params.length, 12 + 3 * r);
  const pp = k.alloc(params.length * 4);
  new Int32Array(k.memory.buffer, pp, params.length).set(params);
  k.f32(pa, A.data.length).set(A.data);
  k.f32(pb, B.data.length).set(B.data);
  k.f32(pc, count).fill(NaN); // every element must be written
  k.fn[kernel](pa + A.offset * 4, pb + B.offset * 4, pc, pp);
  const out = k.f32(pc, count).slice();
  for (const p of [pa, pb, pc, pp]) k.free(p);
  return out;
}

interface Case {
  batch?: number[];
  M: number; N: number; K: number;
  la?: Layout; lb?: Layout;
  sharedA?: boolean[]; sharedB?: boolean[];
}

/** matmulF32 (each tile and blocking given) === matmulScalar, bit for bit; matmulScalar within the float32 bound of the float64 sum. */
function checkCase(k: WasmKernels, c: Case, tunings: number[][]): void {
  const batch = c.batch ?? [];
  const { M, N, K } = c;
  const A = makeOperand(batch, M, K, c.la ?? 'n', c.sharedA ?? batch.map(() => false));
  const B = makeOperand(batch, K, N, c.lb ?? 'n', c.sharedB ?? batch.map(() => false));
  const what = `[${batch}] ${M}x${K}(${c.la ?? 'n'}) @ ${K}x${N}(${c.lb ?? 'n'}) sharedA=${c.sharedA ?? '-'} sharedB=${c.sharedB ?? '-'}`;
  const spec = runKernel(k, 'matmulScalar', A, B, batch, M, N, K, [0, 0, 0, 0]);
  const ref = reference(A, B, batch, M, N, K);
  const gamma = (K + 2) * U;
  for (let i = 0; i < spec.length; i++) {
    if (!(Math.abs(spec[i] - ref.value[i]) <= gamma * ref.mag[i])) {
      assert.unreachable(`${what}: matmulScalar[${i}] = ${spec[i]}, float64 sum ${ref.value[i]}, bound ${gamma * ref.mag[i]}`);
    }
  }
  const specBits = new Uint32Array(spec.buffer);
  // each tuning with the batch loop as given, and folded into M where the binding would fold it
  for (const fold of batch.length ? [false, true] : [false]) {
    for (const tuning of tunings) {
      const got = runKernel(k, 'matmulF32', A, B, batch, M, N, K, tuning, fold);
      const bits = new Uint32Array(got.buffer);
      for (let i = 0; i < got.length; i++) {
        if (bits[i] !== specBits[i]) {
          assert.unreachable(`${what} tile/KC/MC/NC=${tuning} fold=${fold}: matmulF32[${i}] = ${got[i]}, matmulScalar ${spec[i]}`);
        }
      }
    }
  }
}

const kernels = loadEmbeddedKernels(); // an instance of its own

test('matmulF32 === matmulScalar bit for bit: every M, N in 1..17 with K in {1, 2, 7, 13, 17} (default tile)', () => {
  for (const K of [1, 2, 7, 13, 17]) {
    for (let M = 1; M <= 17; M++) for (let N = 1; N <= 17; N++) checkCase(kernels, { M, N, K }, [[0, 0, 0, 0]]);
  }
});

test('every tile shape, with tails and small cache blocks (K split into KC blocks, M into MC, N into NC)', () => {
  const shapes: [number, number, number][] = [[1, 1, 1], [7, 13, 5], [5, 8, 3], [6, 12, 9], [11, 17, 23], [17, 2, 31], [2, 29, 4], [37, 41, 43], [64, 49, 64]];
  for (const tile of Object.values(TILES)) {
    for (const [M, N, K] of shapes) {
      // default blocks; then KC=5 (K in several blocks, accumulating into C), MC=1 (one MR panel per block), NC=1 (one NR panel per block); then odd blocks
      checkCase(kernels, { M, N, K }, [[tile, 0, 0, 0], [tile, 5, 1, 1], [tile, 3, 13, 17]]);
    }
  }
});

test('transposed, strided and negative-stride operands are read where they lie', () => {
  const layouts: Layout[] = ['n', 't', 'strided', 'negative'];
  for (const la of layouts) {
    for (const lb of layouts) {
      for (const [M, N, K] of [[7, 13, 5], [16, 16, 16], [19, 3, 29], [1, 17, 2]] as const) {
        checkCase(kernels, { M, N, K, la, lb }, [[0, 0, 0, 0], [TILES['3x12'], 4, 0, 0], [TILES['6x8'], 0, 6, 8]]);
      }
    }
  }
});

test('batch dims: per-operand strides, broadcast (zero stride) A or B, B shared by every batch packed once', () => {
  const cases: Case[] = [
    { batch: [3], M: 5, N: 9, K: 7 },
    { batch: [64], M: 49, N: 49, K: 64 }, // attention scores
    { batch: [2, 3], M: 7, N: 13, K: 5, la: 't', lb: 'strided' },
    { batch: [4], M: 9, N: 10, K: 11, sharedB: [true] }, // linear-like: one weight
    { batch: [2, 3], M: 6, N: 17, K: 9, sharedB: [true, true], lb: 't' }, // weightᵀ shared by all
    { batch: [2, 3], M: 6, N: 17, K: 9, sharedB: [false, true] }, // shared in one dim only
    { batch: [4, 2], M: 3, N: 5, K: 300, sharedA: [true, false] }, // broadcast A; K > KC
    { batch: [1, 5], M: 13, N: 7, K: 3, sharedA: [false, true], sharedB: [true, false] },
  ];
  for (const c of cases) checkCase(kernels, c, [[0, 0, 0, 0], [TILES['4x8'], 16, 8, 8], [TILES['3x12'], 0, 0, 12]]);
});

test('shared B with A rows in one run folds the batch into M (fewer, taller products); other layouts do not fold', () => {
  const view = (shape: number[], strides: number[]): View => ({ shape, strides, offset: 0, storage: null as never });
  // contiguous A [2,3,5,7] @ shared B [7,4]: one 30x4 product with row stride 7
  assert.equal(matmulParams(view([2, 3, 5, 7], [105, 35, 7, 1]), view([2, 3, 7, 4], [0, 0, 4, 1])).slice(0, 8), [30, 4, 7, 0, 7, 1, 4, 1]);
  // size-1 dims are skipped, M = 1 takes the batch stride
  assert.equal(matmulParams(view([4, 1, 1, 7], [7, 99, 5, 1]), view([4, 1, 7, 4], [0, 0, 4, 1])).slice(0, 5), [4, 4, 7, 0, 7]);
  // A transposed in its last two dims: rows are not one run
  assert.is(matmulParams(view([2, 5, 7], [35, 1, 5]), view([2, 7, 4], [0, 4, 1]))[3], 1);
  // B not shared
  assert.is(matmulParams(view([2, 5, 7], [35, 7, 1]), view([2, 7, 4], [28, 4, 1]))[3], 1);
  for (const c of [{ batch: [3, 4], M: 7, N: 9, K: 6, sharedB: [true, true] }, { batch: [5], M: 1, N: 13, K: 17, sharedB: [true], lb: 't' as Layout }]) {
    checkCase(kernels, c, [[0, 0, 0, 0], [TILES['5x8'], 4, 5, 8]]);
  }
});

test('larger products with the default blocking: K > KC, M > MC, N > NC', () => {
  checkCase(kernels, { M: 131, N: 1031, K: 517 }, [[0, 0, 0, 0]]);
  checkCase(kernels, { M: 257, N: 67, K: 263, la: 't', lb: 't' }, [[0, 0, 0, 0]]);
});

test('empty dims: K = 0 gives zeros; M, N or a batch dim of 0 write nothing', () => {
  const k = kernels;
  for (const kernel of ['matmulF32', 'matmulScalar'] as const) {
    const A = makeOperand([2], 3, 0, 'n', [false]), B = makeOperand([2], 0, 4, 'n', [false]);
    const c = runKernel(k, kernel, A, B, [2], 3, 4, 0, [0, 0, 0, 0]);
    assert.equal(Array.from(c), new Array(24).fill(0), `${kernel} K = 0`);
    // M = 0, N = 0, batch 0: C has no elements; a sentinel after it must survive
    for (const [batch, M, N] of [[[2], 0, 4], [[2], 3, 0], [[0], 3, 4]] as [number[], number, number][]) {
      const pc = k.alloc(16);
      k.f32(pc, 4).fill(-7);
      const params = [M, N, 5, 1, 5, 1, N, 1, 0, 0, 0, 0, ...batch, 0, 0];
      const pp = k.alloc(params.length * 4);
      new Int32Array(k.memory.buffer, pp, params.length).set(params);
      k.fn[kernel](pc, pc, pc, pp);
      assert.equal(Array.from(k.f32(pc, 4)), [-7, -7, -7, -7], `${kernel} [${batch}] M=${M} N=${N}`);
      k.free(pc);
      k.free(pp);
    }
  }
});

// ---- backend level ----------------------------------------------------------------------

const js = new JsBackend();
const wasm = new WasmBackend(loadEmbeddedKernels());

/** The same values on js and on wasm. */
function pair(shape: number[], dtype: 'float32' | 'float64' = 'float32'): [Tensor, Tensor] {
  const n = shape.reduce((x, y) => x * y, 1);
  const data = Float32Array.from({ length: n }, () => rand() * 2);
  return [tensor(data, shape, { backend: js, dtype, requiresGrad: true }), tensor(data, shape, { backend: wasm, dtype, requiresGrad: true })];
}

/**
 * wasm result vs js within the float32 bound: |w − j| ≤ (K+2)·2⁻²⁴·Σ|a||b| + 2⁻²⁴|j|,
 * with Σ|a||b| ≤ K·max|a|·max|b| (the js result is the float64 sum rounded once).
 */
function assertMatch(w: Tensor, j: Tensor, K: number, maxA: number, maxB: number, what: string): void {
  assert.equal([...w.shape], [...j.shape], `${what} shape`);
  assert.is(w.backend.name, 'wasm');
  const wv = w.dataSync(), jv = j.dataSync();
  const bound = (K + 2) * U * K * maxA * maxB;
  for (let i = 0; i < jv.length; i++) {
    if (!(Math.abs(wv[i] - jv[i]) <= bound + U * Math.abs(jv[i]))) assert.unreachable(`${what}[${i}]: wasm ${wv[i]}, js ${jv[i]}`);
  }
}

const maxAbs = (t: Tensor): number => Array.from(t.dataSync()).reduce((m, x) => Math.max(m, Math.abs(x)), 0);

test('wasm backend = js backend through matmul, bmm and linear (forward and backward), views and broadcasting included', () => {
  const cases: { a: number[]; b: number[]; fa?: (t: Tensor) => Tensor; fb?: (t: Tensor) => Tensor; what: string }[] = [
    { a: [7, 5], b: [5, 13], what: '2-D 7x5 @ 5x13' },
    { a: [64, 49, 64], b: [64, 64, 49], what: 'bmm attention shape' },
    { a: [2, 3, 6, 4], b: [4, 9], what: 'broadcast B (linear-like)' },
    { a: [6, 4], b: [2, 3, 4, 9], what: 'broadcast A' },
    { a: [2, 1, 6, 4], b: [3, 4, 5], what: 'broadcast both batch dims' },
    { a: [5, 17], b: [11, 17], fb: (t) => t.transpose(0, 1), what: 'B = Wᵀ' },
    { a: [17, 5], b: [17, 11], fa: (t) => t.transpose(0, 1), what: 'A = Xᵀ' },
    { a: [2, 8, 3, 6], b: [2, 8, 3, 6], fa: (t) => t.permute(0, 2, 1, 3), fb: (t) => t.permute(0, 2, 3, 1), what: 'permuted heads' },
    { a: [9, 12], b: [12, 20], fa: (t) => t.narrow(1, 2, 7), fb: (t) => t.narrow(0, 5, 7).narrow(1, 1, 15), what: 'narrowed (strided) views' },
    { a: [3], b: [3, 4], what: '1-D @ 2-D' },
    { a: [2, 5, 3], b: [3], what: '3-D @ 1-D' },
    { a: [3, 0], b: [0, 4], what: 'K = 0' },
    { a: [0, 3], b: [3, 4], what: 'M = 0' },
  ];
  for (const c of cases) {
    const [aj, aw] = pair(c.a), [bj, bw] = pair(c.b);
    const fa = c.fa ?? ((t: Tensor) => t), fb = c.fb ?? ((t: Tensor) => t);
    const yj = fa(aj).matmul(fb(bj)), yw = fa(aw).matmul(fb(bw));
    const K = fa(aj).shape[fa(aj).ndim - 1];
    assertMatch(yw, yj, K, maxAbs(aj), maxAbs(bj), c.what);
    // backward: dA = G Bᵀ, dB = Aᵀ G (transposed views; broadcast dims are then summed).
    // Each gradient element sums numel(y)·K / numel(operand) products.
    const [gj, gw] = pair([...yj.shape]);
    yj.mul(gj).sum().backward();
    yw.mul(gw).sum().backward();
    const terms = (t: Tensor) => (t.numel ? (yj.numel * K) / t.numel : 0);
    assertMatch(aw.grad!, aj.grad!, terms(aj), maxAbs(gj), maxAbs(bj), `${c.what} dA`);
    assertMatch(bw.grad!, bj.grad!, terms(bj), maxAbs(aj), maxAbs(gj), `${c.what} dB`);
  }
  const [xj, xw] = pair([2, 3, 20]), [wj, ww] = pair([7, 20]), [bj, bw] = pair([7]);
  assertMatch(linear(xw, ww, bw), linear(xj, wj, bj), 20, maxAbs(xj), maxAbs(wj), 'linear');
  const [pj, pw] = pair([4, 6, 8]), [qj, qw] = pair([4, 8, 3]);
  assertMatch(bmm(pw, qw), bmm(pj, qj), 8, maxAbs(pj), maxAbs(qj), 'bmm');
});

test('spy: float32 matmul takes the native kernel (one call per product, never the js reference); float64 takes the reference', () => {
  const calls: Record<string, number> = {};
  // exports are frozen: the proxy wraps an empty target and forwards to them
  const fn = new Proxy({} as Record<string, (...args: number[]) => number>, {
    get(_, name: string) {
      const f = wasm.k.fn[name];
      return (...args: number[]) => { calls[name] = (calls[name] ?? 0) + 1; return f(...args); };
    },
  });
  const spied = new WasmBackend({ ...wasm.k, fn });
  const reference = (spied as unknown as { js: Backend }).js;
  let viaJs = 0;
  const jsMatmul = reference.matmul.bind(reference);
  reference.matmul = (a, b) => { viaJs++; return jsMatmul(a, b); };

  const a = tensor(Float32Array.from({ length: 64 * 49 * 64 }, () => rand()), [64, 49, 64], { backend: spied });
  const b = tensor(Float32Array.from({ length: 64 * 64 * 49 }, () => rand()), [64, 64, 49], { backend: spied });
  const w = tensor(Float32Array.from({ length: 10 * 64 }, () => rand()), [10, 64], { backend: spied });
  a.matmul(b);
  linear(a, w);
  a.transpose(1, 2).matmul(a);
  assert.is(calls.matmulF32, 3, 'three products, three native calls');
  assert.is(calls.matmulScalar ?? 0, 0);
  assert.is(viaJs, 0, 'the js reference never ran');

  const d = tensor([1, 2, 3, 4], [2, 2], { backend: spied, dtype: 'float64' });
  assert.equal(Array.from(d.matmul(d).dataSync()), [7, 10, 15, 22]);
  assert.is(calls.matmulF32, 3, 'float64 does not reach the float32 kernel');
  assert.is(viaJs, 1, 'float64 runs the js reference');
});

test('the current backend (js or wasm, per run of the suite) gives the exact small product', () => {
  const be = getBackend();
  const x = tensor([[1, 2, 3], [4, 5, 6]], { backend: be });
  const y = tensor([[1, 0], [0, 1], [1, 1]], { backend: be });
  assert.equal(Array.from(x.matmul(y).dataSync()), [4, 5, 10, 11]);
});

test.run();
