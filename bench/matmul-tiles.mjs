#!/usr/bin/env node
// Measures the wasm GEMM (assembly/matmul.ts) per micro-kernel tile shape and
// cache blocking, against the js reference backend and, when it is installed,
// @tensorflow/tfjs-backend-wasm (XNNPACK, one thread in Node). A measurement
// script, not a test: speed targets live here, in the numbers it prints.
//
//   npm run build:wasm
//   node --import tsx bench/matmul-tiles.mjs [--quick] [--blocks] [--tfjs DIR]
//
//   --blocks   also sweep KC / MC / NC for the default tile (--blocks-only: just that)
//   --tfjs DIR a node_modules folder holding @tensorflow/tfjs-core and
//              @tensorflow/tfjs-backend-wasm (default: this repo's node_modules, where they are dev dependencies)
//
// GFLOP/s = 2·batch·M·N·K / time. Runs are interleaved (every variant once per
// round) and the median of the rounds is printed: this machine is noisy.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { JsBackend } from '../src/backends/js/index.ts';
import { WasmBackend } from '../src/backends/wasm/index.ts';
import { instantiateKernels } from '../src/backends/wasm/loader.ts';
import { matmulParams } from '../src/backends/wasm/native/matmul.ts';
import { linear, tensor } from '../src/index.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const blocksOnly = args.includes('--blocks-only');
const sweepBlocks = blocksOnly || args.includes('--blocks');
const tfjsDir = args.includes('--tfjs') ? args[args.indexOf('--tfjs') + 1] : (process.env.TFJS_NODE_MODULES ?? 'node_modules');

const TILES = { '4x8': 1, '5x8': 2, '6x8': 3, '3x12': 4, '4x12': 5 };
const SHAPES = [
  // [name, batch, M, N, K]
  ['256^3', 1, 256, 256, 256],
  ['512^3', 1, 512, 512, 512],
  ['1024^3', 1, 1024, 1024, 1024],
  ['[64,49,64]x[64,64,49]', 64, 49, 49, 64],
  ['7x13x5', 1, 7, 5, 13],
  ['17x17x17', 1, 17, 17, 17],
  ['[8,33,31]x[8,31,29]', 8, 33, 29, 31],
];

const k = instantiateKernels(readFileSync(new URL('../build/kernels.wasm', import.meta.url)), 'build/kernels.wasm');
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Repeats fn until ~minMs of this process's CPU time has passed; returns ms of
 * CPU time per call. CPU time (process.cpuUsage), not wall time: the machine is
 * shared, and time spent descheduled is not the kernel's. Everything measured
 * here runs on this one thread (tfjs-backend-wasm runs single-threaded in Node).
 */
function time(fn, minMs) {
  fn(); // warm up
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  let calls = 0, batch = 1;
  const t0 = cpu();
  let t = t0;
  while (t - t0 < minMs) {
    for (let i = 0; i < batch; i++) fn();
    calls += batch;
    t = cpu();
    if (t - t0 < 1) batch *= 2; // reading the CPU clock costs ~1 µs: read it about once per ms
  }
  return (t - t0) / calls;
}

function randomF32(n) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
  return a;
}

/** A kernel-level runner: row-major A [batch,M,K], B [batch,K,N] in linear memory. */
function kernelRunner(batch, M, N, K) {
  const pa = k.alloc(batch * M * K * 4), pb = k.alloc(batch * K * N * 4), pc = k.alloc(batch * M * N * 4);
  k.f32(pa, batch * M * K).set(randomF32(batch * M * K));
  k.f32(pb, batch * K * N).set(randomF32(batch * K * N));
  const view = (shape) => {
    const strides = [];
    let s = 1;
    for (let d = shape.length - 1; d >= 0; d--) { strides[d] = s; s *= shape[d]; }
    return { shape, strides, offset: 0, storage: null };
  };
  return (tile, kc = 0, mc = 0, nc = 0) => {
    const pp = k.alloc(64 * 4); // one parameter block per variant (variants run interleaved)
    const params = matmulParams(view([batch, M, K]), view([batch, K, N]), [tile, kc, mc, nc]);
    new Int32Array(k.memory.buffer, pp, params.length).set(params);
    return () => k.fn.matmulF32(pa, pb, pc, pp);
  };
}

async function loadTfjs() {
  if (!tfjsDir) return null;
  try {
    const require = createRequire(join(tfjsDir, 'noop.js'));
    const tf = require('@tensorflow/tfjs-core');
    const wasmBe = require('@tensorflow/tfjs-backend-wasm');
    wasmBe.setWasmPaths(join(tfjsDir, '@tensorflow/tfjs-backend-wasm/dist') + '/');
    await tf.setBackend('wasm');
    await tf.ready();
    return tf;
  } catch (e) {
    console.log(`(tfjs-backend-wasm not loaded: ${e.message})`);
    return null;
  }
}

