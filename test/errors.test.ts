// Bad input gives a clear error that names the op and the shapes involved,
// never a wrong result. Each case checks the message with a regex.
// Run: node tools/run-tests.mjs errors
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setBackend, getBackend, tensor, zeros, ones, arange, cat, stack, matmul, bmm, linear, dropout } from '../src/index.js';
import { throwsWith } from './helpers/assert.js';

const esc = (s: string) => s.replace(/[[\]]/g, '\\$&');
/** A regex for a shape as printed in messages, e.g. shape(2,3) matches "[2,3]". */
const shape = (...dims: number[]) => new RegExp(esc(`[${dims.join(',')}]`));
const i32 = (values: number[], dims = [values.length]) => tensor(Int32Array.from(values), dims);

// ---- shapes that do not fit --------------------------------------------------------------------

test('add: mismatched broadcast [2,3] + [4]', () => {
  const e = throwsWith(() => zeros([2, 3]).add(zeros([4])), /^add:/, shape(2, 3), shape(4), /broadcast/);
  assert.instance(e, RangeError);
  throwsWith(() => zeros([2, 3]).mul(zeros([3, 2])), /^mul:/, shape(2, 3), shape(3, 2));
});

test('where: condition that cannot broadcast', () => {
  throwsWith(() => zeros([2, 3]).where(tensor([true, false]), 0), /^where:/, shape(2), shape(2, 3));
});

test('maskedFill: mask larger than the input', () => {
  throwsWith(() => zeros([3]).maskedFill(tensor([[true, false, true], [true, true, true]]), 1), /masked_fill/, /2,3/, /\b3\b/);
});

test('matmul: inner dims [2,3] @ [4,5]', () => {
  throwsWith(() => matmul(zeros([2, 3]), zeros([4, 5])), /^matmul:/, shape(2, 3), shape(4, 5), /3 vs 4/);
  throwsWith(() => matmul(zeros([3]), zeros([4])), /^matmul:/, /3 vs 4/);
  throwsWith(() => matmul(zeros([2, 2, 3]), zeros([3, 3, 4])), /^matmul/, /batch/, shape(2), shape(3));
  throwsWith(() => matmul(zeros([]), zeros([2])), /^matmul:/, /at least 1 dimension/);
});

test('bmm: batch size mismatch and non-3-D operands', () => {
  throwsWith(() => bmm(zeros([2, 3, 4]), zeros([3, 4, 5])), /^bmm:/, /batch/, shape(2, 3, 4), shape(3, 4, 5));
  throwsWith(() => bmm(zeros([3, 4]), zeros([4, 5])), /^bmm:/, /3-D/, shape(3, 4));
});

test('linear: feature mismatch, bad weight, bad bias', () => {
  throwsWith(() => linear(zeros([2, 3]), zeros([4, 5])), /^linear:/, shape(2, 3), shape(4, 5), /3 features/, /expects 5/);
  throwsWith(() => linear(zeros([2, 3]), zeros([3])), /^linear:/, /weight/, shape(3));
  throwsWith(() => linear(zeros([2, 3]), zeros([4, 3]), zeros([5])), /^linear:/, /bias/, shape(5));
});

// ---- bad dims -------------------------------------------------------------------------------------

test('sum(dim=3) on a 2-D tensor', () => {
  const e = throwsWith(() => zeros([2, 3]).sum(3), /^sum:/, /dim 3/, /rank 2/, /\[-2, 1\]/);
  assert.instance(e, RangeError);
  throwsWith(() => zeros([2, 3]).mean(-3), /^mean:/, /dim -3/, /rank 2/);
  throwsWith(() => zeros([2, 3]).sum([0, 0]), /^sum:/, /repeats/);
  throwsWith(() => zeros([2, 3]).amax(2), /^amax:/, /dim 2/);
  throwsWith(() => zeros([2, 3]).max(2), /^max:/, /dim 2/);
  throwsWith(() => zeros([2, 3]).argmax(2), /^argmax:/, /dim 2/);
  throwsWith(() => zeros([2, 3]).var(4), /^var:/, /dim 4/);
});

test('softmax dim 5 on a 2-D tensor', () => {
  throwsWith(() => zeros([2, 3]).softmax(5), /^softmax:/, /dim 5/, /rank 2/);
  throwsWith(() => zeros([2, 3]).logSoftmax(-3), /^log_softmax:/, /dim -3/);
});

test('permute with a repeated dim, or the wrong number of dims', () => {
  throwsWith(() => zeros([2, 3, 4]).permute(0, 0, 1), /^permute:/, /repeat/, /\[0,0,1\]/, shape(2, 3, 4));
  throwsWith(() => zeros([2, 3, 4]).permute(1, 0), /^permute:/, /rank 3/, shape(2, 3, 4));
});

