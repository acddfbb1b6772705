// unfold (im2col) and fold (col2im).
// Forward values come from hand computation or from the naive references below
// (plain JS arrays, written from torch.nn.Unfold's documented layout, not from the kernels);
// gradients from float64 finite differences (gradcheck); bad input from error tests.
// Run: node tools/run-tests.mjs fold
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { F, tensor, arange, ones } from '../src/index.js';
import { assertClose, assertGradcheck, numel, seededInputs, shapeRe, throwsWith } from './helpers/assert.js';

// ---- helpers ---------------------------------------------------------------------------------

const { uniformValues, smooth } = seededInputs(500);

// ---- naive references --------------------------------------------------------------------------

type P2 = [number, number];
interface Geo { k: P2; s: P2; p: P2; d: P2 }

/** Sliding-block counts: floor((n + 2p − d(k − 1) − 1) / s) + 1 per axis (torch.nn.Unfold docs). */
function blockCounts(H: number, W: number, g: Geo): P2 {
  const one = (n: number, i: number) => Math.floor((n + 2 * g.p[i] - g.d[i] * (g.k[i] - 1) - 1) / g.s[i]) + 1;
  return [one(H, 0), one(W, 1)];
}

/**
 * The (input pixel, column entry) pairs of unfold for one image: for channel c, kernel
 * tap (a, b) and block (i, j) the column row is (c, a, b) flattened and the column index
 * is i·Wo + j; the pixel is (i·s − p + a·d, j·s − p + b·d) or null in the padding.
 */
function taps(C: number, H: number, W: number, g: Geo): { row: number; l: number; pixel: number | null }[] {
  const [Ho, Wo] = blockCounts(H, W, g);
  const out: { row: number; l: number; pixel: number | null }[] = [];
  for (let c = 0; c < C; c++) {
    for (let a = 0; a < g.k[0]; a++) {
      for (let b = 0; b < g.k[1]; b++) {
        for (let i = 0; i < Ho; i++) {
          for (let j = 0; j < Wo; j++) {
            const h = i * g.s[0] - g.p[0] + a * g.d[0], w = j * g.s[1] - g.p[1] + b * g.d[1];
            const inside = h >= 0 && h < H && w >= 0 && w < W;
            out.push({ row: (c * g.k[0] + a) * g.k[1] + b, l: i * Wo + j, pixel: inside ? (c * H + h) * W + w : null });
          }
        }
      }
    }
  }
  return out;
}

function refUnfold(x: number[], shape: number[], g: Geo) {
  const [N, C, H, W] = shape;
  const [Ho, Wo] = blockCounts(H, W, g);
  const rows = C * g.k[0] * g.k[1], L = Ho * Wo;
  const out = new Array<number>(N * rows * L).fill(0);
  for (let n = 0; n < N; n++) {
    for (const t of taps(C, H, W, g)) if (t.pixel !== null) out[(n * rows + t.row) * L + t.l] = x[n * C * H * W + t.pixel];
  }
  return { out, shape: [N, rows, L] };
}

function refFold(cols: number[], shape: number[], size: P2, g: Geo) {
  const [N, rows] = shape;
  const [H, W] = size;
  const C = rows / (g.k[0] * g.k[1]);
  const [Ho, Wo] = blockCounts(H, W, g);
  const L = Ho * Wo;
  const out = new Array<number>(N * C * H * W).fill(0);
  for (let n = 0; n < N; n++) {
    for (const t of taps(C, H, W, g)) if (t.pixel !== null) out[n * C * H * W + t.pixel] += cols[(n * rows + t.row) * L + t.l];
  }
  return { out, shape: [N, C, H, W] };
}

const geo = (k: number | P2, s: number | P2 = 1, p: number | P2 = 0, d: number | P2 = 1): Geo => {
  const two = (v: number | P2): P2 => (typeof v === 'number' ? [v, v] : v);
  return { k: two(k), s: two(s), p: two(p), d: two(d) };
};
const opts = (g: Geo) => ({ stride: g.s, padding: g.p, dilation: g.d });

// ---- unfold: hand values ------------------------------------------------------------------------

test('unfold 3×3 with k=2: rows C-major then kernel row-major, L row-major', () => {
  const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19], [1, 2, 3, 3]);
  const u = F.unfold(x, 2);
  assert.equal(u.shape, [1, 8, 4]);
  assert.equal(Array.from(u.dataSync()), [
    1, 2, 4, 5, // c0 (0,0): the top-left of each 2×2 block
    2, 3, 5, 6, // c0 (0,1)
    4, 5, 7, 8, // c0 (1,0)
    5, 6, 8, 9, // c0 (1,1)
    11, 12, 14, 15,
    12, 13, 15, 16,
    14, 15, 17, 18,
    15, 16, 18, 19,
  ]);
});

