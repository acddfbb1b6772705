// A wasm kernel table whose functions count their calls, shared by the wasm
// kernel suites (test/wasm-elementwise.test.ts, test/wasm-reduce.test.ts), so
// a test can assert that the native path was really taken.
import { loadEmbeddedKernels, type WasmKernels } from '../../src/backends/wasm/loader.js';

export interface CountingKernels {
  /** The embedded kernels, unspied (raw exports). */
  kernels: WasmKernels;
  /** The same kernels, each function counting its calls by export name. */
  spied: WasmKernels;
  /** How many times the export `name` has been called through `spied`. */
  count: (name: string) => number;
}

/** Loads the embedded kernels and wraps every function of the table in a call counter. */
export function countingKernels(): CountingKernels {
  const kernels = loadEmbeddedKernels();
  const calls = new Map<string, number>();
  const spied: WasmKernels = {
    ...kernels,
    fn: Object.fromEntries(Object.entries(kernels.fn).map(([name, f]) => [
      name,
      typeof f === 'function' ? (...args: number[]) => { calls.set(name, (calls.get(name) ?? 0) + 1); return f(...args); } : f,
    ])),
  };
  return { kernels, spied, count: (name) => calls.get(name) ?? 0 };
}