test('transpose out of range', () => {
  throwsWith(() => zeros([2, 3]).transpose(0, 2), /^transpose:/, /dim 2/, /rank 2/);
  throwsWith(() => zeros([2, 3, 4]).t(), /^t:/, shape(2, 3, 4));
});

test('reshape of the wrong size, and with two -1s', () => {
  throwsWith(() => zeros([2, 3]).reshape(4, 2), /^reshape:/, shape(4, 2), shape(2, 3), /6 elements/);
  throwsWith(() => zeros([2, 3]).reshape(-1, 4), /^reshape:/, shape(-1, 4), shape(2, 3));
  throwsWith(() => zeros([2, 3]).reshape(-1, -1), /^reshape:/, /only one dimension can be inferred/, shape(-1, -1), shape(2, 3));
  throwsWith(() => zeros([2, 3]).view(7), /^view:/, shape(7), shape(2, 3));
  throwsWith(() => zeros([2, 3]).unflatten(1, [2, 2]), /^unflatten:/, shape(2, 2), shape(2, 3));
});

test('view of a non-contiguous tensor that needs a copy', () => {
  throwsWith(() => zeros([2, 3]).t().view(6), /^view:/, shape(6), shape(3, 2), /reshape/);
  throwsWith(() => zeros([4, 4]).slice(null, [0, 3]).view(12), /^view:/, shape(12), shape(4, 3));
  // a stepped slice whose dims still form one uniform stride is viewable, as in PyTorch
  assert.equal(arange(16).reshape(4, 4).slice(null, [0, 4, 2]).view(8).arraySync(), [0, 2, 4, 6, 8, 10, 12, 14]);
  // reshape copies instead
  assert.equal(arange(6).reshape(2, 3).t().reshape(6).arraySync(), [0, 3, 1, 4, 2, 5]);
});

test('expand of a non-1 dim', () => {
  throwsWith(() => zeros([2, 3]).expand(4, 3), /^expand:/, shape(2, 3), shape(4, 3), /only size-1/);
  throwsWith(() => zeros([2, 3]).expand(3), /^expand:/, shape(3), shape(2, 3));
});

test('narrow out of range', () => {
  throwsWith(() => zeros([2, 5]).narrow(1, 3, 3), /^narrow:/, /start 3/, /length 3/, /size 5/, shape(2, 5));
  throwsWith(() => zeros([2, 5]).narrow(2, 0, 1), /^narrow:/, /dim 2/);
});

test('slice: index out of range, too many indices, bad step', () => {
  throwsWith(() => zeros([2, 3]).slice(null, 3), /^slice:/, /index 3/, /size 3/, shape(2, 3));
  throwsWith(() => zeros([2, 3]).slice(-3), /^slice:/, /index -3/, /size 2/);
  throwsWith(() => zeros([2, 3]).slice(0, 0, 0), /^slice:/, /too many indices/, shape(2, 3));
  throwsWith(() => zeros([4]).slice([0, 4, -1]), /^slice:/, /step/);
  throwsWith(() => zeros([2, 3]).select(1, 5), /^slice:|^select:/, /index 5/);
});

test('split/chunk with bad sizes', () => {
  throwsWith(() => zeros([5]).split([2, 2]), /^split:/, shape(2, 2), /size 5/);
  throwsWith(() => zeros([5]).chunk(0), /^chunk:/, /positive/);
});

test('cat of mismatched shapes; stack of different shapes', () => {
  throwsWith(() => cat([zeros([2, 3]), zeros([2, 4])]), /^cat:/, shape(2, 3), shape(2, 4));
  throwsWith(() => cat([zeros([2, 3]), zeros([3])], 0), /^cat:/, shape(2, 3), shape(3));
  throwsWith(() => cat([]), /^cat:/, /non-empty/);
  throwsWith(() => stack([zeros([2, 3]), zeros([3, 2])]), /^stack:/, shape(2, 3), shape(3, 2));
});

test('repeat with too few repeats; flip/roll with bad dims', () => {
  throwsWith(() => zeros([2, 3]).repeat(2), /^repeat:/, shape(2, 3));
  throwsWith(() => zeros([2, 3]).flip(2), /^flip:/, /dim 2/);
  throwsWith(() => zeros([2, 3]).roll([1, 1], [0]), /^roll:/, /2 shifts/);
});

// ---- indexing ---------------------------------------------------------------------------------------

