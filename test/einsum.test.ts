// einsum: forward against a naive reference (nested loops over every index
// value, on plain JS arrays), float64 gradcheck, and the error messages.
// Run: node tools/run-tests.mjs einsum
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { einsum, tensor, type Tensor } from '../src/index.js';
import { assertGradcheck, numel } from './helpers/assert.js';

// ---- the reference: einsum by enumeration, no torchlet ops -------------------------------

interface Arr { data: number[]; shape: number[] }

/** Subscripts of one term as a list of labels, with '...' expanded to `nEll` labels '0', '1', ... right-aligned. */
function expandTerm(term: string, rank: number | null, nEll: number): string[] {
  const out: string[] = [];
  const [pre, post] = term.includes('...') ? term.split('...') : [term, null];
  for (const c of pre) out.push(c);
  if (post !== null) {
    const k = rank === null ? nEll : rank - pre.length - post.length;
    for (let p = nEll - k; p < nEll; p++) out.push(String(p));
    for (const c of post) out.push(c);
  }
  return out;
}

function refEinsum(equation: string, ...ops: Arr[]): Arr {
  const eq = equation.replace(/\s/g, '');
  const [lhs, rhs] = eq.includes('->') ? eq.split('->') : [eq, null];
  const terms = lhs.split(',');
  const ellRank = terms.map((t, k) => (t.includes('...') ? ops[k].shape.length - t.replace('...', '').length : 0));
  const nEll = Math.max(0, ...ellRank);
  const labels = terms.map((t, k) => expandTerm(t, ops[k].shape.length, nEll));
  const size = new Map<string, number>();
  labels.forEach((ls, k) => ls.forEach((l, d) => size.set(l, Math.max(size.get(l) ?? 1, ops[k].shape[d]))));
  let out: string[];
  if (rhs !== null) out = expandTerm(rhs, null, nEll);
  else {
    const count = new Map<string, number>();
    for (const ls of labels) for (const l of ls) count.set(l, (count.get(l) ?? 0) + 1);
    const ell = [...Array(nEll).keys()].map(String);
    out = [...ell, ...[...count.keys()].filter((l) => !ell.includes(l) && count.get(l) === 1).sort()];
  }
  const all = [...size.keys()];
  const outShape = out.map((l) => size.get(l)!);
  const result = new Array<number>(outShape.reduce((a, b) => a * b, 1)).fill(0);
  const idx = new Map<string, number>(all.map((l) => [l, 0]));
  const flat = (shape: number[], ls: string[]) => {
    let f = 0;
    ls.forEach((l, d) => { f = f * shape[d] + (shape[d] === 1 ? 0 : idx.get(l)!); });
    return f;
  };
  const total = all.reduce((a, l) => a * size.get(l)!, 1);
  for (let n = 0; n < total; n++) {
    // odometer over every label
    let r = n;
    for (let i = all.length - 1; i >= 0; i--) { const s = size.get(all[i])!; idx.set(all[i], r % s); r = Math.floor(r / s); }
    let p = 1;
    ops.forEach((op, k) => { p *= op.data[flat(op.shape, labels[k])]; });
    result[flat(outShape, out)] += p;
  }
  return { data: result, shape: outShape };
}

// ---- helpers ---------------------------------------------------------------------------------

let seed = 12345;
function rnd(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648 * 2 - 1;
}
function randArr(shape: number[]): Arr {
  return { data: Array.from({ length: numel(shape) }, rnd), shape };
}

function checkForward(eq: string, shapes: number[][]): void {
  const arrs = shapes.map(randArr);
  const want = refEinsum(eq, ...arrs);
  for (const dtype of ['float64', 'float32'] as const) {
    const ts = arrs.map((a) => tensor(a.data, a.shape, { dtype }));
    const got = einsum(eq, ...ts);
    assert.equal([...got.shape], want.shape, `${eq} (${dtype}): shape`);
    const data = got.dataSync();
    const tol = dtype === 'float64' ? 1e-12 : 1e-4;
    want.data.forEach((w, i) => {
      if (!(Math.abs(data[i] - w) <= tol * (1 + Math.abs(w)))) assert.unreachable(`${eq} (${dtype}): element ${i} is ${data[i]}, expected ${w}`);
    });
  }
}

