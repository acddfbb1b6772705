// The wasm backend as a whole: it is the default, it holds every dtype,
// out-of-memory is a clear error that leaves the instance usable, views of
// linear memory survive growth, and freeing returns memory for reuse.
// Run: node tools/run-tests.mjs wasm-backend
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { memory, setBackend, tensor, tidy, zeros, type Tensor } from '../src/index.js';
import { simdSupported } from '../src/backends/wasm/loader.js';

test('wasm is the default backend where SIMD is supported', () => {
  assert.ok(simdSupported());
  // a fresh process, without the suite's setup choosing a backend
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', "import('./src/index.ts').then((t) => console.log(t.getBackend().name, t.tensor([1, 2]).backend.name))"], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim(), 'wasm wasm');
});

test('every dtype round-trips through linear memory', async () => {
  const be = await setBackend('wasm');
  const cases: [Tensor, number[]][] = [
    [tensor([1.5, -2, 3], { backend: be }), [1.5, -2, 3]],
    [tensor([1.5, -2, 3], { backend: be, dtype: 'float64' }), [1.5, -2, 3]],
    [tensor(Int32Array.from([7, -8]), [2], { backend: be }), [7, -8]],
    [tensor([true, false, true], { backend: be }), [1, 0, 1]],
  ];
  for (const [t, want] of cases) {
    assert.is(t.backend.name, 'wasm');
    assert.equal(Array.from(t.dataSync()), want, t.dtype);
    assert.equal(Array.from(await t.data()), want, t.dtype);
  }
});

test('out of memory is a clear RangeError and the instance stays usable', async () => {
  const be = await setBackend('wasm');
  assert.throws(() => zeros([2 ** 31], { backend: be }), (e: Error) => e instanceof RangeError && /out of memory allocating 8589934592 bytes/.test(e.message));
  const t = tensor([1, 2, 3], { backend: be }).mul(2).add(1);
  assert.equal(Array.from(t.dataSync()), [3, 5, 7]);
});

test('memory growth: tensors made before a large allocation keep their values', async () => {
  const be = await setBackend('wasm');
  const a = tensor([1, 2, 3, 4], { backend: be });
  const big = zeros([16 * 1024 * 1024], { backend: be }); // 64 MiB: forces memory.grow
  assert.equal(Array.from(a.add(1).dataSync()), [2, 3, 4, 5]);
  big.dispose();
  a.dispose();
});

test('freed memory is reused: a loop of allocate + dispose keeps bytes flat', async () => {
  const be = await setBackend('wasm');
  const before = memory().wasm?.bytes ?? 0;
  for (let i = 0; i < 200; i++) tidy(() => { zeros([256, 256], { backend: be }).add(1); });
  assert.is((memory().wasm?.bytes ?? 0) - before, 0);
});

test.run();
