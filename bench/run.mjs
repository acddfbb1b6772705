#!/usr/bin/env node
/**
 * torchlet benchmarks (issue 5): ops against tfjs-backend-wasm, attention blocks (forward + backward)
 * against PyTorch CPU; one thread everywhere.
 *
 *   npm run bench                       # builds the package, then runs this file
 *   npm run bench -- --quick            # a smoke test: one short round per case
 *   npm run bench -- --only 'matmul|GSA'
 *   node bench/run.mjs [--quick] [--only REGEX] [--no-js] [--no-torch] [--json FILE]
 *
 * It measures the BUILT package: `import ... from 'torchlet'` resolves through package.json
 * "exports" to dist/ (`npm run build` first; `npm run bench` does). See bench/README.md.
 *
 * Method: per case every backend gets the same inputs and one warm-up call; then R rounds, and in
 * each round every backend runs once more (benchmark.js for torchlet and tfjs, the Python peer's own
 * timer for PyTorch), in alternating order. A backend's time is the median over rounds of its
 * per-round median; the ratio is the median over rounds of peer / torchlet-wasm measured in the same
 * round, so machine drift hits both sides of each ratio alike.
 */
import os from 'node:os';
import fs from 'node:fs';
import { setBackend, createBlock, tensor, tidy, noGrad } from 'torchlet';
import { OP_CASES } from './lib/ops.mjs';
import { initTfjs } from './lib/tfjs.mjs';
import { startTorchPeer } from './lib/torch-peer.mjs';
import { runBenchmark, timeOnce, median, clamp, randomData } from './lib/timing.mjs';
import { markdownTable, fmtMs, fmtNum, fmtRatio } from './lib/table.mjs';

// ---- options ------------------------------------------------------------------------------------

const USAGE = `usage: node bench/run.mjs [--quick] [--only REGEX] [--no-js] [--no-torch] [--json FILE]
  --quick      one short round per case (smoke test; numbers are rough)
  --only RE    run the cases whose name matches RE (case-insensitive), e.g. 'matmul|GSA'
  --no-js      skip torchlet's js backend everywhere
  --no-torch   skip the PyTorch peer for the blocks
  --json FILE  also write the results as JSON`;

function parseArgs(argv) {
  const o = { quick: false, only: null, js: true, torch: true, json: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--only') o.only = new RegExp(argv[++i] ?? '', 'i');
    else if (a.startsWith('--only=')) o.only = new RegExp(a.slice(7), 'i');
    else if (a === '--no-js') o.js = false;
    else if (a === '--no-torch') o.torch = false;
    else if (a === '--json') o.json = argv[++i];
    else if (a === '--help' || a === '-h') { console.log(USAGE); process.exit(0); }
    else { console.error(`unknown argument ${a}\n${USAGE}`); process.exit(2); }
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));

/**
 * Time budgets (seconds). budget: what each backend may spend on one case after its warm-up,
 * split over the rounds; a call slower than its share still runs once per round.
 * blockCall: the largest batch (8, 4, 2, 1) whose estimated torchlet-wasm call fits this is used.
 * jsCall: torchlet-js runs only where one call (or, for blocks, the wasm estimate) fits this.
 */
const CFG = opts.quick
  ? { rounds: [1, 1], opBudget: 0.25, blockBudget: 0.3, blockCall: 1.0, jsCall: 0.5 }
  : { rounds: [3, 7], opBudget: 2, blockBudget: 4, blockCall: 3, jsCall: 2 };

// ---- setup --------------------------------------------------------------------------------------

const started = Date.now();
const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const blocksFile = JSON.parse(fs.readFileSync(new URL('./blocks.json', import.meta.url), 'utf8'));

const wasmBe = await setBackend('wasm');
const jsBe = await setBackend('js');
const BACKENDS = { wasm: wasmBe, js: jsBe };
const tfjs = await initTfjs();

const wantOp = (c) => !opts.only || opts.only.test(c.name);
const wantBlock = (b) => !opts.only || opts.only.test(b.block) || opts.only.test(`block ${b.block}`);
const opCases = OP_CASES.filter(wantOp);
const blockCases = blocksFile.blocks.filter(wantBlock);

let torch = null;
let torchReason = null;
if (!blockCases.length) torchReason = 'no block selected';
else if (!opts.torch) torchReason = 'disabled (--no-torch)';
else {
  process.stdout.write('starting the PyTorch peer ... ');
  const r = await startTorchPeer();
  torch = r.peer ?? null;
  torchReason = r.reason ?? null;
  console.log(torch ? 'ok' : torchReason);
}

