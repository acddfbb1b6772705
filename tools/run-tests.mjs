#!/usr/bin/env node
// Runs every test/**/*.test.ts with uvu (TypeScript through tsx), once per
// backend, and ends with one closing line "N passed, M failed" over all runs,
// which CI reads.
// Usage: node tools/run-tests.mjs [pattern] [--backends js,wasm]
//   pattern: a regex on test file names (default: all)
//   TORCHLET_BACKENDS=js,wasm is the same as --backends.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const flag = args.indexOf('--backends');
const backends = (flag >= 0 ? args.splice(flag, 2)[1] : process.env.TORCHLET_BACKENDS ?? 'js,wasm').split(',');
const pattern = args[0] ?? '\\.test\\.ts$';

let passed = 0, failed = 0, skipped = 0, broken = false;
for (const backend of backends) {
  console.log(`\n=== backend: ${backend} ===`);
  // test/fixtures holds data (ops.safetensors), never tests: a pattern like 'safetensors' must not import it
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/setup.ts', 'node_modules/uvu/bin.js', 'test', pattern, '--ignore', '^(fixtures|helpers)|setup\\.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TORCHLET_BACKEND: backend },
    maxBuffer: 1 << 28,
  });
  const out = r.stdout.toString();
  process.stdout.write(out);
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  const ok = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  const skip = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  if (Number.isNaN(total) || Number.isNaN(ok)) {
    console.log(`backend ${backend}: the test runner printed no totals (exit code ${r.status})`);
    broken = true;
    failed += 1;
    continue;
  }
  passed += ok;
  skipped += skip;
  failed += total - ok - skip;
  if (r.status !== 0 && total - ok - skip === 0) { broken = true; failed += 1; }
  console.log(`backend ${backend}: ${ok} passed, ${total - ok - skip} failed`);
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || broken ? 1 : 0);
