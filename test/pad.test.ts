// F.pad: forward values by hand for every mode (1-D, 2-D and 3-D padding on
// 3-D/4-D/5-D inputs, asymmetric, negative crops), backward by hand (the
// gradient of duplicated elements accumulates), finite-difference gradchecks
// in float64, and the errors PyTorch raises.
// Run: node tools/run-tests.mjs pad
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { F, tensor, type Tensor } from '../src/index.js';
import { assertGradcheck, numel, seededInputs, throwsWith } from './helpers/assert.js';

// ---- helpers --------------------------------------------------------------------------------

/** Shape and values (row-major) must equal the expectation exactly: padding only moves numbers. */
function same(t: Tensor, shape: number[], values: number[], msg = ''): void {
  assert.equal([...t.shape], shape, `${msg} shape`);
  assert.equal(Array.from(t.dataSync()), values, `${msg} values`);
}

const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);
/** A float32 tensor of `shape` holding from, from+1, ... */
const seq = (shape: number[], from = 1) => tensor(range(numel(shape), from), shape);

const { normal: leaf } = seededInputs(11);

// ---- constant -----------------------------------------------------------------------------------

test('constant: 1-D pad of a 3-D input, default 0 and a value', () => {
  const x = seq([1, 1, 3]); // [1,2,3]
  same(F.pad(x, [1, 2]), [1, 1, 6], [0, 1, 2, 3, 0, 0]);
  same(F.pad(x, [2, 0], 'constant', 9), [1, 1, 5], [9, 9, 1, 2, 3]);
});

test('constant: asymmetric 2-D pad of a 4-D input', () => {
  // [[1,2],[3,4]], one column on the left, two rows at the bottom
  same(F.pad(seq([1, 1, 2, 2]), [1, 0, 0, 2]), [1, 1, 4, 3], [
    0, 1, 2,
    0, 3, 4,
    0, 0, 0,
    0, 0, 0,
  ]);
});

test('constant: 3-D pad of a 5-D input', () => {
  // x [1,1,1,1,2] = [5,6]; W: (0,1), H: (1,0), D: (0,1)
  same(F.pad(seq([1, 1, 1, 1, 2], 5), [0, 1, 1, 0, 0, 1], 'constant', -1), [1, 1, 2, 2, 3], [
    -1, -1, -1, /* */ 5, 6, -1,
    -1, -1, -1, /* */ -1, -1, -1,
  ]);
});

test('constant: negative pads crop', () => {
  // x [1,1,3,4] = 1..12; W: crop 1 on the left, pad 1 on the right; H: crop 2 at the bottom
  same(F.pad(seq([1, 1, 3, 4]), [-1, 1, 0, -2]), [1, 1, 1, 4], [2, 3, 4, 0]);
  // crop on one side, pad on the other, along one dim
  same(F.pad(seq([5], 0), [2, -1]), [6], [0, 0, 0, 1, 2, 3]);
  // cropping everything leaves an empty dim (allowed, as in PyTorch)
  same(F.pad(seq([1, 5]), [-2, -3]), [1, 0], []);
});

test('constant: any number of dims, leading dims included', () => {
  same(F.pad(seq([1, 2]), [0, 1, 1, 0], 'constant', 7), [2, 3], [7, 7, 7, 1, 2, 7]);
  same(F.pad(seq([2]), []), [2], [1, 2]);
});

test('constant: zero pads and pure crops still return fresh memory (not a view of the input)', () => {
  const x = seq([2, 3]);
  const y = F.pad(x, [0, 0]);
  const z = F.pad(x, [-1, 0]);
  assert.ok(y.ref !== x.ref && z.ref !== x.ref);
  same(y, [2, 3], [1, 2, 3, 4, 5, 6]);
  same(z, [2, 2], [2, 3, 5, 6]);
});

// ---- reflect ------------------------------------------------------------------------------------

test('reflect: 1-D pad of a 3-D input', () => {
  // [1,2,3,4] with (2, 3): reflect(i) = −i left of 0, 2(n−1) − i right of n−1
  same(F.pad(seq([1, 1, 4]), [2, 3], 'reflect'), [1, 1, 9], [3, 2, 1, 2, 3, 4, 3, 2, 1]);
});

test('reflect: 1-D pad of a 2-D (unbatched) input', () => {
  same(F.pad(seq([2, 3]), [1, 1], 'reflect'), [2, 5], [2, 1, 2, 3, 2, 5, 4, 5, 6, 5]);
});

test('reflect: asymmetric 2-D pad of a 4-D input', () => {
  // [[1,2,3],[4,5,6]]; W: (1,1), H: (1,0)
  same(F.pad(seq([1, 1, 2, 3]), [1, 1, 1, 0], 'reflect'), [1, 1, 3, 5], [
    5, 4, 5, 6, 5,
    2, 1, 2, 3, 2,
    5, 4, 5, 6, 5,
  ]);
});

