// Memory: dispose, shared storages, tidy scopes (sync, nested, async), keep,
// gradients surviving scopes, and a long training loop with flat memory.
// Counts are compared as deltas inside synchronous sections, so tensors left
// to the garbage collector by other tests cannot change them mid-measurement.
// Run: node tools/run-tests.mjs memory
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Generator, getBackend, keep, memory, noGrad, ones, randn, tensor, tidy, zeros, type Tensor } from '../src/index.js';

const bytes = () => memory()[getBackend().name]?.bytes ?? 0;
const live = () => memory()[getBackend().name]?.tensors ?? 0;
/** A freed storage: the js backend empties its array, the wasm backend zeroes its pointer. */
const freed = (t: Tensor) => {
  const s = t.ref.storage as unknown as { data?: ArrayLike<number>; ptr?: number };
  return s.data !== undefined ? s.data.length === 0 : s.ptr === 0;
};

test('dispose frees the storage: bytes and the live count drop', () => {
  const b0 = bytes(), n0 = live();
  const x = zeros([1000]); // 4000 bytes of float32
  assert.is(bytes() - b0, 4000);
  assert.is(live() - n0, 1);
  const y = zeros([10, 10], { dtype: 'float64' });
  assert.is(bytes() - b0, 4800);
  x.dispose();
  assert.is(bytes() - b0, 800);
  assert.is(live() - n0, 1);
  assert.ok(freed(x));
  x.dispose(); // a second dispose changes nothing
  assert.is(bytes() - b0, 800);
  y.dispose();
  assert.is(bytes() - b0, 0);
  assert.is(live() - n0, 0);
});

test('a view keeps the storage alive until both are disposed', () => {
  const b0 = bytes(), n0 = live();
  const base = ones([10, 100]);
  const tr = base.t();
  const v = tr.narrow(0, 5, 10); // a view of a view
  assert.ok(tr.ref === base.ref && v.ref === base.ref);
  assert.is(live() - n0, 3);
  assert.is(bytes() - b0, 4000); // views add no bytes
  base.dispose();
  assert.is(bytes() - b0, 4000);
  tr.dispose();
  assert.is(bytes() - b0, 4000);
  assert.not.ok(freed(v));
  assert.is(live() - n0, 1);
  assert.is(tidy(() => v.sum().item()), 100);
  v.dispose();
  assert.is(bytes() - b0, 0);
  assert.is(live() - n0, 0);
  assert.ok(freed(base));
});

test('a view keeps the storage alive (named views)', () => {
  const b0 = bytes();
  const base = ones([1000]);
  const v = base.reshape(10, 100);
  base.dispose();
  assert.is(bytes() - b0, 4000);
  assert.is(tidy(() => v.sum().item()), 1000);
  v.dispose();
  assert.is(bytes() - b0, 0);
  assert.ok(freed(base));
});

test('tidy disposes intermediates and keeps the returned tensor', () => {
  const b0 = bytes(), n0 = live();
  const x = ones([100]);
  let a!: Tensor, b!: Tensor;
  const out = tidy(() => {
    a = x.mul(2);
    b = a.add(1);
    return b.sum();
  });
  assert.ok(a.isDisposed && b.isDisposed);
  assert.ok(freed(a) && freed(b));
  assert.not.ok(out.isDisposed);
  assert.not.ok(x.isDisposed); // created outside the scope
  assert.is(out.item(), 300);
  assert.is(live() - n0, 2); // x and out
  assert.is(bytes() - b0, 400 + 4);
  out.dispose();
  x.dispose();
  assert.is(bytes() - b0, 0);
});

test('tidy keeps a returned view, and the storage it shares with a disposed intermediate', () => {
  const b0 = bytes();
  let base!: Tensor;
  const v = tidy(() => {
    base = ones([4]).mul(3);
    return base.reshape(2, 2);
  });
  assert.ok(base.isDisposed);
  assert.equal(v.arraySync(), [[3, 3], [3, 3]]);
  v.dispose();
  assert.is(bytes() - b0, 0);
});

