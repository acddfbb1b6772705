/**
 * Which backend new tensors are created on. Backends register a factory;
 * `setBackend(name)` instantiates it. The default is wasm (SIMD kernels,
 * embedded in the package and instantiated synchronously on first use); where
 * the engine lacks wasm SIMD, torchlet warns once and uses js.
 */
import type { Backend } from './backend.js';
import { JsBackend } from './js/index.js';
import { WasmBackend } from './wasm/index.js';
import { loadEmbeddedKernels, simdSupported } from './wasm/loader.js';

type Factory = () => Backend | Promise<Backend>;

const factories = new Map<string, Factory>();
const instances = new Map<string, Backend>();
const js = new JsBackend();
instances.set('js', js);
factories.set('js', () => js);
factories.set('wasm', () => wasmBackend());

let current: Backend | null = null;

function wasmBackend(): Backend {
  let be = instances.get('wasm');
  if (!be) {
    be = new WasmBackend(loadEmbeddedKernels());
    instances.set('wasm', be);
  }
  return be;
}

/** wasm where the engine has SIMD, else js (with a one-line warning). */
function defaultBackend(): Backend {
  if (simdSupported()) return wasmBackend();
  console.warn('torchlet: this WebAssembly engine lacks 128-bit SIMD; using the (slower) js backend');
  return js;
}

export function registerBackend(name: string, factory: Factory): void {
  factories.set(name, factory);
}

/** Make `name` the backend for new tensors. */
export async function setBackend(name: string): Promise<Backend> {
  let be = instances.get(name);
  if (!be) {
    const factory = factories.get(name);
    if (!factory) throw new Error(`setBackend: unknown backend '${name}' (available: ${[...factories.keys()].join(', ')})`);
    be = await factory();
    instances.set(name, be);
  }
  current = be;
  return be;
}

/** The backend new tensors go to (the default, wasm, is created on first use). */
export function getBackend(): Backend {
  if (!current) current = defaultBackend();
  return current;
}

export function backendNames(): string[] {
  return [...factories.keys()];
}
