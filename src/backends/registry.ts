/**
 * Which backend new tensors are created on. Backends register a factory;
 * `setBackend(name)` instantiates it (async: wasm and WebGPU load first).
 */
import type { Backend } from './backend.js';
import { JsBackend } from './js/index.js';
import { WasmBackend } from './wasm/index.js';
import { loadKernels } from './wasm/loader.js';

type Factory = () => Backend | Promise<Backend>;

const factories = new Map<string, Factory>();
const instances = new Map<string, Backend>();
const js = new JsBackend();
instances.set('js', js);
factories.set('js', () => js);
factories.set('wasm', async () => new WasmBackend(await loadKernels()));

let current: Backend = js;

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

export function getBackend(): Backend {
  return current;
}

export function backendNames(): string[] {
  return [...factories.keys()];
}