const header = [
  `torchlet ${pkg.version} benchmark — ${new Date().toISOString()}`,
  `machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} logical CPUs, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; ${os.type()} ${os.release()}; Node ${process.version}; load average at start ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  `command: node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trimEnd() + (opts.quick ? '   (--quick: one short round per case; rough numbers)' : ''),
  `torchlet: the built package (dist/), wasm and js backends, one thread`,
  `tfjs: @tensorflow/tfjs-core ${tfjs.version} + tfjs-backend-wasm, SIMD ${tfjs.simd ? 'on' : 'off'}, threads ${tfjs.threads}`,
];
let blasNote = null;
if (torch) {
  const i = torch.info;
  header.push(`PyTorch: ${i.torch}, ${i.threads} thread(s), BLAS ${i.blas.kind} (${i.blas.libs.join(', ') || 'none mapped'}), matmul 512: ${i.matmul512_gflops} GFLOP/s`);
  if (i.blas.kind === 'reference') {
    blasNote = `PyTorch is on the reference BLAS (libblas3: matmul ${i.matmul512_gflops} GFLOP/s), which slows its bmm/matmul/Linear; ` +
      'for a fair comparison install OpenBLAS (as root: apt-get install -y libopenblas0-pthread; see bench/README.md). Its convolutions use oneDNN either way.';
  }
} else if (blockCases.length) header.push(`PyTorch: not used (${torchReason})`);
console.log('\n' + header.join('\n') + '\n');
if (blasNote) console.log(`NOTE: ${blasNote}\n`);

// ---- measuring ----------------------------------------------------------------------------------

/**
 * Interleaved rounds. runners: [{ key, fn }] (benchmark.js) or [{ key, torch: true }] (the peer).
 * Returns { [key]: { ms, n, perRound } } and the per-round ratio peer / wasm.
 */
async function measure(name, runners, rounds, perRoundS) {
  const res = Object.fromEntries(runners.map((r) => [r.key, { perRound: [], n: 0 }]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...runners].reverse() : runners;
    for (const run of order) {
      const ms = run.torch
        ? await torch.time(perRoundS, 1)
        : (await runBenchmark(`${name} ${run.key}`, run.fn, { maxTimeS: perRoundS, minSamples: 1 })).ms;
      res[run.key].perRound.push(median(ms));
      res[run.key].n += ms.length;
    }
  }
  for (const v of Object.values(res)) v.ms = median(v.perRound);
  let ratio = null;
  if (res.peer && res.wasm) ratio = median(res.peer.perRound.map((p, i) => p / res.wasm.perRound[i]));
  return { res, ratio };
}

const roundsFor = (budget, slowestMs) => clamp(Math.floor(budget / (slowestMs / 1e3)), CFG.rounds[0], CFG.rounds[1]);

/** One warm-up call, and a second (reported) one when the first was quick. */
function warm(fn) {
  const t1 = timeOnce(fn);
  return t1 < 500 ? Math.min(t1, timeOnce(fn)) : t1;
}

const results = [];

/**
 * js/wasm time ratios measured so far in this run. A block's js call is only attempted when its
 * wasm time times the largest of these (100 before any is measured; never below 1: js is the
 * reference path) fits the js budget, so no js call runs for minutes just to be skipped.
 */
const jsOverWasm = [];
const jsSlowdown = () => (jsOverWasm.length ? Math.max(1, ...jsOverWasm) : 100);

function progress(row) {
  const parts = [`wasm ${fmtMs(row.wasm)} ms`];
  if (row.js != null) parts.push(`js ${fmtMs(row.js)} ms`);
  if (row.peerMs != null) parts.push(`${row.peer} ${fmtMs(row.peerMs)} ms`);
  if (row.ratio != null) parts.push(`ratio ${fmtRatio(row.ratio)}`);
  console.log(`  ${row.name} ${row.shape}: ${parts.join(', ')}${row.notes.length ? `  [${row.notes.join('; ')}]` : ''}`);
}

// ---- ops vs tfjs-wasm -----------------------------------------------------------------------------

