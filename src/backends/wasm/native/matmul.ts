/**
 * Native binding: batched matmul, C[...batch, M, N] = A[...batch, M, K] @ B[...batch, K, N],
 * by the packed, register-blocked f32x4 GEMM of assembly/matmul.ts (`matmulF32`).
 *
 * The views go in as they are: the kernel's packing step reads A and B
 * through their strides (a transposed weight, aᵀ in the backward, a permuted
 * head split), and a zero batch stride is a broadcast operand (B shared by
 * every batch is packed once). When B is shared and A's batch rows are one
 * evenly strided run, the batch is folded into M: one taller product, with
 * fewer edge tiles. One call does the whole batch; the only per-call memory
 * is the output (the int32 parameters go to a block kept per backend).
 * float64 (and any other dtype) returns null: the js reference runs.
 */
import type { Storage, View } from '../../backend.js';
import type { WasmBackend } from '../index.js';

type Dims = Pick<View, 'shape' | 'strides'>;

/**
 * The kernel's int32 parameter array (layout documented in assembly/matmul.ts):
 * M, N, K, R, A strides (M, K), B strides (K, N), tile, KC, MC, NC,
 * then the batch shape, A's batch strides and B's batch strides (R each).
 * `tuning` (tile, KC, MC, NC; 0 = the kernel's choice) and `fold` (false: keep
 * the batch loop even where it could fold) are for tests and measurements.
 */
export function matmulParams(a: Dims, b: Dims, tuning: readonly number[] = [0, 0, 0, 0], fold = true): number[] {
  const r = a.shape.length;
  const batch = a.shape.slice(0, r - 2);
  const folded = fold ? foldBatchIntoRows(a, b) : null;
  if (folded) {
    const [M, am] = folded;
    return [M, b.shape[r - 1], a.shape[r - 1], 0, am, a.strides[r - 1], b.strides[r - 2], b.strides[r - 1], ...tuning];
  }
  return [
    a.shape[r - 2], b.shape[r - 1], a.shape[r - 1], r - 2,
    a.strides[r - 2], a.strides[r - 1], b.strides[r - 2], b.strides[r - 1],
    ...tuning,
    ...batch, ...a.strides.slice(0, r - 2), ...b.strides.slice(0, r - 2),
  ];
}

/**
 * [rows, row stride] when the product is one 2-D GEMM: B is the same matrix
 * for every batch (all batch strides 0) and A's batch dims and M form a single
 * run with one stride (e.g. a contiguous [B, T, K] @ W). C's rows are
 * contiguous [...batch, M] anyway. Null otherwise (or when there is no batch).
 */
function foldBatchIntoRows(a: Dims, b: Dims): [number, number] | null {
  const r = a.shape.length;
  if (r <= 2) return null;
  for (let d = 0; d < r - 2; d++) if (a.shape[d] !== 1 && b.strides[d] !== 0) return null;
  let stride = 0, rows = 1, found = false;
  for (let d = r - 2; d >= 0; d--) {
    const n = a.shape[d];
    if (n === 1) continue;
    if (!found) [stride, found] = [a.strides[d], true];
    else if (a.strides[d] !== stride * rows) return null;
    rows *= n;
  }
  return [rows, stride];
}

/** A parameter block per backend, grown when a product has more batch dims than it holds. */
const paramBlocks = new WeakMap<WasmBackend, { ptr: number; length: number }>();

function paramBlock(be: WasmBackend, length: number): number {
  let block = paramBlocks.get(be);
  if (!block || block.length < length) {
    if (block) be.k.free(block.ptr);
    const n = Math.max(length, 64);
    block = { ptr: be.k.alloc(n * 4), length: n };
    paramBlocks.set(be, block);
  }
  return block.ptr;
}

export function matmul(be: WasmBackend, a: View, b: View): Storage | null {
  if (a.storage.dtype !== 'float32' || b.storage.dtype !== 'float32') return null;
  const r = a.shape.length;
  const count = a.shape.slice(0, r - 1).reduce((x, y) => x * y, 1) * b.shape[r - 1];
  const out = be.alloc('float32', count);
  try {
    const params = matmulParams(a, b);
    const ptr = paramBlock(be, params.length);
    new Int32Array(be.k.memory.buffer, ptr, params.length).set(params); // taken after the last allocation
    be.k.fn.matmulF32(be.address(a), be.address(b), out.ptr, ptr);
  } catch (e) {
    be.free(out);
    throw e;
  }
  return out;
}