test('unfold 2×2 with k=2, padding 1: taps in the padding read 0', () => {
  const u = F.unfold(tensor([[[1, 2], [3, 4]]]), 2, { padding: 1 }); // unbatched [1,2,2]
  assert.equal(u.shape, [4, 9]);
  const d = Array.from(u.dataSync());
  assert.equal(d.slice(0, 9), [0, 0, 0, 0, 1, 2, 0, 3, 4]); // tap (0,0) of blocks at (i−1, j−1)
  assert.equal(d.slice(27, 36), [1, 2, 0, 3, 4, 0, 0, 0, 0]); // tap (1,1) of blocks at (i, j)
});

test('unfold matches the naive reference (stride, padding, dilation, non-square, strided view)', () => {
  const shape = [2, 2, 6, 7];
  const xv = uniformValues(numel(shape));
  for (const g of [geo(2), geo(3, 2, 1), geo([2, 3], [1, 2], [1, 0]), geo(2, 1, 1, 2), geo([3, 2], [2, 3], [2, 1], [2, 1]), geo(1), geo([6, 7])]) {
    const ref = refUnfold(xv, shape, g);
    for (const dtype of ['float32', 'float64'] as const) {
      const u = F.unfold(tensor(xv, shape, { dtype }), g.k, opts(g));
      assert.equal(u.shape, ref.shape, JSON.stringify(g));
      assert.is(u.dtype, dtype);
      assertClose(u.dataSync(), ref.out, 1e-7, JSON.stringify(g));
    }
  }
  // a transposed [1,2,7,6] view of [1,2,6,7] storage
  const xt = tensor(xv.slice(0, 84), [1, 2, 6, 7]).transpose(2, 3);
  const dense: number[] = [];
  for (let c = 0; c < 2; c++) for (let h = 0; h < 7; h++) for (let w = 0; w < 6; w++) dense.push(xv[c * 42 + w * 7 + h]);
  const g = geo(3, 2, 1);
  assertClose(F.unfold(xt, 3, opts(g)).dataSync(), refUnfold(dense, [1, 2, 7, 6], g).out, 1e-6);
});

// ---- fold: hand values and references ---------------------------------------------------------------------

test('fold(unfold(x)) = x · (number of blocks covering each pixel)', () => {
  // 3×3, k=2: the centre is in 4 blocks, edges in 2, corners in 1
  const x = arange(9).reshape([1, 1, 3, 3]).add(1);
  const y = F.fold(F.unfold(x, 2), 3, 2);
  assert.equal(y.shape, [1, 1, 3, 3]);
  assert.equal(Array.from(y.dataSync()), [1 * 1, 2 * 2, 3 * 1, 4 * 2, 5 * 4, 6 * 2, 7 * 1, 8 * 2, 9 * 1]);
  // general geometries: the count comes from a plain loop over blocks and taps
  const shape = [2, 3, 6, 5];
  const xv = uniformValues(numel(shape));
  for (const g of [geo(3, 2, 1), geo([2, 3], [2, 1], [1, 1], [2, 1]), geo(2, 3), geo(2, 1, 1, [1, 2])]) {
    const [H, W] = [6, 5];
    const [Ho, Wo] = blockCounts(H, W, g);
    const count = new Array<number>(H * W).fill(0);
    for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) for (let a = 0; a < g.k[0]; a++) for (let b = 0; b < g.k[1]; b++) {
      const h = i * g.s[0] - g.p[0] + a * g.d[0], w = j * g.s[1] - g.p[1] + b * g.d[1];
      if (h >= 0 && h < H && w >= 0 && w < W) count[h * W + w]++;
    }
    const xt = tensor(xv, shape, { dtype: 'float64' });
    const back = F.fold(F.unfold(xt, g.k, opts(g)), [H, W], g.k, opts(g));
    assertClose(back.dataSync(), xv.map((v, i) => v * count[i % (H * W)]), 1e-12, JSON.stringify(g));
  }
});

