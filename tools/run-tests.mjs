#!/usr/bin/env node
// Runs every test/**/*.test.ts with uvu (TypeScript through tsx) and ends with
// one closing line in the form "N passed, M failed", which CI reads.
// Usage: node tools/run-tests.mjs [pattern]   (pattern: a regex on file names)
import { spawn } from 'node:child_process';

const pattern = process.argv[2] ?? '\\.test\\.ts$';
// test/fixtures holds data (ops.safetensors), never tests: a pattern like 'safetensors' must not import it
const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', 'test', pattern, '--ignore', '^fixtures'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
child.on('close', (code) => {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(plain)?.[1] ?? 0);
  if (Number.isNaN(total) || Number.isNaN(passed)) {
    console.log(`0 passed, 1 failed (the test runner printed no totals; exit code ${code})`);
    process.exit(code || 1);
  }
  const failed = total - passed - skipped;
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 ? 1 : code ?? 1);
});
