/**
 * Loads build/kernels.wasm (compiled from assembly/ with `npm run build:wasm`)
 * and exposes its exports with types.
 *
 * Tensors live in the module's linear memory. JS passes byte addresses
 * ("pointers") returned by `alloc`, never copies per op, and reads or writes
 * values through typed-array views of `memory.buffer`.
 */

import { KERNELS_BASE64 } from './kernels.generated.js';

/** Raw exports of kernels.wasm. Pointers are byte addresses (u32 in wasm). */
export interface WasmExports {
  readonly memory: WebAssembly.Memory;
  /** Allocates `bytes` bytes, 16-byte aligned; may grow memory. */
  alloc(bytes: number): number;
  /** Frees a block returned by `alloc` (0 is ignored). */
  free(ptr: number): void;
  /** out[i] = a[i] + b[i], f32x4 SIMD with a scalar tail. */
  addF32(a: number, b: number, out: number, n: number): void;
  /** out[i] = a[i] + b[i], plain loop: the specification of addF32. */
  addF32Scalar(a: number, b: number, out: number, n: number): void;
}

export interface WasmKernels extends WasmExports {
  /** The instance, for bindings that need more than the typed exports. */
  readonly instance: WebAssembly.Instance;
  /** Every exported kernel by name (pointers and sizes in, nothing or a number out). */
  readonly fn: Readonly<Record<string, (...args: number[]) => number>>;
  /**
   * A fresh Float32Array over `length` floats at byte address `ptr`.
   * Call it again after every `alloc` (or anything that may allocate):
   * when the heap is full the allocator runs `memory.grow`, which replaces
   * `memory.buffer` with a larger ArrayBuffer and detaches the old one, so a
   * view taken before the allocation silently reads as empty (length 0).
   */
  f32(ptr: number, length: number): Float32Array;
}

/** build/kernels.wasm, three levels above both src/backends/wasm/ and dist/backends/wasm/. */
const KERNELS_URL = new URL('../../../build/kernels.wasm', import.meta.url);

/**
 * The smallest module that needs SIMD: `() -> v128 { i8x16.popcnt(i8x16.splat(0)) }`.
 * An engine without SIMD fails to validate it.
 */
// prettier-ignore
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic "\0asm", version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,       // type section: func () -> v128
  0x03, 0x02, 0x01, 0x00,                         // function section: func 0 has type 0
  0x0a, 0x0a, 0x01, 0x08, 0x00,                   // code section: 1 body, 8 bytes, no locals
  0x41, 0x00,                                     //   i32.const 0
  0xfd, 0x0f,                                     //   i8x16.splat
  0xfd, 0x62,                                     //   i8x16.popcnt
  0x0b,                                           //   end
]);

/** True when this engine validates 128-bit wasm SIMD. */
export function simdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
}

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}

async function readBytes(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  if (isNode() && url.protocol === 'file:') {
    // Imported dynamically so that browser bundles never see node:fs.
    const { readFile } = await import('node:fs/promises');
    try {
      return await readFile(url);
    } catch (e) {
      throw new Error(
        `torchlet wasm: cannot read ${url.href} (${(e as Error).message}); run \`npm run build:wasm\` first`,
      );
    }
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`torchlet wasm: fetching ${url.href} failed: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Reads an AssemblyScript string (UTF-16, byte length stored at ptr - 4). */
function readAsString(memory: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0) return '';
  const buf = memory.buffer;
  if (ptr < 4 || ptr > buf.byteLength) return `<string at ${ptr}>`;
  const bytes = new Uint32Array(buf, ptr - 4, 1)[0];
  if (ptr + bytes > buf.byteLength) return `<string at ${ptr}>`;
  const units = new Uint16Array(buf, ptr, bytes >>> 1);
  let s = '';
  for (let i = 0; i < units.length; i += 4096) {
    s += String.fromCharCode(...units.subarray(i, i + 4096));
  }
  return s;
}

/**
 * Instantiates the kernels. Each call makes a new instance with its own
 * memory; a backend should load once and keep the result.
 *
 * @param source the module: a URL (default: build/kernels.wasm next to the
 *   package) or its bytes.
 */
export async function loadKernels(source: URL | BufferSource = KERNELS_URL): Promise<WasmKernels> {
  requireSimd();
  const bytes = source instanceof URL ? await readBytes(source) : source;
  return instantiateKernels(bytes, source instanceof URL ? source.href : 'the given bytes');
}

/** The kernels embedded in the package at build time (no file read or fetch), instantiated synchronously. */
export function loadEmbeddedKernels(): WasmKernels {
  requireSimd();
  return instantiateKernels(decodeBase64(KERNELS_BASE64), 'the embedded kernels');
}

function requireSimd(): void {
  if (!simdSupported()) {
    throw new Error(
      'torchlet wasm: this WebAssembly engine does not support 128-bit SIMD ' +
        '(needs Node >= 16.4, Chrome >= 91, Firefox >= 89 or Safari >= 16.4)',
    );
  }
}

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof atob === 'function') {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** Validate and instantiate a kernels module synchronously (it is small: compiling it blocks for milliseconds). */
export function instantiateKernels(bytes: BufferSource, where: string): WasmKernels {
  if (!WebAssembly.validate(bytes)) {
    throw new Error(`torchlet wasm: ${where} is not a valid WebAssembly module; rebuild with \`npm run build:wasm\``);
  }

  let memory: WebAssembly.Memory | undefined;
  const imports = {
    env: {
      // AssemblyScript calls abort(message, fileName, line, column) on a failed
      // assertion (e.g. "Allocation too large" or a double free). Throwing here
      // unwinds the wasm call, so the caller gets an Error, not a hung instance.
      abort(msgPtr: number, filePtr: number, line: number, column: number): never {
        const msg = memory ? readAsString(memory, msgPtr) : `message at ${msgPtr}`;
        const file = memory ? readAsString(memory, filePtr) : `file at ${filePtr}`;
        throw new Error(`torchlet wasm: abort: ${msg} (${file}:${line}:${column})`);
      },
    },
  };
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
  const ex = instance.exports as unknown as WasmExports;
  for (const name of ['alloc', 'free', 'addF32', 'addF32Scalar'] as const) {
    if (typeof ex[name] !== 'function') throw new Error(`torchlet wasm: ${where} has no export '${name}'`);
  }
  if (!(ex.memory instanceof WebAssembly.Memory)) throw new Error(`torchlet wasm: ${where} exports no memory`);
  memory = ex.memory;
  const mem = ex.memory;

  return {
    instance,
    fn: instance.exports as unknown as Record<string, (...args: number[]) => number>,
    memory: mem,
    alloc(bytes) {
      // usize is i32 in wasm32: a number outside [0, 2^32) would wrap silently.
      if (!Number.isInteger(bytes) || bytes < 0 || bytes > 0xffffffff) {
        throw new RangeError(`torchlet wasm: alloc: ${bytes} is not a byte count in [0, 2^32)`);
      }
      // JS sees wasm i32 results as signed; >>> 0 keeps addresses above 2 GiB positive.
      return ex.alloc(bytes) >>> 0;
    },
    free: ex.free,
    addF32: ex.addF32,
    addF32Scalar: ex.addF32Scalar,
    // Always built from the current memory.buffer: never cache the result
    // across an allocation (see the interface comment).
    f32: (ptr, length) => new Float32Array(mem.buffer, ptr, length),
  };
}