if (opCases.length) console.log('ops (forward) vs tfjs-wasm:');
for (const c of opCases) {
  const row = { kind: 'op', name: c.name, shape: c.shape, peer: 'tfjs-wasm', target: c.target, flops: c.flops, notes: [] };
  const k = c.setup({ tf: tfjs.tf, backends: BACKENDS });
  try {
    const tW = warm(k.wasm);
    const tP = warm(k.peer);
    let tJ = null;
    if (!opts.js) row.jsSkip = 'disabled (--no-js)';
    else if (c.jsMaxFlop && c.flops > c.jsMaxFlop) row.jsSkip = `big shape (${(c.flops / 1e9).toFixed(1)} GFLOP per call): js reference loops not run`;
    else {
      tJ = warm(k.js);
      jsOverWasm.push(tJ / tW);
      if (tJ > CFG.jsCall * 1e3) { row.jsSkip = `one js call took ${(tJ / 1e3).toFixed(1)} s (> ${CFG.jsCall} s)`; tJ = null; }
    }
    const errs = k.check(tJ != null ? ['wasm', 'js'] : ['wasm']);
    for (const [b, e] of Object.entries(errs)) if (!(e <= 1e-3)) row.notes.push(`MISMATCH: torchlet-${b} vs tfjs rel. err ${e.toExponential(1)}`);
    row.maxErr = Math.max(...Object.values(errs));
    const runners = [{ key: 'wasm', fn: k.wasm }, { key: 'peer', fn: k.peer }];
    if (tJ != null) runners.push({ key: 'js', fn: k.js });
    const rounds = roundsFor(CFG.opBudget, Math.max(tW, tP, tJ ?? 0));
    const { res, ratio } = await measure(c.name, runners, rounds, CFG.opBudget / rounds);
    Object.assign(row, { wasm: res.wasm.ms, js: res.js?.ms ?? null, peerMs: res.peer.ms, ratio, rounds, n: { wasm: res.wasm.n, js: res.js?.n, peer: res.peer.n } });
  } catch (e) {
    row.error = e.message;
  } finally {
    k.dispose();
  }
  if (row.jsSkip) row.notes.push(`js: ${row.jsSkip}`);
  if (row.error) row.notes.push(`ERROR: ${row.error}`);
  results.push(row);
  progress(row);
}

// ---- blocks vs PyTorch ----------------------------------------------------------------------------

const numel = (s) => s.reduce((a, b) => a * b, 1);

/** A block on one torchlet backend at one shape; call() = forward + backward of sum(out * cot). */
async function tlBlock(key, spec, shape) {
  const be = await setBackend(key);
  const m = createBlock(spec.block, spec.kwargs);
  m.train();
  const p0 = m.parameters()[0];
  if (p0 && p0.backend !== be) throw new Error(`${spec.block}: parameters on ${p0.backend.name}, expected ${key}`);
  const x = tensor(randomData(numel(shape), 5), shape, { backend: be, requiresGrad: true });
  const outShape = noGrad(() => tidy(() => [...m.forward(x).shape]));
  const cot = tensor(randomData(numel(outShape), 6), outShape, { backend: be });
  return {
    call() {
      tidy(() => { m.forward(x).backward(cot); });
      m.zeroGrad();
      x.zeroGrad();
    },
    dispose() {
      for (const t of [...m.parameters(), ...m.buffers(), x, cot]) t.dispose();
    },
  };
}

const BLOCK_TARGET = 1 / 1.5;
if (blockCases.length) console.log('\nattention blocks (train-mode forward + backward) vs PyTorch CPU:');
for (const spec of blockCases) {
  const full = spec.shape;
  const row = { kind: 'block', name: spec.block, peer: torch ? 'PyTorch' : '-', target: BLOCK_TARGET, flops: null, notes: [] };
  const live = [];
  try {
    // Pick the batch: a B=1 call estimates the per-sample cost of torchlet-wasm.
    const probe = await tlBlock('wasm', spec, [1, ...full.slice(1)]);
    live.push(probe);
    const t1 = warm(() => probe.call());
    let B = full[0];
    while (B > 1 && t1 * B > CFG.blockCall * 1e3) B >>= 1;
    const shape = [B, ...full.slice(1)];
    row.shape = `[${shape.join(',')}]`;
    if (B !== full[0]) row.notes.push(`batch ${full[0]}->${B}: a wasm call at B=${full[0]} est. ${(t1 * full[0] / 1e3).toFixed(1)} s > ${CFG.blockCall} s budget`);
    let wasm = probe;
    if (B !== 1) { probe.dispose(); live.pop(); wasm = await tlBlock('wasm', spec, shape); live.push(wasm); }
    const tW = B === 1 ? t1 : warm(() => wasm.call());
    let js = null;
    let tJ = null;
    if (!opts.js) row.jsSkip = 'disabled (--no-js)';
    else if (tW * jsSlowdown() > CFG.jsCall * 1e3) {
      const k = jsSlowdown();
      row.jsSkip = `est. ${(tW * k / 1e3).toFixed(1)} s per call > ${CFG.jsCall} s (wasm ${fmtMs(tW)} ms x ${k.toFixed(0)}, ` +
        (jsOverWasm.length ? 'the largest js/wasm time ratio measured in this run)' : 'an assumed js/wasm ratio: none measured yet)');
    }
    else {
      js = await tlBlock('js', spec, shape);
      live.push(js);
      tJ = warm(() => js.call());
      jsOverWasm.push(tJ / tW);
      if (tJ > CFG.jsCall * 1.5e3) { row.jsSkip = `one js call took ${(tJ / 1e3).toFixed(1)} s`; tJ = null; }
    }
    let tP = null;
    if (torch) {
      try {
        tP = (await torch.build(spec, shape)).first_ms;
      } catch (e) {
        row.notes.push(`PyTorch: ${e.message}`);
      }
    }
    const runners = [{ key: 'wasm', fn: () => wasm.call() }];
    if (tP != null) runners.push({ key: 'peer', torch: true });
    if (tJ != null) runners.push({ key: 'js', fn: () => js.call() });
    const rounds = roundsFor(CFG.blockBudget, Math.max(tW, tP ?? 0, tJ ?? 0));
    const { res, ratio } = await measure(spec.block, runners, rounds, CFG.blockBudget / rounds);
    Object.assign(row, { wasm: res.wasm.ms, js: res.js?.ms ?? null, peerMs: res.peer?.ms ?? null, ratio, rounds, n: { wasm: res.wasm.n, js: res.js?.n, peer: res.peer?.n } });
  } catch (e) {
    row.error = e.message;
    row.shape ??= `[${full.join(',')}]`;
  } finally {
    for (const b of live) b.dispose();
  }
  if (!torch) row.notes.push(`peer: ${torchReason}`);
  if (row.jsSkip) row.notes.push(`js: ${row.jsSkip}`);
  if (row.error) row.notes.push(`ERROR: ${row.error}`);
  results.push(row);
  progress(row);
}
torch?.close();