test('tidy keeps arrays and objects of tensors', () => {
  const n0 = live();
  let tmp!: Tensor;
  const [p, q] = tidy(() => {
    tmp = ones([3]);
    return [tmp.mul(2), tmp.mul(3)];
  });
  assert.ok(tmp.isDisposed);
  assert.equal(Array.from(p.dataSync()), [2, 2, 2]);
  assert.equal(Array.from(q.dataSync()), [3, 3, 3]);
  const obj = tidy(() => {
    const t = ones([2]);
    return { sum: t.sum(), nested: { list: [t.neg()] }, label: 'x' };
  });
  assert.is(obj.sum.item(), 2);
  assert.equal(Array.from(obj.nested.list[0].dataSync()), [-1, -1]);
  assert.is(obj.label, 'x');
  assert.is(live() - n0, 4);
  for (const t of [p, q, obj.sum, obj.nested.list[0]]) t.dispose();
  assert.is(live() - n0, 0);
});

test('nested tidy: the inner result belongs to the outer scope', () => {
  const n0 = live();
  let inner!: Tensor, innerTmp!: Tensor, outerTmp!: Tensor;
  const out = tidy(() => {
    outerTmp = ones([2]);
    inner = tidy(() => {
      innerTmp = outerTmp.mul(5);
      return innerTmp.add(1);
    });
    assert.ok(innerTmp.isDisposed, 'inner intermediates go when the inner scope closes');
    assert.not.ok(inner.isDisposed);
    assert.not.ok(outerTmp.isDisposed);
    return inner.sum();
  });
  assert.ok(inner.isDisposed, 'the inner result is disposed by the outer scope');
  assert.ok(outerTmp.isDisposed);
  assert.is(out.item(), 12);
  assert.is(live() - n0, 1);
  out.dispose();
});

test('keep exempts a tensor from every enclosing scope', () => {
  const n0 = live();
  let kept!: Tensor, other!: Tensor;
  tidy(() => {
    tidy(() => {
      kept = keep(ones([2]).mul(4));
      other = ones([2]);
    });
  });
  assert.not.ok(kept.isDisposed);
  assert.ok(other.isDisposed);
  assert.equal(Array.from(kept.dataSync()), [4, 4]);
  kept.dispose();
  assert.is(live() - n0, 0);
});

test('tidy disposes everything when fn throws', () => {
  const n0 = live();
  let t!: Tensor;
  assert.throws(() => tidy(() => {
    t = ones([3]);
    t.add(ones([4])); // broadcast error
  }), /^add:/);
  assert.ok(t.isDisposed);
  assert.is(live() - n0, 0);
});

test('async tidy: tensors made before and after an await are freed; the result is kept', async () => {
  let before!: Tensor, after!: Tensor;
  const result = await tidy(async () => {
    before = ones([50]).mul(2);
    await new Promise((r) => setTimeout(r, 5));
    after = before.add(1);
    await Promise.resolve();
    return after.sum();
  });
  assert.ok(before.isDisposed && after.isDisposed);
  assert.ok(freed(before) && freed(after));
  assert.not.ok(result.isDisposed);
  assert.is(result.item(), 150);
  result.dispose();
});

test('async tidy that rejects still frees its tensors', async () => {
  let t!: Tensor;
  let caught: unknown;
  try {
    await tidy(async () => {
      t = ones([5]);
      await Promise.resolve();
      throw new Error('boom');
    });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error && caught.message === 'boom');
  assert.ok(t.isDisposed);
});

