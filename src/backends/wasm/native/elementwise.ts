/**
 * Native bindings: copy/cast, assign, unary, binary, where. Each returns null
 * for a case it does not handle, and the backend then runs the js reference.
 * (Placeholder: native kernels are being written.)
 */
import type { DType } from '../../../dtype.js';
import type { BinaryOp, Storage, UnaryOp, View } from '../../backend.js';
import type { WasmBackend } from '../index.js';

export function copy(be: WasmBackend, x: View, dtype?: DType): Storage | null {
  if (dtype !== undefined && dtype !== x.storage.dtype) return null;
  return be.stridedCopy(x);
}
export function assign(be: WasmBackend, dst: View, src: View): boolean { return false; }
export function unary(be: WasmBackend, op: UnaryOp, x: View, args?: readonly number[]): Storage | null { return null; }
export function binary(be: WasmBackend, op: BinaryOp, a: View, b: View): Storage | null { return null; }
export function where(be: WasmBackend, c: View, a: View, b: View): Storage | null { return null; }