// ---- the table ----------------------------------------------------------------------------------

const targetText = (r) => (r.kind === 'block' ? '<=1.5x PyTorch time' : `>=${r.target}x`);
const metText = (r) => (r.ratio == null ? 'n/a' : r.ratio >= r.target ? 'met' : 'not met');
const gflops = (flops, ms) => (flops && ms ? flops / (ms * 1e6) : null);

const rows = [['case', 'shape', 'torchlet-wasm ms', 'torchlet-js ms', 'peer ms', 'peer', 'ratio peer/wasm', 'GFLOP/s wasm / peer', 'target', 'met', 'rounds (n wasm/js/peer)']];
const notes = [];
for (const r of results) {
  let name = r.name;
  if (r.notes.length) { notes.push(r.notes.map((n) => `${r.name}: ${n}`)); name += ` [${notes.length}]`; }
  const gf = r.flops ? `${fmtNum(gflops(r.flops, r.wasm))} / ${fmtNum(gflops(r.flops, r.peerMs))}` : '-';
  const n = r.n ? `${r.rounds} (${r.n.wasm ?? '-'}/${r.n.js ?? '-'}/${r.n.peer ?? '-'})` : '-';
  rows.push([name, r.shape, fmtMs(r.wasm), r.js != null ? fmtMs(r.js) : 'skipped', fmtMs(r.peerMs), r.peer, fmtRatio(r.ratio), gf, targetText(r), metText(r), n]);
}
const elapsed = (Date.now() - started) / 1e3;
console.log(`\n${header.join('\n')}\n`);
console.log(markdownTable(rows, ['l', 'l', 'r', 'r', 'r', 'l', 'r', 'r', 'l', 'l', 'r']));
console.log(`
ratio = peer ms / torchlet-wasm ms, per round, median over rounds (>1: torchlet faster). Times: medians of per-round medians.
ops: forward only, same inputs; tfjs convolutions run NHWC (its wasm backend's only layout), torchlet NCHW; each op's output is checked against tfjs's once.
blocks: train-mode forward + backward of sum(out * cot), parameter and input gradients reset after each call; target: torchlet-wasm within 1.5x of PyTorch (ratio >= ${BLOCK_TARGET.toFixed(2)}).`);
if (blasNote) console.log(`NOTE: ${blasNote}`);
if (notes.length) console.log('\nnotes:\n' + notes.map((ns, i) => `[${i + 1}] ${ns.join('\n    ')}`).join('\n'));
const met = results.filter((r) => metText(r) === 'met').length;
console.log(`\n${met} of ${results.length} targets met; total time ${(elapsed / 60).toFixed(1)} min; load average at end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);

if (opts.json) {
  fs.writeFileSync(opts.json, JSON.stringify({ header, cfg: CFG, blasNote, results }, null, 2));
  console.log(`results written to ${opts.json}`);
}

const failed = results.filter((r) => r.error);
if (failed.length) {
  console.error(`${failed.length} case(s) failed: ${failed.map((r) => r.name).join(', ')}`);
  process.exitCode = 1;
}