test('.grad survives a tidy around backward; intermediates do not', () => {
  const n0 = live();
  const w = tensor([1, 2, 3], { requiresGrad: true });
  let h!: Tensor;
  tidy(() => {
    h = w.mul(w);
    h.sum().backward();
  });
  assert.ok(h.isDisposed);
  assert.ok(w.grad !== null);
  assert.not.ok(w.grad!.isDisposed);
  assert.equal(Array.from(w.grad!.dataSync()), [2, 4, 6]);
  // a second step accumulates into a fresh grad tensor; the old one is freed
  const old = w.grad!;
  tidy(() => w.mul(3).sum().backward());
  assert.ok(old.isDisposed);
  assert.equal(Array.from(w.grad!.dataSync()), [5, 7, 9]);
  assert.is(live() - n0, 2); // w and w.grad
  w.zeroGrad();
  w.dispose();
  assert.is(live() - n0, 0);
});

test('backward frees its intermediate gradients', () => {
  const n0 = live();
  const w = tensor([1, 2, 3], { requiresGrad: true });
  const loss = w.exp().mul(w).sum();
  const afterForward = live(), b0 = bytes();
  loss.backward();
  // only w.grad is new
  assert.is(live() - afterForward, 1);
  assert.ok(bytes() - b0 > 0);
  w.zeroGrad();
  assert.is(live(), afterForward);
  for (const t of [loss, w]) t.dispose();
  assert.ok(live() - n0 > 0, 'intermediates of the forward pass are still held (not in a tidy)');
});

test('a failed index kernel allocates nothing', () => {
  const b0 = bytes();
  const x = zeros([2, 3]);
  const index = tensor(Int32Array.from([0, 7]), [1, 2]);
  assert.throws(() => tidy(() => x.gather(1, index)), /out of bounds/);
  assert.throws(() => tidy(() => x.scatterAdd(1, index, ones([1, 2]))), /out of bounds/);
  x.dispose();
  index.dispose();
  assert.is(bytes() - b0, 0);
});

test('2,000-step training loop: flat memory and the loss goes down', () => {
  // linear regression y = x W* + b* with plain SGD; each step in a tidy,
  // parameters replaced by new leaves and the old ones (and their grads) disposed
  const gen = new Generator(11);
  const x = randn([64, 3], { generator: gen });
  const wTrue = tensor([[2], [-1], [0.5]]);
  const y = noGrad(() => x.matmul(wTrue).add(0.3));
  let W = zeros([3, 1], { requiresGrad: true });
  let b = zeros([1], { requiresGrad: true });
  const lr = 0.05;
  const losses: number[] = [];
  let liveAt10 = -1, bytesAt10 = -1;
  for (let step = 0; step < 2000; step++) {
    tidy(() => {
      const loss = x.matmul(W).add(b).sub(y).square().mean();
      loss.backward();
      if (step % 100 === 0 || step === 1999) losses.push(loss.item());
      const [W2, b2] = noGrad(() => [W.sub(W.grad!.mul(lr)), b.sub(b.grad!, lr)]);
      for (const p of [W, b]) { p.zeroGrad(); p.dispose(); }
      W = keep(W2.requiresGrad_());
      b = keep(b2.requiresGrad_());
    });
    if (step === 10) { liveAt10 = live(); bytesAt10 = bytes(); }
  }
  assert.is(live(), liveAt10, 'live tensor count is flat');
  assert.is(bytes(), bytesAt10, 'bytes held are flat');
  assert.ok(losses[losses.length - 1] < losses[0] * 1e-4, `loss ${losses[0]} -> ${losses[losses.length - 1]}`);
  for (let i = 1; i < losses.length; i++) assert.ok(losses[i] <= losses[i - 1] + 1e-7, `loss rose at sample ${i}: ${losses[i - 1]} -> ${losses[i]}`);
  const w = Array.from(W.dataSync());
  [2, -1, 0.5].forEach((e, i) => assert.ok(Math.abs(w[i] - e) < 1e-3, `W[${i}] = ${w[i]}, expected ${e}`));
  assert.ok(Math.abs(b.item() - 0.3) < 1e-3, `b = ${b.item()}`);
  for (const t of [x, wTrue, y, W, b]) t.dispose();
});

test.run();
