/**
 * einsum, like torch.einsum: out[o] = Σ_{labels not in o} Π_k operand_k[labels_k].
 *
 * Method, using only view ops, sum and matmul (so autograd comes for free):
 *  1. Parse: letters are labels; `...` covers the leading dims left over,
 *     right-aligned across operands; without `->` the output is `...` plus the
 *     labels seen exactly once, sorted.
 *  2. Per operand: a label repeated within it takes the diagonal (a view); a
 *     size-1 dim whose label is larger elsewhere is dropped (it broadcasts).
 *  3. Contract left to right. For a pair A, B: sum out labels found in only one
 *     of them and needed nowhere later; the rest are batch (in both, needed
 *     later), contracted (in both, not needed), left-only and right-only.
 *     A → [batch, M, K], B → [batch, K, N], one batched matmul, then reshape
 *     the result back to [batch..., left..., right...].
 *  4. Sum what the output does not keep and permute into the output order.
 */
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { matmul } from './matmul.js';
import { sum } from './reduce.js';
import { diagonal, permute, reshape } from './view.js';

/** Labels are numbers: a letter's char code, or ELL + p for ellipsis position p. */
const ELL = 1000;

interface Term {
  /** Labels before the ellipsis, whether there is one, labels after it. */
  before: number[];
  ell: boolean;
  after: number[];
}

/** A tensor together with the label of each of its dims. */
interface Labelled {
  t: Tensor;
  labels: number[];
}

const isLetter = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

function labelName(l: number): string {
  return l >= ELL ? `... dim ${l - ELL}` : String.fromCharCode(l);
}

function parseTerm(fail: (msg: string) => never, term: string, what: string): Term {
  const out: Term = { before: [], ell: false, after: [] };
  for (let i = 0; i < term.length; i++) {
    const c = term[i];
    if (isLetter(c)) {
      (out.ell ? out.after : out.before).push(c.charCodeAt(0));
    } else if (c === '.') {
      if (term.slice(i, i + 3) !== '...') fail(`${what} has a '.' that is not part of an ellipsis '...'`);
      if (out.ell) fail(`${what} has more than one ellipsis '...'`);
      out.ell = true;
      i += 2;
    } else {
      fail(`invalid character '${c}' in ${what}; subscripts must be letters a-z or A-Z (or '...')`);
    }
  }
  return out;
}

/** Permute `x` so its labels come in `order` (which must be a permutation of x.labels). */
function arrange(x: Labelled, order: readonly number[]): Tensor {
  const perm = order.map((l) => x.labels.indexOf(l));
  return perm.every((p, i) => p === i) ? x.t : permute(x.t, perm);
}

/** Sum out every dim whose label is not in `keep`. */
function sumOut(x: Labelled, keep: ReadonlySet<number>): Labelled {
  const axes = x.labels.flatMap((l, i) => (keep.has(l) ? [] : [i]));
  if (axes.length === 0) return x;
  return { t: sum(x.t, axes), labels: x.labels.filter((l) => keep.has(l)) };
}

function reshapeIfNeeded(t: Tensor, shape: readonly number[]): Tensor {
  return t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]) ? t : reshape(t, shape);
}

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/** Contract two labelled tensors, keeping the labels in `needed` (and summing the others). */
function contract(a: Labelled, b: Labelled, needed: ReadonlySet<number>, size: ReadonlyMap<number, number>): Labelled {
  const inB = new Set(b.labels), inA = new Set(a.labels);
  a = sumOut(a, new Set([...a.labels].filter((l) => needed.has(l) || inB.has(l))));
  b = sumOut(b, new Set([...b.labels].filter((l) => needed.has(l) || inA.has(l))));
  const batch = a.labels.filter((l) => inB.has(l) && needed.has(l));
  const inner = a.labels.filter((l) => inB.has(l) && !needed.has(l));
  const left = a.labels.filter((l) => !inB.has(l));
  const right = b.labels.filter((l) => !inA.has(l));
  const dims = (ls: readonly number[]) => ls.map((l) => size.get(l)!);
  const B = prod(dims(batch)), M = prod(dims(left)), K = prod(dims(inner)), N = prod(dims(right));
  const a3 = reshapeIfNeeded(arrange(a, [...batch, ...left, ...inner]), [B, M, K]);
  const b3 = reshapeIfNeeded(arrange(b, [...batch, ...inner, ...right]), [B, K, N]);
  const c = matmul(a3, b3);
  const labels = [...batch, ...left, ...right];
  return { t: reshapeIfNeeded(c, dims(labels)), labels };
}