const tf = await loadTfjs();
const rounds = quick ? 5 : 21;
const minMs = quick ? 40 : 60;
const wasmBackend = new WasmBackend(k);
const jsBackend = new JsBackend();

console.log(`wasm GEMM, one thread, GFLOP/s (median of ${rounds} interleaved rounds; X/tfjs = median of the per-round ratios)`);
const header = ['shape', ...Object.keys(TILES), 'default', 'tensor', 'js', ...(tf ? ['tfjs-wasm', 'default/tfjs', 'tensor/tfjs'] : [])];
console.log(header.join('\t'));

for (const [name, batch, M, N, K] of blocksOnly ? [] : SHAPES) {
  const flop = 2 * batch * M * N * K;
  const run = kernelRunner(batch, M, N, K);
  const variants = Object.entries(TILES).map(([t, id]) => [t, run(id)]);
  variants.push(['auto', run(0)]); // the default the binding uses (params[8] = 0)
  // the public op on the wasm backend: Tensor.matmul (op layer, binding, output allocation, one native call)
  const [aw, bw] = [tensor(randomF32(batch * M * K), [batch, M, K], { backend: wasmBackend }), tensor(randomF32(batch * K * N), [batch, K, N], { backend: wasmBackend })];
  variants.push(['tensor', () => aw.matmul(bw).dispose()]);
  // the js reference is 50-100x slower: timed once, outside the rounds
  const [aj, bj] = [tensor(randomF32(batch * M * K), [batch, M, K], { backend: jsBackend }), tensor(randomF32(batch * K * N), [batch, K, N], { backend: jsBackend })];
  const jsGflops = flop / (time(() => aj.matmul(bj).dispose(), quick ? 20 : 200) * 1e6);
  if (tf) {
    const at = tf.tensor3d(randomF32(batch * M * K), [batch, M, K]), bt = tf.tensor3d(randomF32(batch * K * N), [batch, K, N]);
    variants.push(['tfjs-wasm', () => { const c = tf.matMul(at, bt); c.dataSync(); c.dispose(); }]);
  }
  const samples = Object.fromEntries(variants.map(([v]) => [v, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [v, fn] of variants) samples[v].push(flop / (time(fn, minMs) * 1e6));
  }
  const g = Object.fromEntries(Object.entries(samples).map(([v, xs]) => [v, median(xs)]));
  const ratio = (v) => median(samples[v].map((x, r) => x / samples['tfjs-wasm'][r])).toFixed(2) + 'x';
  const cells = [name, ...Object.keys(TILES).map((t) => g[t].toFixed(1)), g.auto.toFixed(1), g.tensor.toFixed(1), jsGflops.toFixed(2)];
  if (tf) cells.push(g['tfjs-wasm'].toFixed(1), ratio('auto'), ratio('tensor'));
  console.log(cells.join('\t'));
}

if (sweepBlocks) {
  console.log('\ncache blocks for the default tile (KC, MC, NC), GFLOP/s');
  const blocks = [[256, 120, 1024], [128, 120, 1024], [256, 120, 256], [256, 120, 512], [128, 240, 512], [512, 60, 512], [256, 60, 256], [128, 60, 256], [192, 120, 384], [256, 240, 256]];
  console.log(['shape', ...blocks.map((b) => b.join('/'))].join('\t'));
  for (const [name, batch, M, N, K] of SHAPES.slice(0, 3)) {
    const run = kernelRunner(batch, M, N, K);
    const flop = 2 * batch * M * N * K;
    const samples = blocks.map(() => []);
    for (let r = 0; r < rounds; r++) blocks.forEach(([kc, mc, nc], i) => samples[i].push(flop / (time(run(0, kc, mc, nc), minMs) * 1e6)));
    console.log([name, ...samples.map((xs) => median(xs).toFixed(1))].join('\t'));
  }
}

// linear with a shared (broadcast) weight: B = Wᵀ is a transposed view, packed once
{
  const x = tensor(randomF32(4 * 196 * 256), [4, 196, 256], { backend: wasmBackend });
  const w = tensor(randomF32(512 * 256), [512, 256], { backend: wasmBackend });
  const flop = 2 * 4 * 196 * 512 * 256;
  const xs = [];
  for (let r = 0; r < rounds; r++) xs.push(flop / (time(() => linear(x, w).dispose(), minMs) * 1e6));
  console.log(`\nlinear [4,196,256] x W[512,256]ᵀ (tensor path): ${median(xs).toFixed(1)} GFLOP/s`);
}
