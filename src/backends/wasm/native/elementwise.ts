/**
 * Native bindings: copy/cast, assign, unary, binary, where (assembly/elementwise.ts,
 * assembly/cast.ts). Each returns null (assign: false) for a case it does not
 * handle, and the backend then runs the js reference:
 * - float64 always; int32 except for casts, where's 4-byte operands and assign;
 * - unary: float32 (logical_not: bool); binary: float32 (logical ops: bool);
 *   where: bool condition with float32 or int32 operands.
 *
 * Broadcast operands arrive as stride-0 views and are never materialised:
 * `coalesce` merges the dims that every operand walks alike and drops size-1
 * dims, so a contiguous op, a tensor-scalar op or a "row broadcast" reaches
 * the kernel as one row (…Row kernels, no index arrays) and anything else as
 * the fewest, longest rows of an N-d walk (…ND kernels).
 */
import { bytesPerElement, type DType } from '../../../dtype.js';
import type { BinaryOp, Storage, UnaryOp, View } from '../../backend.js';
import type { WasmBackend } from '../index.js';

/** Op codes of assembly/elementwise.ts (UNEG = 0 ... UPOW = 24). */
const UNARY_CODE: Readonly<Record<Exclude<UnaryOp, 'logical_not'>, number>> = {
  neg: 0, abs: 1, sign: 2, exp: 3, log: 4, sqrt: 5, rsqrt: 6, square: 7, reciprocal: 8,
  sin: 9, cos: 10, erf: 11, relu: 12, sigmoid: 13, tanh: 14, gelu: 15, gelu_tanh: 16, silu: 17,
  softplus: 18, hardsigmoid: 19, hardswish: 20, relu6: 21, leaky_relu: 22, clamp: 23, pow_scalar: 24,
};

/** 0-6: float32 → float32; 10-15: float32 → bool; 20-21: bool → bool. */
const BINARY_CODE: Readonly<Record<BinaryOp, number>> = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6,
  eq: 10, ne: 11, lt: 12, le: 13, gt: 14, ge: 15,
  logical_and: 20, logical_or: 21,
};

/** Cast kinds of assembly/cast.ts, by "from>to". */
const CAST_KIND: Readonly<Record<string, number>> = {
  'float32>int32': 0, 'int32>float32': 1, 'float32>bool': 2, 'int32>bool': 3, 'bool>float32': 4, 'bool>int32': 5,
};

/** The kernels' odometer keeps its counters in a fixed scratch of this many dims. */
const MAX_RANK = 32;

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * The fewest dims that walk the same elements in the same (row-major) order
 * for every operand: size-1 dims are dropped, and dim d merges into the dim
 * before it when every operand's stride there equals stride[d]·shape[d].
 * Always returns at least one dim.
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d];
    if (n === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[d] * n)) {
      outShape[last] *= n;
      strides.forEach((s, k) => { outStrides[k][last] = s[d]; });
    } else {
      outShape.push(n);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}

export function copy(be: WasmBackend, x: View, dtype?: DType): Storage | null {
  const from = x.storage.dtype;
  if (dtype === undefined || dtype === from) return be.stridedCopy(x);
  const kind = CAST_KIND[`${from}>${dtype}`];
  if (kind === undefined) return null; // float64 either side
  const n = numel(x.shape);
  const out = be.alloc(dtype, n);
  if (n > 0) be.withContiguous([x], (src) => be.k.fn.castRow(kind, src, out.ptr, n));
  return out;
}

export function assign(be: WasmBackend, dst: View, src: View): boolean {
  const dt = dst.storage.dtype;
  if (dt !== src.storage.dtype || dt === 'float64') return false;
  const n = numel(dst.shape);
  if (n === 0) return true;
  if (src.storage === dst.storage) {
    // read all of src before writing any of dst, whatever the overlap
    const tmp = be.stridedCopy(src);
    try {
      return assign(be, dst, { storage: tmp, shape: src.shape, strides: rowMajor(src.shape), offset: 0 });
    } finally {
      be.free(tmp);
    }
  }
  const width = bytesPerElement(dt);
  const { shape, strides: [sd, ss] } = coalesce(dst.shape, [dst.strides, src.strides]);
  if (shape.length > MAX_RANK) return false;
  const pd = be.address(dst), ps = be.address(src);
  if (shape.length === 1) be.k.fn.assignRow(width, pd, sd[0], ps, ss[0], shape[0]);
  else be.withI32([[...shape, ...sd, ...ss]], (dims) => be.k.fn.assignND(width, pd, ps, shape.length, dims));
  return true;
}