function checkGrad(eq: string, shapes: number[][]): void {
  const ts = shapes.map((s) => tensor(randArr(s).data, s, { dtype: 'float64', requiresGrad: true }));
  assertGradcheck((...xs: Tensor[]) => einsum(eq, ...xs), ts, `${eq}: gradcheck failed`);
}

// ---- the equations -------------------------------------------------------------------------

const cases: [string, number[][]][] = [
  // blocks.md §B.6
  ['bid,bjd->bij', [[2, 3, 4], [2, 5, 4]]],
  ['bij,bjd->bid', [[2, 3, 5], [2, 5, 4]]],
  ['bxyd,rd->bxyr', [[2, 3, 4, 5], [6, 5]]],
  ['bhmc,bhnc->bhmn', [[2, 3, 4, 5], [2, 3, 6, 5]]],
  ['bhmn,bhnc->bhmc', [[2, 3, 4, 6], [2, 3, 6, 5]]],
  ['bcm,bcn->bmn', [[2, 3, 4], [2, 3, 5]]],
  ['bmn,bcn->bcm', [[2, 4, 5], [2, 3, 5]]],
  ['bie,bje->bij', [[2, 3, 4], [2, 5, 4]]],
  ['bij,bje->bie', [[2, 3, 5], [2, 5, 4]]],
  ['bgci,bgcj->bgij', [[2, 3, 4, 5], [2, 3, 4, 6]]],
  ['bgci, bgcj->bgij', [[2, 3, 4, 5], [2, 3, 4, 6]]], // as the MedT seed writes it
  ['bgij,bgcj->bgci', [[2, 3, 5, 6], [2, 3, 4, 6]]],
  ['bgci,cij->bgij', [[2, 3, 4, 5], [4, 5, 6]]],
  ['bgij,cij->bgci', [[2, 3, 5, 6], [4, 5, 6]]],
  // generic forms
  ['ii->i', [[4, 4]]],
  ['ii->', [[4, 4]]],
  ['ij->ji', [[3, 5]]],
  ['ij->', [[3, 5]]],
  ['i,i->', [[5], [5]]],
  ['i,j->ij', [[3], [5]]],
  ['ij,jk', [[3, 4], [4, 5]]],
  ['...ij,...jk->...ik', [[2, 3, 4], [2, 4, 5]]],
  ['bij,bjk,bkl->bil', [[2, 3, 4], [2, 4, 5], [2, 5, 3]]],
  // beyond the brief: implicit transposes, spaces, broadcasting, mixed sums
  ['ji', [[3, 5]]],
  ['Ab,bC', [[3, 4], [4, 2]]],
  [' i j , j k -> k i ', [[3, 4], [4, 5]]],
  ['...ij,...jk->...ik', [[2, 1, 3, 4], [3, 4, 5]]], // ellipsis dims broadcast, right-aligned
  ['...ij,jk', [[2, 3, 4], [4, 5]]], // implicit output keeps '...' first
  ['b...i->...b', [[2, 3, 4, 5]]],
  ['...ij->ij', [[2, 3, 4]]], // ellipsis dims missing from the output are summed
  ['bij,bjk->bik', [[1, 3, 4], [2, 4, 5]]], // size-1 batch dim broadcasts
  ['ij,jk->ik', [[3, 1], [4, 5]]], // size-1 contracted dim broadcasts
  ['ij,ij->i', [[3, 4], [1, 4]]],
  ['iij->ji', [[3, 3, 4]]],
  ['iji->j', [[3, 4, 3]]],
  ['ijk,jil->kl', [[2, 3, 4], [3, 2, 5]]],
  ['ab,cd->', [[2, 3], [4, 5]]],
  ['ab,cd->ad', [[2, 3], [4, 5]]],
  ['i,i,i->i', [[4], [4], [4]]],
  ['ij,jk,kl,lm->mi', [[2, 3], [3, 4], [4, 5], [5, 2]]],
  ['bn,anm,bm->ba', [[2, 3], [4, 3, 5], [2, 5]]], // bilinear
  ['ij->ij', [[3, 4]]],
  ['->', [[]]],
  [',i->i', [[], [3]]],
];