test('reflect: 3-D pad of a 5-D input', () => {
  // x [1,1,2,2,2] = 1..8 (d, h, w); W: (1,0), D: (0,1) -> D reads d = 0, 1, 0
  same(F.pad(seq([1, 1, 2, 2, 2]), [1, 0, 0, 0, 0, 1], 'reflect'), [1, 1, 3, 2, 3], [
    2, 1, 2, 4, 3, 4,
    6, 5, 6, 8, 7, 8,
    2, 1, 2, 4, 3, 4,
  ]);
});

test('reflect: negative pads crop after reflecting', () => {
  same(F.pad(seq([1, 5], 0), [2, -1], 'reflect'), [1, 6], [2, 1, 0, 1, 2, 3]);
  same(F.pad(seq([1, 5], 0), [-2, 3], 'reflect'), [1, 6], [2, 3, 4, 3, 2, 1]);
});

// ---- replicate ----------------------------------------------------------------------------------

test('replicate: 1-D pad of a 2-D input, pads larger than the dim', () => {
  same(F.pad(seq([1, 3]), [2, 1], 'replicate'), [1, 6], [1, 1, 1, 2, 3, 3]);
  same(F.pad(seq([1, 2]), [3, 0], 'replicate'), [1, 5], [1, 1, 1, 1, 2]);
});

test('replicate: asymmetric 2-D pad of a 3-D input', () => {
  // [[1,2],[3,4]]; W: (0,1), H: (2,0)
  same(F.pad(seq([1, 2, 2]), [0, 1, 2, 0], 'replicate'), [1, 4, 3], [
    1, 2, 2,
    1, 2, 2,
    1, 2, 2,
    3, 4, 4,
  ]);
});

test('replicate: 3-D pad of a 4-D (unbatched) input', () => {
  // x [C=1, D=1, H=1, W=2] = [7,8]; H: (1,0), D: (0,2)
  same(F.pad(seq([1, 1, 1, 2], 7), [0, 0, 1, 0, 0, 2], 'replicate'), [1, 3, 2, 2], [7, 8, 7, 8, 7, 8, 7, 8, 7, 8, 7, 8]);
});

test('replicate: negative pads crop', () => {
  same(F.pad(seq([1, 5], 0), [-2, 3], 'replicate'), [1, 6], [2, 3, 4, 4, 4, 4]);
});

// ---- circular -----------------------------------------------------------------------------------

test('circular: 1-D pad of a 3-D input, pad equal to the dim', () => {
  // [1,2,3] with (2, 3): out[j] = x[(j − 2) mod 3]
  same(F.pad(seq([1, 1, 3]), [2, 3], 'circular'), [1, 1, 8], [2, 3, 1, 2, 3, 1, 2, 3]);
});

test('circular: asymmetric 2-D pad of a 4-D input', () => {
  // [[1,2],[3,4]]; W: (1,0), H: (0,1)
  same(F.pad(seq([1, 1, 2, 2]), [1, 0, 0, 1], 'circular'), [1, 1, 3, 3], [
    2, 1, 2,
    4, 3, 4,
    2, 1, 2,
  ]);
});

test('circular: 3-D pad of a 5-D input', () => {
  // x [1,1,2,1,1] = [1,2] along D; D: (1,1)
  same(F.pad(seq([1, 1, 2, 1, 1]), [0, 0, 0, 0, 1, 1], 'circular'), [1, 1, 4, 1, 1], [2, 1, 2, 1]);
});

test('circular: negative pads crop first, then wrap what is left (PyTorch)', () => {
  same(F.pad(seq([1, 1, 5], 0), [2, -1], 'circular'), [1, 1, 6], [2, 3, 0, 1, 2, 3]);
  same(F.pad(seq([1, 1, 5], 0), [-2, 3], 'circular'), [1, 1, 6], [2, 3, 4, 2, 3, 4]);
});

// ---- backward by hand: copies of one element send their gradients back to it ---------------------

test('backward by hand: duplicates accumulate, crops get zero', () => {
  const grad = (mode: 'constant' | 'reflect' | 'replicate' | 'circular', p: number[]) => {
    const x = tensor([[10, 20, 30]], { requiresGrad: true });
    F.pad(x, p, mode).sum().backward();
    return Array.from(x.grad!.dataSync());
  };
  assert.equal(grad('reflect', [2, 0]), [1, 2, 2]); // out = [x2, x1, x0, x1, x2]
  assert.equal(grad('replicate', [2, 2]), [3, 1, 3]); // out = [x0, x0, x0, x1, x2, x2, x2]
  assert.equal(grad('circular', [1, 2]), [2, 2, 2]); // out = [x2, x0, x1, x2, x0, x1]
  assert.equal(grad('constant', [-1, 1]), [0, 1, 1]); // out = [x1, x2, 0]
  assert.equal(grad('reflect', [-1, 2]), [1, 2, 1]); // out = [x1, x2, x1, x0]: the cropped x0 is still read by the reflection
});

// ---- gradchecks ---------------------------------------------------------------------------------

