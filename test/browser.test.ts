// torchlet in a real browser: headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core; .ci/run installs it) loads the built package
// (dist/) from a local server, on the main thread and in a module worker.
// It must pick the wasm backend by itself (the kernels are embedded: no
// fetch) and compute values checked by hand.
// Runs in the wasm pass of tools/run-tests.mjs only (it does not depend on
// the Node-side backend). Needs `npm run build` first (npm test does it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';

const CHROMIUM = '/usr/bin/chromium';
const root = new URL('../', import.meta.url);

/** The page's check: runs in the browser (main thread or worker), returns what it saw. */
const CHECK = `
  const t = await import('/dist/index.js');
  const a = t.tensor([[1, 2], [3, 4]], { requiresGrad: true });
  const y = a.matmul(t.tensor([[5, 6], [7, 8]])).softmax(1).sum();
  y.backward();
  const m = t.createBlock('SimAM', {});
  const z = m.forward(t.ones([1, 2, 3, 3]));
  return {
    backend: t.getBackend().name,
    product: Array.from(a.matmul(t.tensor([[5, 6], [7, 8]])).dataSync()),
    sum: y.item(),
    grad: Array.from(a.grad.dataSync()),
    simam: Array.from(z.dataSync()).slice(0, 2),
  };
`;

const PAGE = `<!doctype html><script type="module">
  const run = async () => { ${CHECK} };
  window.mainResult = run().catch((e) => ({ error: String(e && e.stack || e) }));
  // a blob worker has no base URL: give it the absolute address of the package
  const workerSrc = \`
    self.onmessage = async () => {
      try { const r = await (async () => { ${CHECK.replace(/`/g, '\\`')} })(); self.postMessage(r); }
      catch (e) { self.postMessage({ error: String(e && e.stack || e) }); }
    };\`.replace('/dist/index.js', location.origin + '/dist/index.js');
  const worker = new Worker(URL.createObjectURL(new Blob([workerSrc], { type: 'text/javascript' })), { type: 'module' });
  window.workerResult = new Promise((resolve) => { worker.onmessage = (e) => resolve(e.data); worker.postMessage(0); });
</script>`;

const types: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.map': 'application/json' };

function serve(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/') { res.writeHead(200, { 'content-type': 'text/html' }); res.end(PAGE); return; }
    const file = new URL('.' + path, root);
    if (!path.startsWith('/dist/') || path.includes('..') || !existsSync(file)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface Seen { backend: string; product: number[]; sum: number; grad: number[]; simam: number[]; error?: string }

function check(where: string, r: Seen): void {
  assert.not.ok(r.error, `${where}: ${r.error}`);
  assert.is(r.backend, 'wasm', `${where}: default backend`);
  assert.equal(r.product, [19, 22, 43, 50], `${where}: matmul`);
  assert.ok(Math.abs(r.sum - 2) < 1e-6, `${where}: softmax rows sum to 1 each, got ${r.sum}`);
  // d/da of sum(softmax(a·b)) is zero: each softmax row sums to a constant
  assert.ok(r.grad.every((g) => Math.abs(g) < 1e-5), `${where}: gradient ${r.grad}`);
  // SimAM on a constant map: d = 0, so e = 1/2 and y = 1·sigmoid(1/2)
  const s = 1 / (1 + Math.exp(-0.5));
  assert.ok(r.simam.every((v) => Math.abs(v - s) < 1e-6), `${where}: SimAM ${r.simam}`);
}

if ((process.env.TORCHLET_BACKEND ?? 'js') === 'wasm') {
  const run = existsSync(CHROMIUM) && existsSync(new URL('dist/index.js', root)) ? test : test.skip;
  if (run === test.skip) console.log(`browser.test: skipped: ${existsSync(CHROMIUM) ? 'dist/ is not built (npm run build)' : `${CHROMIUM} is not installed (apt-get install -y chromium)`}`);
  run('headless Chromium: the built package picks wasm and computes on the main thread and in a worker', async () => {
    const { chromium } = await import('playwright-core');
    const server = await serve();
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const { port } = server.address() as AddressInfo;
      await page.goto(`http://127.0.0.1:${port}/`);
      check('main thread', (await page.evaluate(() => (window as unknown as { mainResult: Promise<unknown> }).mainResult)) as Seen);
      check('worker', (await page.evaluate(() => (window as unknown as { workerResult: Promise<unknown> }).workerResult)) as Seen);
    } finally {
      await browser.close();
      server.close();
    }
  });
}

test.run();
