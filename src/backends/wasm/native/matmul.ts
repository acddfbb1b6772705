/** Native binding: batched matmul. (Placeholder: the packed SIMD GEMM is being written.) */
import type { Storage, View } from '../../backend.js';
import type { WasmBackend } from '../index.js';

export function matmul(be: WasmBackend, a: View, b: View): Storage | null { return null; }
