/**
 * The wasm backend: tensors live in the linear memory of one instance of
 * build/kernels.wasm (AssemblyScript, 128-bit SIMD). A storage is a pointer;
 * kernels get pointers, never copies.
 *
 * A kernel that is not (yet) written in AssemblyScript for a case — another
 * dtype, a layout the native kernel does not take, or a whole op — runs the
 * js reference kernel on a copy of the inputs and copies the result back
 * (`viaJs`). So every op works on wasm from the start, and native kernels
 * replace the reference path one by one, each checked against it by the
 * same tests. float64 always takes the reference path.
 */
import { bytesPerElement, type DType, type TypedArray } from '../../dtype.js';
import type {
  ArgReduceOp, Backend, BinaryOp, Conv2dParams, Normalized, Pair, Pool2dParams, ReduceOp, Storage, UnaryOp, View, WindowParams, WithIndices,
} from '../backend.js';
import { JsBackend, JsStorage } from '../js/index.js';
import type { WasmKernels } from './loader.js';
import * as elementwise from './native/elementwise.js';
import * as reduce from './native/reduce.js';
import * as matmul from './native/matmul.js';
import * as conv from './native/conv.js';

export class WasmStorage implements Storage {
  constructor(readonly backend: WasmBackend, readonly dtype: DType, readonly size: number, public ptr: number) {}
}

type Result = Storage | WithIndices | Normalized | { dx: Storage; dgrid: Storage } | void;

export class WasmBackend implements Backend {
  readonly name = 'wasm';
  private live = 0;
  private readonly js = new JsBackend();

  constructor(readonly k: WasmKernels) {}

  // ---- memory -----------------------------------------------------------------
  private make(dtype: DType, size: number): WasmStorage {
    const bytes = size * bytesPerElement(dtype);
    const limit = 0xffff0000; // 4 GiB of linear memory, less a guard
    if (this.k.memory.buffer.byteLength + bytes > limit && bytes > 0) {
      throw new RangeError(`wasm: out of memory allocating ${bytes} bytes for a ${dtype} tensor of ${size} elements (linear memory is ${this.k.memory.buffer.byteLength} bytes, the limit is 4 GiB); free tensors with dispose() or tidy()`);
    }
    let ptr: number;
    try {
      ptr = this.k.alloc(Math.max(bytes, 16));
    } catch (e) {
      throw new RangeError(`wasm: out of memory allocating ${bytes} bytes (${(e as Error).message})`);
    }
    this.live += bytes;
    return new WasmStorage(this, dtype, size, ptr);
  }

  /** A typed array over the storage's memory, taken now (memory growth detaches older views). */
  array(s: Storage): TypedArray {
    const w = s as WasmStorage;
    const buf = this.k.memory.buffer;
    switch (w.dtype) {
      case 'float32': return new Float32Array(buf, w.ptr, w.size);
      case 'float64': return new Float64Array(buf, w.ptr, w.size);
      case 'int32': return new Int32Array(buf, w.ptr, w.size);
      case 'bool': return new Uint8Array(buf, w.ptr, w.size);
    }
  }

  zeros(dtype: DType, size: number): Storage {
    const s = this.make(dtype, size);
    this.array(s).fill(0);
    return s;
  }
  upload(data: ArrayLike<number>, dtype: DType): Storage {
    const s = this.make(dtype, data.length);
    this.array(s).set(data);
    return s;
  }
  async read(s: Storage): Promise<TypedArray> { return this.readSync(s); }
  readSync(s: Storage): TypedArray { return this.array(s).slice(); }
  free(s: Storage): void {
    const w = s as WasmStorage;
    if (w.ptr === 0) return;
    this.k.free(w.ptr);
    w.ptr = 0;
    this.live -= w.size * bytesPerElement(w.dtype);
  }
  bytesInUse(): number { return this.live; }

  // ---- helpers for the native bindings (src/backends/wasm/native/) ------------------
  /** A fresh storage of `size` elements (uninitialised memory). */
  alloc(dtype: DType, size: number): WasmStorage {
    return this.make(dtype, size);
  }

  /** Byte address of a view's first element. */
  address(v: View): number {
    return (v.storage as WasmStorage).ptr + v.offset * bytesPerElement(v.storage.dtype);
  }

  /** True when the view is row-major with no gaps (its elements are one run from address(v)). */
  isContiguous(v: View): boolean {
    let expected = 1;
    for (let i = v.shape.length - 1; i >= 0; i--) {
      if (v.shape[i] !== 1 && v.strides[i] !== expected) return false;
      expected *= v.shape[i];
    }
    return true;
  }