test('gather / indexSelect with an out-of-range index', () => {
  const x = zeros([2, 3]);
  throwsWith(() => x.gather(1, i32([0, 3, 1, 1], [2, 2])), /^gather:/, /index 3/, /size 3/, shape(2, 3));
  throwsWith(() => x.gather(1, i32([0, -1, 1, 1], [2, 2])), /^gather:/, /index -1/);
  throwsWith(() => x.indexSelect(0, i32([0, 2])), /^index_select:/, /index 2/, /size 2/, shape(2, 3));
  throwsWith(() => x.scatterAdd(0, i32([0, 5, 1], [1, 3]), ones([1, 3])), /^scatter_add:/, /index 5/, /size 2/);
  throwsWith(() => x.indexAdd(1, i32([3]), ones([2, 1])), /^index_add:/, /index 3/, /size 3/);
  throwsWith(() => x.gather(1, i32([0], [1])), /^gather:/, shape(1), shape(2, 3));
});

test('gather / indexSelect with a float index', () => {
  const x = zeros([2, 3]);
  const e = throwsWith(() => x.gather(1, tensor([[0, 1], [1, 0]])), /^gather:/, /int32/, /float32/, shape(2, 2));
  assert.instance(e, TypeError);
  throwsWith(() => x.indexSelect(1, tensor([0, 1])), /^index_select:/, /int32/, /float32/, shape(2));
  throwsWith(() => x.indexSelect(1, i32([0, 1, 1, 0], [2, 2])), /^index_select:/, /0-D or 1-D/, shape(2, 2));
  throwsWith(() => x.maskedFill(tensor([1, 0, 1]), 0), /^masked_fill:/, /bool/);
});

// ---- autograd ------------------------------------------------------------------------------------------

test('backward on a non-scalar without a gradient names the shape', () => {
  const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
  throwsWith(() => x.mul(2).backward(), /^backward:/, /scalar/, shape(2, 2));
});

test('backward with a gradient of the wrong shape', () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  throwsWith(() => x.mul(2).backward(ones([2])), /^backward:/, shape(2), shape(3));
  throwsWith(() => x.mul(2).backward(ones([3, 1])), /^backward:/, shape(3, 1), shape(3));
});

test('backward on a tensor that does not require grad', () => {
  throwsWith(() => ones([2]).sum().backward(), /^backward:/, /does not require grad/);
});

// ---- reading and lifetime ---------------------------------------------------------------------------------

test('item() on a multi-element tensor', () => {
  throwsWith(() => zeros([2, 3]).item(), /^item:/, /one-element/, shape(2, 3));
  assert.is(zeros([1, 1]).item(), 0);
});

test('use of a disposed tensor', () => {
  const x = ones([2, 3]);
  x.dispose();
  assert.ok(x.isDisposed);
  throwsWith(() => x.add(1), /disposed/, shape(2, 3));
  throwsWith(() => x.dataSync(), /disposed/, shape(2, 3));
  throwsWith(() => x.reshape(6), /disposed/, shape(2, 3));
  throwsWith(() => x.t(), /disposed/, shape(2, 3));
  x.dispose(); // idempotent
  // a view of a disposed tensor's storage stays usable if it was taken before
  const y = ones([4]);
  const v = y.narrow(0, 1, 2);
  y.dispose();
  assert.equal(Array.from(v.dataSync()), [1, 1]);
  throwsWith(() => y.sum(), /disposed/, shape(4));
});

test("setBackend('nope') rejects and keeps the current backend", async () => {
  const before = getBackend();
  let caught: unknown;
  try {
    await setBackend('nope');
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error, 'setBackend should reject');
  assert.match((caught as Error).message, /^setBackend:/);
  assert.match((caught as Error).message, /'nope'/);
  assert.match((caught as Error).message, /available: .*js/);
  assert.ok(getBackend() === before);
});

// ---- creation --------------------------------------------------------------------------------------

test('creation with bad arguments', () => {
  throwsWith(() => tensor([[1, 2], [3]]), /^tensor:/, /ragged/);
  throwsWith(() => tensor([1, 2, 3], [2, 2]), /^tensor:/, /3 values/, shape(2, 2));
  throwsWith(() => zeros([2, -1]), /^zeros:/, /-1/);
  throwsWith(() => arange(0, 5, 0), /^arange:/, /step/);
  throwsWith(() => arange(0, 5, -1), /^arange:/, /step -1/);
  throwsWith(() => ones([2]).clamp(), /^clamp:/);
  throwsWith(() => dropout(ones([2]), 1.5), /^dropout:/, /1\.5/);
});

// the helper itself must fail when nothing is thrown
test('throwsWith fails when the function does not throw', () => {
  let failed = false;
  try {
    throwsWith(() => ones([2]).add(ones([2])), /./);
  } catch {
    failed = true;
  }
  assert.ok(failed);
});

test.run();
