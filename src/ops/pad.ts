/**
 * F.pad: constant, reflect, replicate and circular padding, built from other
 * ops (no kernel of its own).
 *
 * `pad` lists (before, after) pairs starting from the LAST dim:
 * [left_W, right_W, top_H, bottom_H, front_D, back_D, ...]. Along one dim of
 * size n with pads (l, r) the output has size n + l + r, and output position j
 * reads source position i = j − l:
 *
 *   constant:   out[j] = x[i] if 0 ≤ i < n, else value
 *   reflect:    out[j] = x[reflect(i)],  reflect(i) = −i (i < 0),  2(n−1) − i (i ≥ n)   needs l, r < n
 *   replicate:  out[j] = x[clamp(i, 0, n−1)]
 *   circular:   out[j] = x'[(j − max(l, 0)) mod n']   where x' (size n') is x with the negative pads cropped; l, r ≤ n'
 *
 * Negative pads crop. constant = cat with filled blocks (narrow for crops).
 * The other modes are one index_select per padded dim with the index above
 * built here; index_select's backward (index_add) sums the gradient of every
 * copy of an element back into it, which is exactly PyTorch's
 * reflection/replication/circular pad backward.
 *
 * Like PyTorch, the non-constant modes pad the last 1 dim of a 2-D/3-D input,
 * the last 2 dims of a 3-D/4-D input, or the last 3 dims of a 4-D/5-D input.
 */
import { full, tensor } from '../creation.js';
import { fmtShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { indexSelect } from './indexing.js';
import { cat, clone, narrow } from './view.js';

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

const MODES: readonly PadMode[] = ['constant', 'reflect', 'replicate', 'circular'];

/** Input ranks each non-constant mode accepts, by number of padded dims (PyTorch's table). */
const RANKS: Record<number, readonly number[]> = { 1: [2, 3], 2: [3, 4], 3: [4, 5] };

/** F.pad: `pad` lists (before, after) pairs starting from the LAST dim, like PyTorch. */
export function pad(x: Tensor, pad: readonly number[], mode: PadMode = 'constant', value = 0): Tensor {
  const where = `input ${fmtShape(x.shape)}, pad [${pad.join(',')}]`;
  if (!MODES.includes(mode)) throw new RangeError(`pad: unknown mode '${mode}' (expected ${MODES.map((m) => `'${m}'`).join(', ')}; ${where})`);
  if (pad.some((p) => !Number.isInteger(p))) throw new RangeError(`pad: pads must be integers (${where})`);
  if (pad.length % 2 !== 0) throw new RangeError(`pad: padding length must be divisible by 2, got ${pad.length} (${where})`);
  const k = pad.length / 2;
  if (k > x.ndim) throw new RangeError(`pad: padding length ${pad.length} is more than twice the rank ${x.ndim} of the input (${where})`);
  if (mode !== 'constant') {
    if (value !== 0) throw new RangeError(`pad: mode '${mode}' does not take a value (got ${value}; ${where})`);
    if (!(RANKS[k] ?? []).includes(x.ndim)) {
      throw new RangeError(`pad: mode '${mode}' pads the last 1 dim of a 2-D/3-D input, the last 2 dims of a 3-D/4-D input or the last 3 dims of a 4-D/5-D input; got ${k} padded dims (${where})`);
    }
  }
  let out = x;
  for (let p = 0; p < k; p++) {
    const d = x.ndim - 1 - p;
    const [l, r] = [pad[2 * p], pad[2 * p + 1]];
    if (l === 0 && r === 0) continue;
    out = mode === 'constant' ? padConstant(out, d, l, r, value, where) : padIndexed(out, d, l, r, mode, where);
  }
  return out.ref === x.ref ? clone(out) : out; // fresh memory even for zero pads or pure crops, like PyTorch
}

/** Crop the negative pads with narrow, then cat blocks filled with `value` for the positive ones. */
function padConstant(x: Tensor, d: number, l: number, r: number, value: number, where: string): Tensor {
  const n = x.shape[d];
  const cropL = Math.max(-l, 0), cropR = Math.max(-r, 0);
  if (n + l + r < 0 || cropL + cropR > n) {
    throw new RangeError(`pad: size ${n} of dim ${d} with pads (${l}, ${r}) gives a negative size (${where})`);
  }
  let y = cropL || cropR ? narrow(x, d, cropL, n - cropL - cropR) : x;
  const block = (len: number) => full(y.shape.map((s, i) => (i === d ? len : s)), value, { dtype: x.dtype, backend: x.backend });
  if (l > 0 || r > 0) y = cat([...(l > 0 ? [block(l)] : []), y, ...(r > 0 ? [block(r)] : [])], d);
  return y;
}

/** reflect / replicate / circular along dim d: one index_select with an index built on the host. */
function padIndexed(x: Tensor, d: number, l: number, r: number, mode: Exclude<PadMode, 'constant'>, where: string): Tensor {
  const n = x.shape[d];
  const outN = n + l + r;
  const index = new Int32Array(Math.max(outN, 0));
  if (mode === 'circular') {
    // PyTorch crops the negative pads first, then wraps around what is left
    const start = Math.max(-l, 0), kept = n - start - Math.max(-r, 0);
    if (kept < 0 || outN < 0) throw new RangeError(`pad: size ${n} of dim ${d} with pads (${l}, ${r}) gives a negative size (${where})`);
    if (l > kept || r > kept) {
      throw new RangeError(`pad: circular pads (${l}, ${r}) wrap around more than once: they must be at most the size ${kept} of dim ${d}${kept < n ? ' after cropping' : ''} (${where})`);
    }
    const lp = Math.max(l, 0);
    for (let j = 0; j < outN; j++) index[j] = start + ((((j - lp) % kept) + kept) % kept);
  } else {
    if (n === 0) throw new RangeError(`pad: mode '${mode}' needs a non-empty dim ${d} (${where})`);
    if (mode === 'reflect' && (l >= n || r >= n)) {
      throw new RangeError(`pad: reflect pads (${l}, ${r}) must be less than the size ${n} of dim ${d} (${where})`);
    }
    if (outN < 1) throw new RangeError(`pad: size ${n} of dim ${d} with pads (${l}, ${r}) gives an output size ${outN} < 1 (${where})`);
    for (let j = 0; j < outN; j++) {
      const i = j - l;
      index[j] = mode === 'reflect'
        ? (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i)
        : Math.min(Math.max(i, 0), n - 1);
    }
  }
  return indexSelect(x, d, tensor(index, [index.length], { backend: x.backend }));
}