  /**
   * Run `fn` with the byte address of each view laid out contiguously:
   * contiguous views are passed as they are, others are copied by the native
   * strided-copy kernel into temporaries that are freed afterwards.
   */
  withContiguous<T>(views: readonly View[], fn: (...addresses: number[]) => T): T {
    const temps: WasmStorage[] = [];
    try {
      // inside the try: a copy that fails (out of memory) still frees the earlier ones
      const addrs = views.map((v) => {
        if (this.isContiguous(v)) return this.address(v);
        const t = this.stridedCopy(v);
        temps.push(t);
        return t.ptr;
      });
      return fn(...addrs);
    } finally {
      for (const t of temps) this.free(t);
    }
  }

  /** Run `fn` with int32 arrays written to temporary memory (shapes, strides, axes), freed afterwards. */
  withI32<T>(arrays: readonly (readonly number[])[], fn: (...addresses: number[]) => T): T {
    const temps = arrays.map((a) => this.upload(a.length ? a : [0], 'int32') as WasmStorage);
    try {
      return fn(...temps.map((t) => t.ptr));
    } finally {
      for (const t of temps) this.free(t);
    }
  }

  /** A contiguous copy of a view, by the native strided-copy kernel (same dtype). */
  stridedCopy(v: View): WasmStorage {
    const n = v.shape.reduce((a, b) => a * b, 1);
    const out = this.make(v.storage.dtype, n);
    const width = bytesPerElement(v.storage.dtype);
    const kernel = width === 4 ? 'copyStrided32' : width === 8 ? 'copyStrided64' : 'copyStrided8';
    this.withI32([v.shape, v.strides], (shape, strides) => this.k.fn[kernel](this.address(v), out.ptr, v.shape.length, shape, strides, n));
    return out;
  }

  // ---- the reference path ---------------------------------------------------------
  /** The same views over js copies of their storages (one copy per distinct storage). */
  private toJs(views: readonly View[]): View[] {
    const copies = new Map<Storage, JsStorage>();
    return views.map((v) => {
      let c = copies.get(v.storage);
      if (!c) {
        c = new JsStorage(this.js, v.storage.dtype, this.array(v.storage).slice());
        copies.set(v.storage, c);
      }
      return { storage: c, shape: v.shape, strides: v.strides, offset: v.offset };
    });
  }

  private fromJs(s: Storage): Storage {
    const data = (s as JsStorage).data;
    const out = this.upload(data, s.dtype);
    this.js.free(s);
    return out;
  }

  /** Run a js reference kernel on copies of the inputs and bring its result(s) back. */
  private viaJs<T extends Result>(views: readonly View[], run: (js: JsBackend, v: View[]) => T): T {
    const r = run(this.js, this.toJs(views)) as Result;
    if (r === undefined) return r as T;
    if ('ptr' in (r as object) || r instanceof JsStorage) return this.fromJs(r as Storage) as T;
    const out: Record<string, Storage> = {};
    for (const [k, v] of Object.entries(r as Record<string, Storage>)) out[k] = this.fromJs(v);
    return out as unknown as T;
  }

  // ---- kernels ---------------------------------------------------------------------------
  copy(x: View, dtype?: DType): Storage {
    return elementwise.copy(this, x, dtype) ?? this.viaJs([x], (js, [v]) => js.copy(v, dtype));
  }

  assign(dst: View, src: View): void {
    if (elementwise.assign(this, dst, src)) return;
    // write through a js copy of the destination storage, then copy it back whole
    const [d, s] = this.toJs([dst, src]);
    this.js.assign(d, s);
    this.array(dst.storage).set((d.storage as JsStorage).data);
  }