export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  const shapes = () => operands.map((t) => fmtShape(t.shape)).join(', ');
  const fail = (msg: string): never => {
    throw new RangeError(`einsum '${equation}': ${msg} (operand shapes: ${shapes() || 'none'})`);
  };
  if (typeof equation !== 'string') throw new TypeError(`einsum: the equation must be a string, got ${typeof equation}`);
  if (operands.length === 0) fail('expects at least one operand');

  // ---- 1. parse -------------------------------------------------------------------
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  if (arrow >= 0 && eq.indexOf('->', arrow + 2) >= 0) fail("has more than one '->'");
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const terms = lhs.split(',');
  if (terms.length !== operands.length) {
    fail(`the equation has ${terms.length} operand subscript${terms.length === 1 ? '' : 's'} but ${operands.length} operand${operands.length === 1 ? ' was' : 's were'} given`);
  }
  const parsed = terms.map((term, k) => parseTerm(fail, term, `the subscripts '${term}' of operand ${k}`));

  // expand each ellipsis into labels ELL + p, right-aligned across operands
  const ellDims = parsed.map((p, k) => {
    const named = p.before.length + p.after.length;
    const rank = operands[k].ndim;
    if (p.ell ? named > rank : named !== rank) {
      fail(`operand ${k} has ${named} subscript${named === 1 ? '' : 's'} '${terms[k]}' but rank ${rank} (shape ${fmtShape(operands[k].shape)})`);
    }
    return p.ell ? rank - named : 0;
  });
  const nEll = Math.max(0, ...ellDims);
  const ellLabels = [...Array(nEll).keys()].map((p) => ELL + p);
  const inputLabels = parsed.map((p, k) => [...p.before, ...ellLabels.slice(nEll - ellDims[k]), ...p.after]);

  // sizes: equal, or 1 (which broadcasts); equal within one operand (diagonal)
  const size = new Map<number, number>();
  const seenIn = new Map<number, number>(); // label -> the operand that set its size
  inputLabels.forEach((labels, k) => {
    const local = new Map<number, number>();
    labels.forEach((l, d) => {
      const n = operands[k].shape[d];
      const m = local.get(l);
      if (m !== undefined && m !== n) fail(`subscript ${labelName(l)} is repeated in operand ${k} with sizes ${m} and ${n}`);
      local.set(l, n);
      const g = size.get(l);
      if (g === undefined || g === 1) {
        size.set(l, n);
        seenIn.set(l, k);
      } else if (n !== g && n !== 1) {
        fail(`subscript ${labelName(l)} has size ${g} in operand ${seenIn.get(l)} and ${n} in operand ${k}`);
      }
    });
  });

  let output: number[];
  if (arrow >= 0) {
    const rhs = eq.slice(arrow + 2);
    if (rhs.includes(',')) fail(`the output '${rhs}' cannot contain ','`);
    const p = parseTerm(fail, rhs, `the output subscripts '${rhs}'`);
    output = [...p.before, ...(p.ell ? ellLabels : []), ...p.after];
    const seen = new Set<number>();
    for (const l of [...p.before, ...p.after]) {
      if (seen.has(l)) fail(`output subscript ${labelName(l)} appears more than once`);
      if (!size.has(l)) fail(`output subscript ${labelName(l)} does not appear in any input`);
      seen.add(l);
    }
  } else {
    const count = new Map<number, number>();
    for (const labels of inputLabels) for (const l of labels) if (l < ELL) count.set(l, (count.get(l) ?? 0) + 1);
    output = [...ellLabels, ...[...count.keys()].filter((l) => count.get(l) === 1).sort((a, b) => a - b)];
  }
  const outSet = new Set(output);

  // ---- 2. per operand: diagonals, then drop broadcast size-1 dims -----------------
  const xs: Labelled[] = operands.map((t, k) => {
    let labels = inputLabels[k];
    for (;;) {
      const i = labels.findIndex((l, j) => labels.indexOf(l) !== j);
      if (i < 0) break;
      const first = labels.indexOf(labels[i]);
      t = diagonal(t, 0, first, i); // the two dims merge into one last dim
      labels = [...labels.filter((_, j) => j !== first && j !== i), labels[i]];
    }
    const keep = labels.map((l, d) => !(t.shape[d] === 1 && size.get(l)! > 1));
    if (keep.includes(false)) {
      t = reshape(t, t.shape.filter((_, d) => keep[d]));
      labels = labels.filter((_, d) => keep[d]);
    }
    return { t, labels };
  });

  // ---- 3. contract left to right -------------------------------------------------
  let acc = xs[0];
  for (let k = 1; k < xs.length; k++) {
    const needed = new Set(output);
    for (let j = k + 1; j < xs.length; j++) for (const l of xs[j].labels) needed.add(l);
    acc = contract(acc, xs[k], needed, size);
  }

  // ---- 4. sum what the output drops, then order the dims like the output ----------
  acc = sumOut(acc, outSet);
  const t = arrange(acc, output.filter((l) => acc.labels.includes(l)));
  // a size-1 output label can be missing (dropped as broadcast everywhere it appeared)
  return reshapeIfNeeded(t, output.map((l) => size.get(l)!));
}
