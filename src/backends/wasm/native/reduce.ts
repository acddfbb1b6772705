/** Native bindings: reductions, softmax, normalisation. (Placeholder: native kernels are being written.) */
import type { ArgReduceOp, Normalized, ReduceOp, Storage, View } from '../../backend.js';
import type { WasmBackend } from '../index.js';

export function reduce(be: WasmBackend, op: ReduceOp, x: View, axes: readonly number[]): Storage | null { return null; }
export function argReduce(be: WasmBackend, op: ArgReduceOp, x: View, axis: number): Storage | null { return null; }
export function softmax(be: WasmBackend, x: View, axis: number, log: boolean): Storage | null { return null; }
export function softmaxBackward(be: WasmBackend, y: View, g: View, axis: number, log: boolean): Storage | null { return null; }
export function normalize(be: WasmBackend, x: View, axes: readonly number[], eps: number): Normalized | null { return null; }
export function normalizeBackward(be: WasmBackend, g: View, y: View, rstd: View, axes: readonly number[]): Storage | null { return null; }