  unary(op: UnaryOp, x: View, args?: readonly number[]): Storage { return elementwise.unary(this, op, x, args) ?? this.viaJs([x], (js, [v]) => js.unary(op, v, args)); }
  binary(op: BinaryOp, a: View, b: View): Storage { return elementwise.binary(this, op, a, b) ?? this.viaJs([a, b], (js, [p, q]) => js.binary(op, p, q)); }
  where(c: View, a: View, b: View): Storage { return elementwise.where(this, c, a, b) ?? this.viaJs([c, a, b], (js, [p, q, r]) => js.where(p, q, r)); }
  reduce(op: ReduceOp, x: View, axes: readonly number[]): Storage { return reduce.reduce(this, op, x, axes) ?? this.viaJs([x], (js, [v]) => js.reduce(op, v, axes)); }
  argReduce(op: ArgReduceOp, x: View, axis: number): Storage { return reduce.argReduce(this, op, x, axis) ?? this.viaJs([x], (js, [v]) => js.argReduce(op, v, axis)); }
  matmul(a: View, b: View): Storage { return matmul.matmul(this, a, b) ?? this.viaJs([a, b], (js, [p, q]) => js.matmul(p, q)); }
  softmax(x: View, axis: number, log: boolean): Storage { return reduce.softmax(this, x, axis, log) ?? this.viaJs([x], (js, [v]) => js.softmax(v, axis, log)); }
  softmaxBackward(y: View, g: View, axis: number, log: boolean): Storage {
    return reduce.softmaxBackward(this, y, g, axis, log) ?? this.viaJs([y, g], (js, [p, q]) => js.softmaxBackward(p, q, axis, log));
  }
  gather(x: View, axis: number, index: View): Storage { return conv.gather(this, x, axis, index) ?? this.viaJs([x, index], (js, [p, q]) => js.gather(p, axis, q)); }
  scatterAdd(shape: readonly number[], axis: number, index: View, src: View): Storage {
    return conv.scatterAdd(this, shape, axis, index, src) ?? this.viaJs([index, src], (js, [p, q]) => js.scatterAdd(shape, axis, p, q));
  }
  conv2d(x: View, w: View, p: Conv2dParams): Storage { return conv.conv2d(this, x, w, p) ?? this.viaJs([x, w], (js, [a, b]) => js.conv2d(a, b, p)); }
  conv2dBackwardInput(g: View, w: View, inputShape: readonly number[], p: Conv2dParams): Storage {
    return conv.conv2dBackwardInput(this, g, w, inputShape, p) ?? this.viaJs([g, w], (js, [a, b]) => js.conv2dBackwardInput(a, b, inputShape, p));
  }
  conv2dBackwardWeight(x: View, g: View, weightShape: readonly number[], p: Conv2dParams): Storage {
    return conv.conv2dBackwardWeight(this, x, g, weightShape, p) ?? this.viaJs([x, g], (js, [a, b]) => js.conv2dBackwardWeight(a, b, weightShape, p));
  }
  avgPool2d(x: View, p: Pool2dParams): Storage { return conv.avgPool2d(this, x, p) ?? this.viaJs([x], (js, [v]) => js.avgPool2d(v, p)); }
  avgPool2dBackward(g: View, inputShape: readonly number[], p: Pool2dParams): Storage {
    return conv.avgPool2dBackward(this, g, inputShape, p) ?? this.viaJs([g], (js, [v]) => js.avgPool2dBackward(v, inputShape, p));
  }
  maxPool2d(x: View, p: Pool2dParams): WithIndices { return conv.maxPool2d(this, x, p) ?? this.viaJs([x], (js, [v]) => js.maxPool2d(v, p)); }
  adaptiveAvgPool2d(x: View, outSize: Pair): Storage { return conv.adaptiveAvgPool2d(this, x, outSize) ?? this.viaJs([x], (js, [v]) => js.adaptiveAvgPool2d(v, outSize)); }
  adaptiveAvgPool2dBackward(g: View, inputShape: readonly number[]): Storage {
    return conv.adaptiveAvgPool2dBackward(this, g, inputShape) ?? this.viaJs([g], (js, [v]) => js.adaptiveAvgPool2dBackward(v, inputShape));
  }
  adaptiveMaxPool2d(x: View, outSize: Pair): WithIndices { return conv.adaptiveMaxPool2d(this, x, outSize) ?? this.viaJs([x], (js, [v]) => js.adaptiveMaxPool2d(v, outSize)); }
  im2col(x: View, p: WindowParams): Storage { return conv.im2col(this, x, p) ?? this.viaJs([x], (js, [v]) => js.im2col(v, p)); }
  col2im(cols: View, outputSize: Pair, p: WindowParams): Storage { return conv.col2im(this, cols, outputSize, p) ?? this.viaJs([cols], (js, [v]) => js.col2im(v, outputSize, p)); }
  gridSample(x: View, grid: View, alignCorners: boolean): Storage {
    return conv.gridSample(this, x, grid, alignCorners) ?? this.viaJs([x, grid], (js, [a, b]) => js.gridSample(a, b, alignCorners));
  }
  gridSampleBackward(g: View, x: View, grid: View, alignCorners: boolean): { dx: Storage; dgrid: Storage } {
    return conv.gridSampleBackward(this, g, x, grid, alignCorners) ?? this.viaJs([g, x, grid], (js, [a, b, c]) => js.gridSampleBackward(a, b, c, alignCorners));
  }
  normalize(x: View, axes: readonly number[], eps: number): Normalized { return reduce.normalize(this, x, axes, eps) ?? this.viaJs([x], (js, [v]) => js.normalize(v, axes, eps)); }
  normalizeBackward(g: View, y: View, rstd: View, axes: readonly number[]): Storage {
    return reduce.normalizeBackward(this, g, y, rstd, axes) ?? this.viaJs([g, y, rstd], (js, [a, b, c]) => js.normalizeBackward(a, b, c, axes));
  }
}

