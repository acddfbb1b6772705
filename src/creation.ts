/**
 * Making tensors: from data, filled, ranges, identity, random. Every function
 * takes options `{dtype, requiresGrad, backend}` (defaults: the default dtype (float32), false,
 * the current backend).
 */
import type { Backend } from './backends/backend.js';
import { getBackend } from './backends/registry.js';
import { arrayFor, type DType, isFloating, type TypedArray } from './dtype.js';
import { fromStorage } from './ops/core.js';
import { defaultGenerator, type Generator } from './random.js';
import { fmtShape, numel } from './shape.js';
import { type NestedArray, Tensor } from './tensor.js';

let defaultDtype: 'float32' | 'float64' = 'float32';

/**
 * The floating dtype that creation functions use when none is given (and so
 * the dtype of new module parameters), like torch.set_default_dtype. float64
 * exists on the js backend only; it is for checking against float64 references
 */
export function setDefaultDtype(dtype: 'float32' | 'float64'): void {
  if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`setDefaultDtype: expected 'float32' or 'float64', got ${String(dtype)}`);
  defaultDtype = dtype;
}

export function getDefaultDtype(): 'float32' | 'float64' {
  return defaultDtype;
}

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  /** Defaults to the backend chosen with setBackend. */
  backend?: Backend;
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