test('fold matches the naive reference (sums overlaps; strided, padded, dilated, non-square, unbatched)', () => {
  const cases: [Geo, P2, number][] = [
    [geo(3, 1, 1), [4, 5], 2],
    [geo(3, 2, 1), [5, 5], 3],
    [geo([2, 3], [1, 2], [1, 0], [2, 1]), [5, 6], 1],
    [geo(2, 2), [4, 6], 2],
    [geo([2, 2], [1, 2], [0, 1], [1, 2]), [4, 7], 2],
    [geo(2, 1, 1, 2), [5, 5], 1],
  ];
  for (const [g, size, C] of cases) {
    const [Ho, Wo] = blockCounts(size[0], size[1], g);
    const shape = [2, C * g.k[0] * g.k[1], Ho * Wo];
    const cv = uniformValues(numel(shape));
    const ref = refFold(cv, shape, size, g);
    const y = F.fold(tensor(cv, shape, { dtype: 'float64' }), size, g.k, opts(g));
    assert.equal(y.shape, ref.shape, JSON.stringify(g));
    assertClose(y.dataSync(), ref.out, 1e-12, JSON.stringify(g));
    // unbatched [C·kh·kw, L] -> [C,H,W]
    const one = F.fold(tensor(cv.slice(0, shape[1] * shape[2]), shape.slice(1), { dtype: 'float64' }), size, g.k, opts(g));
    assert.equal(one.shape, ref.shape.slice(1));
    assertClose(one.dataSync(), ref.out.slice(0, numel(ref.shape) / 2), 1e-12);
  }
  // a transposed [1, 4, 6] view (L = 6 for a 3×4 output with k=2)
  const base = uniformValues(24);
  const ct = tensor(base, [1, 6, 4]).transpose(1, 2);
  const dense: number[] = [];
  for (let r = 0; r < 4; r++) for (let l = 0; l < 6; l++) dense.push(base[l * 4 + r]);
  assertClose(F.fold(ct, [3, 4], 2).dataSync(), refFold(dense, [1, 4, 6], [3, 4], geo(2)).out, 1e-6);
});

// ---- gradchecks --------------------------------------------------------------------------------

const geos: [string, Geo, number[]][] = [
  ['k2', geo(2), [1, 2, 4, 4]],
  ['k3 s2 p1', geo(3, 2, 1), [2, 1, 5, 5]],
  ['non-square k[2,3] s[1,2] p[1,0] d[2,1]', geo([2, 3], [1, 2], [1, 0], [2, 1]), [1, 2, 5, 6]],
  ['k2 s3 (gaps between blocks)', geo(2, 3), [1, 2, 6, 5]],
  ['k2 s[1,2] p1 d[1,2]', geo(2, [1, 2], 1, [1, 2]), [1, 1, 5, 6]],
];
for (const [name, g, shape] of geos) {
  test(`gradcheck unfold ${name}`, () => assertGradcheck((x) => F.unfold(x, g.k, opts(g)), [smooth(shape)]));
  test(`gradcheck fold ${name}`, () => {
    const [Ho, Wo] = blockCounts(shape[2], shape[3], g);
    assertGradcheck((c) => F.fold(c, [shape[2], shape[3]], g.k, opts(g)), [smooth([1, shape[1] * g.k[0] * g.k[1], Ho * Wo])]);
  });
}
test('gradcheck unfold/fold on views and unbatched inputs', () => {
  assertGradcheck((x) => F.unfold(x.transpose(1, 2), 2, { padding: 1 }), [smooth([2, 5, 4])]);
  assertGradcheck((c) => F.fold(c.transpose(0, 1), [3, 4], 2, { stride: 1 }), [smooth([6, 8])]);
});

// ---- errors --------------------------------------------------------------------------------------

test('errors: fold with the wrong L or rows not divisible by the kernel', () => {
  throwsWith(() => F.fold(ones([1, 8, 5]), [3, 3], 2), /^fold:/, shapeRe(1, 8, 5), /L = 5/, /2·2 = 4/, /output_size \[3,3\]/);
  throwsWith(() => F.fold(ones([1, 6, 4]), [3, 3], 2), /^fold:/, shapeRe(1, 6, 4), /not divisible/, shapeRe(2, 2));
  throwsWith(() => F.fold(ones([1, 4, 1]), [1, 1], 2), /^fold:/, /output_size \[1,1\]/, /at least 1/);
  throwsWith(() => F.fold(ones([1, 1, 4, 1]), [3, 3], 2), /^fold:/, shapeRe(1, 1, 4, 1));
  throwsWith(() => F.fold(ones([1, 4, 4]), [3, 0], 2), /^fold:/, /output_size/);
});

test('errors: unfold with a kernel larger than the padded input, bad ranks and options', () => {
  throwsWith(() => F.unfold(ones([1, 2, 3, 3]), 4), /^unfold:/, shapeRe(1, 2, 3, 3), /kernel \[4,4\]/, /at least 1/);
  throwsWith(() => F.unfold(ones([1, 1, 3, 3]), 2, { dilation: 3 }), /^unfold:/, /dilation \[3,3\]/);
  throwsWith(() => F.unfold(ones([3, 3]), 2), /^unfold:/, shapeRe(3, 3));
  throwsWith(() => F.unfold(ones([1, 1, 3, 3]), 2, { stride: 0 }), /^unfold:/, /stride/);
  throwsWith(() => F.unfold(ones([1, 1, 3, 3]), 2, { padding: -1 }), /^unfold:/, /padding/);
  throwsWith(() => F.unfold(tensor(Int32Array.from([1, 2, 3, 4]), [1, 1, 2, 2]), 2), /^unfold:/, /int32/);
});

test.run();