export function unary(be: WasmBackend, op: UnaryOp, x: View, args: readonly number[] = []): Storage | null {
  const dt = x.storage.dtype;
  const n = numel(x.shape);
  if (op === 'logical_not') {
    if (dt !== 'bool') return null;
    const out = be.alloc('bool', n);
    if (n > 0) be.withContiguous([x], (src) => be.k.fn.logicalNotB8(src, out.ptr, n));
    return out;
  }
  if (dt !== 'float32') return null;
  const out = be.alloc('float32', n);
  if (n === 0) return out;
  let src = be.address(x);
  if (!be.isContiguous(x)) {
    // gather the view into out (assign's walk: tiled for transposed views), then map out in place
    gather(be, out.ptr, x);
    src = out.ptr;
  }
  be.k.fn.unaryF32(UNARY_CODE[op], src, out.ptr, n, args[0] ?? 0, args[1] ?? 0);
  return out;
}

export function binary(be: WasmBackend, op: BinaryOp, a: View, b: View): Storage | null {
  const code = BINARY_CODE[op];
  const input: DType = code >= 20 ? 'bool' : 'float32';
  if (a.storage.dtype !== input || b.storage.dtype !== input) return null;
  const n = numel(a.shape);
  const out = be.alloc(code >= 10 ? 'bool' : 'float32', n);
  if (n === 0) return out;
  const { shape, strides: [sa, sb] } = coalesce(a.shape, [a.strides, b.strides]);
  if (shape.length > MAX_RANK) { be.free(out); return null; }
  const pa = be.address(a), pb = be.address(b);
  if (shape.length === 1) be.k.fn.binaryRow(code, pa, sa[0], pb, sb[0], out.ptr, n);
  else be.withI32([[...shape, ...sa, ...sb]], (dims) => be.k.fn.binaryND(code, pa, pb, out.ptr, shape.length, dims));
  return out;
}

export function where(be: WasmBackend, c: View, a: View, b: View): Storage | null {
  const dt = a.storage.dtype;
  if (c.storage.dtype !== 'bool' || b.storage.dtype !== dt || (dt !== 'float32' && dt !== 'int32')) return null;
  const n = numel(c.shape);
  const out = be.alloc(dt, n);
  if (n === 0) return out;
  const { shape, strides: [sc, sa, sb] } = coalesce(c.shape, [c.strides, a.strides, b.strides]);
  if (shape.length > MAX_RANK) { be.free(out); return null; }
  const pc = be.address(c), pa = be.address(a), pb = be.address(b);
  if (shape.length === 1) be.k.fn.whereRow(pc, sc[0], pa, sa[0], pb, sb[0], out.ptr, n);
  else be.withI32([[...shape, ...sc, ...sa, ...sb]], (dims) => be.k.fn.whereND(pc, pa, pb, out.ptr, shape.length, dims));
  return out;
}

/** Write the 4-byte view x contiguously at address `to` (its numel elements). */
function gather(be: WasmBackend, to: number, x: View): void {
  const { shape, strides: [sd, sx] } = coalesce(x.shape, [rowMajor(x.shape), x.strides]);
  const px = be.address(x);
  if (shape.length > MAX_RANK) be.withI32([x.shape, x.strides], (ps, pst) => be.k.fn.copyStrided32(px, to, x.shape.length, ps, pst, numel(x.shape)));
  else if (shape.length === 1) be.k.fn.assignRow(4, to, sd[0], px, sx[0], shape[0]);
  else be.withI32([[...shape, ...sd, ...sx]], (dims) => be.k.fn.assignND(4, to, px, shape.length, dims));
}

function rowMajor(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}