function validShape(op: string, shape: readonly number[]): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new RangeError(`${op}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return [...shape];
}

function finish(t: Tensor, opts: TensorOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function fromValues(op: string, values: ArrayLike<number>, shape: readonly number[], opts: TensorOptions, dtype: DType): Tensor {
  const be = opts.backend ?? getBackend();
  return finish(fromStorage(be.upload(values, dtype), validShape(op, shape)), opts);
}

function inferDType(data: unknown): DType {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'bool';
  if (typeof data === 'boolean') return 'bool';
  if (Array.isArray(data)) return data.length > 0 ? inferDType(data[0]) : defaultDtype;
  return defaultDtype;
}

/** Flatten nested arrays, checking that they are rectangular. */
function flattenNested(data: NestedArray, shape: number[], out: number[], depth = 0): void {
  if (!Array.isArray(data)) {
    if (depth !== shape.length) throw new RangeError(`tensor: nested array is ragged (a value at depth ${depth}, expected depth ${shape.length})`);
    out.push(typeof data === 'boolean' ? +data : data);
    return;
  }
  if (depth === shape.length) shape.push(data.length);
  else if (shape[depth] !== data.length) throw new RangeError(`tensor: nested array is ragged (length ${data.length} at depth ${depth}, expected ${shape[depth]})`);
  for (const d of data) flattenNested(d, shape, out, depth + 1);
}

/**
 * A tensor from data: a number or boolean (0-d), nested arrays, or a typed
 * array with a shape. Numbers default to float32 (JavaScript has no integer
 * literals); Int32Array gives int32, Float64Array float64, booleans bool.
 */
export function tensor(data: NestedArray | TypedArray | readonly number[], shapeOrOpts?: readonly number[] | TensorOptions, maybeOpts: TensorOptions = {}): Tensor {
  const shapeGiven = Array.isArray(shapeOrOpts) ? (shapeOrOpts as number[]) : undefined;
  const opts = (Array.isArray(shapeOrOpts) ? maybeOpts : (shapeOrOpts as TensorOptions | undefined)) ?? {};
  const dtype = opts.dtype ?? inferDType(data);
  let values: ArrayLike<number>;
  let shape: number[];
  if (ArrayBuffer.isView(data)) {
    values = data as TypedArray;
    shape = shapeGiven ?? [values.length];
  } else {
    const flat: number[] = [];
    shape = [];
    flattenNested(data as NestedArray, shape, flat);
    values = flat;
    if (shapeGiven) shape = shapeGiven;
  }
  if (numel(shape) !== values.length) throw new RangeError(`tensor: ${values.length} values do not fill shape ${fmtShape(shape)}`);
  if (!isFloating(dtype) && opts.requiresGrad) throw new TypeError(`tensor: only floating point tensors can require gradients (dtype ${dtype})`);
  return fromValues('tensor', values, shape, opts, dtype);
}

export function full(shape: readonly number[], value: number, opts: TensorOptions = {}): Tensor {
  const dtype = opts.dtype ?? defaultDtype;
  const a = arrayFor(dtype, numel(validShape('full', shape)));
  a.fill(value);
  return fromValues('full', a, shape, opts, dtype);
}

export function zeros(shape: readonly number[], opts: TensorOptions = {}): Tensor {
  const dtype = opts.dtype ?? defaultDtype;
  const be = opts.backend ?? getBackend();
  return finish(fromStorage(be.zeros(dtype, numel(validShape('zeros', shape))), shape), opts);
}

export const ones = (shape: readonly number[], opts: TensorOptions = {}): Tensor => full(shape, 1, opts);

const likeOpts = (t: Tensor, opts: TensorOptions): TensorOptions => ({ dtype: t.dtype, backend: t.backend, ...opts });
export const zerosLike = (t: Tensor, opts: TensorOptions = {}): Tensor => zeros(t.shape, likeOpts(t, opts));
export const onesLike = (t: Tensor, opts: TensorOptions = {}): Tensor => full(t.shape, 1, likeOpts(t, opts));
export const fullLike = (t: Tensor, value: number, opts: TensorOptions = {}): Tensor => full(t.shape, value, likeOpts(t, opts));

/** start, start + step, ... up to (not including) end; `arange(n)` is 0..n−1. */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new RangeError(`arange: step must be a non-zero finite number, got ${step}`);
  if ((end - start) / step < 0) throw new RangeError(`arange: the range [${start}, ${end}) cannot be walked with step ${step}`);
  const n = Math.ceil((end - start) / step);
  const values = Array.from({ length: n }, (_, i) => start + i * step);
  return fromValues('arange', values, [n], opts, opts.dtype ?? defaultDtype);
}

/** `steps` evenly spaced values from start to end, both included. */
export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // like PyTorch, the second half counts back from `end` so the last value is exact
  const half = Math.max(Math.floor(steps / 2), 1); // steps = 1 gives [start], as in PyTorch
  const values = Array.from({ length: steps }, (_, i) => (i < half ? start + i * step : end - (steps - 1 - i) * step));
  return fromValues('linspace', values, [steps], opts, opts.dtype ?? defaultDtype);
}

/** An n×m matrix with ones on the diagonal. */
export function eye(n: number, m = n, opts: TensorOptions = {}): Tensor {
  const dtype = opts.dtype ?? defaultDtype;
  const a = arrayFor(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) a[i * m + i] = 1;
  return fromValues('eye', a, [n, m], opts, dtype);
}

function sample(op: string, shape: readonly number[], opts: RandomOptions, draw: (g: Generator) => number): Tensor {
  const dtype = opts.dtype ?? defaultDtype;
  const g = opts.generator ?? defaultGenerator;
  const a = arrayFor(dtype, numel(validShape(op, shape)));
  for (let i = 0; i < a.length; i++) a[i] = draw(g);
  return fromValues(op, a, shape, opts, dtype);
}

/** Uniform on [0, 1). */
export const rand = (shape: readonly number[], opts: RandomOptions = {}): Tensor => sample('rand', shape, opts, (g) => g.uniform());
/** Standard normal. */
export const randn = (shape: readonly number[], opts: RandomOptions = {}): Tensor => sample('randn', shape, opts, (g) => g.normal());
/** Uniform integers in [low, high), int32 unless another dtype is asked for. */
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  if (!(high > low)) throw new RangeError(`randint: high (${high}) must be greater than low (${low})`);
  return sample('randint', shape, { dtype: 'int32', ...opts }, (g) => g.integer(low, high));
}
export const randLike = (t: Tensor, opts: RandomOptions = {}): Tensor => rand(t.shape, likeOpts(t, opts));
export const randnLike = (t: Tensor, opts: RandomOptions = {}): Tensor => randn(t.shape, likeOpts(t, opts));