test('gradcheck: constant, 2-D asymmetric pad with a crop, on a non-contiguous view', () => {
  // input [2,2,4,3] seen transposed as [2,2,3,4]
  assertGradcheck((x) => F.pad(x.transpose(2, 3), [2, -1, 1, 0], 'constant', 0.5), [leaf([2, 2, 4, 3])]);
});

test('gradcheck: constant, 3-D pad of a 5-D input', () => {
  assertGradcheck((x) => F.pad(x, [1, 0, 0, 2, -1, 1]), [leaf([1, 2, 3, 3, 4])]);
});

test('gradcheck: reflect, 1-D / 2-D / 3-D', () => {
  assertGradcheck((x) => F.pad(x, [3, 2], 'reflect'), [leaf([2, 3, 5])]);
  assertGradcheck((x) => F.pad(x.transpose(2, 3), [2, 1, 1, 2], 'reflect'), [leaf([2, 2, 4, 3])]);
  assertGradcheck((x) => F.pad(x, [1, 2, 2, 0, 1, 1], 'reflect'), [leaf([1, 2, 3, 3, 4])]);
  assertGradcheck((x) => F.pad(x, [-1, 3], 'reflect'), [leaf([2, 5])]);
});

test('gradcheck: replicate, 1-D / 2-D / 3-D', () => {
  assertGradcheck((x) => F.pad(x, [4, 1], 'replicate'), [leaf([2, 3, 3])]);
  assertGradcheck((x) => F.pad(x, [0, 3, 2, 1], 'replicate'), [leaf([2, 2, 3, 4])]);
  assertGradcheck((x) => F.pad(x, [1, 1, 0, 2, 2, 0], 'replicate'), [leaf([2, 3, 3, 4])]);
});

test('gradcheck: circular, 1-D / 2-D / 3-D, with a crop', () => {
  assertGradcheck((x) => F.pad(x, [3, 2], 'circular'), [leaf([2, 3, 3])]);
  assertGradcheck((x) => F.pad(x.transpose(2, 3), [1, 3, 2, 0], 'circular'), [leaf([2, 2, 4, 3])]);
  assertGradcheck((x) => F.pad(x, [1, 2, 2, 1, 1, 1], 'circular'), [leaf([1, 2, 3, 3, 4])]);
  assertGradcheck((x) => F.pad(x, [2, -1], 'circular'), [leaf([2, 2, 5])]);
});

// ---- errors ---------------------------------------------------------------------------------------

test('errors: pad length, mode, value', () => {
  const x = seq([1, 2, 3]);
  throwsWith(() => F.pad(x, [1, 1, 1]), /^pad:/, /divisible by 2/, /\[1,2,3\]/);
  throwsWith(() => F.pad(x, [1, 1, 1, 1, 1, 1, 1, 1]), /^pad:/, /rank 3/, /\[1,2,3\]/);
  throwsWith(() => F.pad(x, [1, 1], 'wrap' as never), /^pad:/, /unknown mode 'wrap'/);
  throwsWith(() => F.pad(x, [1, 1], 'reflect', 2), /^pad:/, /'reflect' does not take a value/);
  throwsWith(() => F.pad(x, [1.5, 1]), /^pad:/, /integers/);
});

test('errors: which dims the non-constant modes may pad (PyTorch\'s table)', () => {
  throwsWith(() => F.pad(seq([2, 3, 4, 5]), [1, 1], 'reflect'), /^pad:/, /1 padded dims/, /\[2,3,4,5\]/);
  throwsWith(() => F.pad(seq([2, 3, 4, 5, 6]), [1, 1, 1, 1], 'replicate'), /^pad:/, /2 padded dims/, /\[2,3,4,5,6\]/);
  throwsWith(() => F.pad(seq([3, 4, 5]), [1, 1, 1, 1, 1, 1], 'circular'), /^pad:/, /3 padded dims/, /\[3,4,5\]/);
  throwsWith(() => F.pad(seq([4]), [1, 1], 'reflect'), /^pad:/, /\[4\]/);
});

test('errors: pad sizes each mode cannot do', () => {
  const x = seq([1, 2, 3]);
  throwsWith(() => F.pad(x, [3, 0], 'reflect'), /^pad:/, /reflect pads \(3, 0\)/, /less than the size 3/, /\[1,2,3\]/);
  throwsWith(() => F.pad(x, [0, 4], 'circular'), /^pad:/, /wrap around more than once/, /\[1,2,3\]/);
  throwsWith(() => F.pad(x, [-1, 3], 'circular'), /^pad:/, /wrap around more than once/, /after cropping/);
  throwsWith(() => F.pad(x, [-2, -2]), /^pad:/, /negative size/, /\[1,2,3\]/);
  throwsWith(() => F.pad(x, [-2, -1], 'replicate'), /^pad:/, /output size 0/);
  throwsWith(() => F.pad(x, [-4, 2]), /^pad:/, /negative size/);
});

test.run();