for (const [eq, shapes] of cases) {
  test(`einsum '${eq}' ${shapes.map((s) => `[${s}]`).join(' ')}: forward matches the loop reference`, () => checkForward(eq, shapes));
  test(`einsum '${eq}' ${shapes.map((s) => `[${s}]`).join(' ')}: gradcheck`, () => checkGrad(eq, shapes));
}

test('einsum: the reference itself agrees with hand-written loops', () => {
  const a = randArr([2, 3]), b = randArr([3, 4]);
  const r = refEinsum('ij,jk->ik', a, b);
  for (let i = 0; i < 2; i++) {
    for (let k = 0; k < 4; k++) {
      let s = 0;
      for (let j = 0; j < 3; j++) s += a.data[i * 3 + j] * b.data[j * 4 + k];
      assert.ok(Math.abs(r.data[i * 4 + k] - s) < 1e-12);
    }
  }
});

test('einsum: ij->ji and ii->i are views of the input', () => {
  const x = tensor(randArr([3, 3]).data, [3, 3]);
  assert.equal(einsum('ij->ji', x).storage, x.storage);
  assert.equal(einsum('ii->i', x).storage, x.storage);
});

// ---- errors ----------------------------------------------------------------------------------

function throwsWith(fn: () => unknown, ...parts: string[]): void {
  let msg = '';
  try { fn(); } catch (e) { msg = (e as Error).message; }
  assert.ok(msg !== '', `expected an error containing ${JSON.stringify(parts)}`);
  for (const p of parts) assert.ok(msg.includes(p), `error "${msg}" should contain "${p}"`);
}

const t = (...shape: number[]) => tensor(randArr(shape).data, shape);

test('einsum errors: wrong number of operands', () => {
  throwsWith(() => einsum('ij,jk->ik', t(2, 3)), "einsum 'ij,jk->ik'", '2 operand subscripts', '1 operand was given', '[2,3]');
  throwsWith(() => einsum('ij->ij', t(2, 3), t(3, 4)), "einsum 'ij->ij'", '1 operand subscript', '2 operands were given');
  throwsWith(() => einsum('i->i'), "einsum 'i->i'", 'at least one operand');
});

test('einsum errors: subscript count differs from the rank', () => {
  throwsWith(() => einsum('bgci,cij->bgij', t(2, 3, 4), t(4, 5, 6)), "einsum 'bgci,cij->bgij'", 'operand 0 has 4 subscripts', 'rank 3', '[2,3,4]');
  throwsWith(() => einsum('...ijk->i', t(2, 3)), 'operand 0 has 3 subscripts', 'rank 2');
});

test('einsum errors: inconsistent sizes', () => {
  throwsWith(() => einsum('bgci,cij->bgij', t(2, 3, 4, 7), t(4, 8, 6)), "einsum 'bgci,cij->bgij': subscript i has size 7 in operand 0 and 8 in operand 1", '[2,3,4,7]', '[4,8,6]');
  throwsWith(() => einsum('ii->i', t(3, 4)), "einsum 'ii->i'", 'subscript i is repeated in operand 0 with sizes 3 and 4');
  throwsWith(() => einsum('...i,...i->...i', t(2, 3), t(4, 3)), 'subscript ... dim 0 has size 2 in operand 0 and 4 in operand 1');
});

test('einsum errors: output subscripts', () => {
  throwsWith(() => einsum('ij->ik', t(2, 3)), "einsum 'ij->ik'", 'output subscript k does not appear in any input');
  throwsWith(() => einsum('ij->ii', t(2, 3)), "einsum 'ij->ii'", 'output subscript i appears more than once');
  throwsWith(() => einsum('ij->i->j', t(2, 3)), "more than one '->'");
});

test('einsum errors: invalid characters', () => {
  throwsWith(() => einsum('i1,1j->ij', t(2, 3), t(3, 4)), "einsum 'i1,1j->ij'", "invalid character '1'");
  throwsWith(() => einsum('ij->i_', t(2, 3)), "invalid character '_'");
  throwsWith(() => einsum('i.j->ij', t(2, 3)), "'.' that is not part of an ellipsis");
  throwsWith(() => einsum('...i...->i', t(2, 3)), "more than one ellipsis");
});

test.run();
