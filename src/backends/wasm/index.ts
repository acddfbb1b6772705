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
  copy(x: View, dtype?: DType): Storage { return this.viaJs([x], (js, [v]) => js.copy(v, dtype)); }

  assign(dst: View, src: View): void {
    // write through a js copy of the destination storage, then copy it back whole
    const [d, s] = this.toJs([dst, src]);
    this.js.assign(d, s);
    this.array(dst.storage).set((d.storage as JsStorage).data);
  }

  unary(op: UnaryOp, x: View, args?: readonly number[]): Storage { return this.viaJs([x], (js, [v]) => js.unary(op, v, args)); }
  binary(op: BinaryOp, a: View, b: View): Storage { return this.viaJs([a, b], (js, [p, q]) => js.binary(op, p, q)); }
  where(c: View, a: View, b: View): Storage { return this.viaJs([c, a, b], (js, [p, q, r]) => js.where(p, q, r)); }
  reduce(op: ReduceOp, x: View, axes: readonly number[]): Storage { return this.viaJs([x], (js, [v]) => js.reduce(op, v, axes)); }
  argReduce(op: ArgReduceOp, x: View, axis: number): Storage { return this.viaJs([x], (js, [v]) => js.argReduce(op, v, axis)); }
  matmul(a: View, b: View): Storage { return this.viaJs([a, b], (js, [p, q]) => js.matmul(p, q)); }
  softmax(x: View, axis: number, log: boolean): Storage { return this.viaJs([x], (js, [v]) => js.softmax(v, axis, log)); }
  softmaxBackward(y: View, g: View, axis: number, log: boolean): Storage {
    return this.viaJs([y, g], (js, [p, q]) => js.softmaxBackward(p, q, axis, log));
  }
  gather(x: View, axis: number, index: View): Storage { return this.viaJs([x, index], (js, [p, q]) => js.gather(p, axis, q)); }
  scatterAdd(shape: readonly number[], axis: number, index: View, src: View): Storage {
    return this.viaJs([index, src], (js, [p, q]) => js.scatterAdd(shape, axis, p, q));
  }
  conv2d(x: View, w: View, p: Conv2dParams): Storage { return this.viaJs([x, w], (js, [a, b]) => js.conv2d(a, b, p)); }
  conv2dBackwardInput(g: View, w: View, inputShape: readonly number[], p: Conv2dParams): Storage {
    return this.viaJs([g, w], (js, [a, b]) => js.conv2dBackwardInput(a, b, inputShape, p));
  }
  conv2dBackwardWeight(x: View, g: View, weightShape: readonly number[], p: Conv2dParams): Storage {
    return this.viaJs([x, g], (js, [a, b]) => js.conv2dBackwardWeight(a, b, weightShape, p));
  }
  avgPool2d(x: View, p: Pool2dParams): Storage { return this.viaJs([x], (js, [v]) => js.avgPool2d(v, p)); }
  avgPool2dBackward(g: View, inputShape: readonly number[], p: Pool2dParams): Storage {
    return this.viaJs([g], (js, [v]) => js.avgPool2dBackward(v, inputShape, p));
  }
  maxPool2d(x: View, p: Pool2dParams): WithIndices { return this.viaJs([x], (js, [v]) => js.maxPool2d(v, p)); }
  adaptiveAvgPool2d(x: View, outSize: Pair): Storage { return this.viaJs([x], (js, [v]) => js.adaptiveAvgPool2d(v, outSize)); }
  adaptiveAvgPool2dBackward(g: View, inputShape: readonly number[]): Storage {
    return this.viaJs([g], (js, [v]) => js.adaptiveAvgPool2dBackward(v, inputShape));
  }
  adaptiveMaxPool2d(x: View, outSize: Pair): WithIndices { return this.viaJs([x], (js, [v]) => js.adaptiveMaxPool2d(v, outSize)); }
  im2col(x: View, p: WindowParams): Storage { return this.viaJs([x], (js, [v]) => js.im2col(v, p)); }
  col2im(cols: View, outputSize: Pair, p: WindowParams): Storage { return this.viaJs([cols], (js, [v]) => js.col2im(v, outputSize, p)); }
  gridSample(x: View, grid: View, alignCorners: boolean): Storage {
    return this.viaJs([x, grid], (js, [a, b]) => js.gridSample(a, b, alignCorners));
  }
  gridSampleBackward(g: View, x: View, grid: View, alignCorners: boolean): { dx: Storage; dgrid: Storage } {
    return this.viaJs([g, x, grid], (js, [a, b, c]) => js.gridSampleBackward(a, b, c, alignCorners));
  }
  normalize(x: View, axes: readonly number[], eps: number): Normalized { return this.viaJs([x], (js, [v]) => js.normalize(v, axes, eps)); }
  normalizeBackward(g: View, y: View, rstd: View, axes: readonly number[]): Storage {
    return this.viaJs([g, y, rstd], (js, [a, b, c]) => js.normalizeBackward(a, b, c, axes));
  }
}

