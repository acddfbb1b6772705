/**
 * Memory management. A Storage is shared by every tensor that views it and is
 * freed when the last of them is released: by `dispose()`, by the end of a
 * `tidy()` scope, or (as a safety net) when the garbage collector reclaims
 * the tensor object.
 */
import type { Backend, Storage } from './backends/backend.js';

/** A storage plus the count of tensors that hold it. */
export class StorageRef {
  private refs = 0;
  constructor(readonly storage: Storage) {}
  retain(): void { this.refs++; liveByBackend.set(this.backend, (liveByBackend.get(this.backend) ?? 0) + 1); }
  release(): void {
    this.refs--;
    liveByBackend.set(this.backend, (liveByBackend.get(this.backend) ?? 1) - 1);
    if (this.refs === 0) this.storage.backend.free(this.storage);
  }
  get backend(): Backend { return this.storage.backend; }
}

/** Live tensor count per backend. */
const liveByBackend = new Map<Backend, number>();

/** What a tensor hands to the memory system: its storage ref and a disposed flag. */
export interface Owned {
  readonly ref: StorageRef;
  isDisposed: boolean;
  dispose(): void;
}

// The safety net: a tensor collected by GC without dispose() still releases its storage.
const registry = new FinalizationRegistry<StorageRef>((ref) => ref.release());

/** Called by every new tensor. */
export function track(t: Owned): void {
  t.ref.retain();
  registry.register(t, t.ref, t);
  const scope = scopes[scopes.length - 1];
  if (scope) scope.add(t);
}

/** Called by dispose(): release once, and stop the GC from releasing again. */
export function untrack(t: Owned): void {
  registry.unregister(t);
  t.ref.release();
}

// ---- tidy scopes --------------------------------------------------------------

const scopes: Set<Owned>[] = [];

/** Exempt tensors from disposal by the enclosing tidy scopes (for example parameters, or gradients). */
export function keep<T extends Owned>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

/** Walk a returned value for tensors to keep (tensor, array, or plain object of them). */
function collect(value: unknown, out: Set<Owned>): void {
  if (value === null || typeof value !== 'object') return;
  if ('ref' in value && (value as Owned).ref instanceof StorageRef) { out.add(value as Owned); return; }
  if (Array.isArray(value)) { for (const v of value) collect(v, out); return; }
  if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, out);
}

function closeScope(scope: Set<Owned>, result: unknown): void {
  const idx = scopes.lastIndexOf(scope);
  if (idx >= 0) scopes.splice(idx, 1);
  const kept = new Set<Owned>();
  collect(result, kept);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (kept.has(t)) parent?.add(t); // a returned tensor now belongs to the outer scope
    else if (!t.isDisposed) t.dispose();
  }
}

/**
 * Run `fn` and dispose every tensor it created except those it returns
 * (a tensor, or arrays/objects of tensors). Works with async functions: the
 * scope stays open until the promise settles. Limitation: tensors created by
 * unrelated code that runs while an async scope is open are also counted in it.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Owned>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    closeScope(scope, undefined);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (v) => { closeScope(scope, v); return v; },
      (e) => { closeScope(scope, undefined); throw e; },
    ) as T;
  }
  closeScope(scope, result);
  return result;
}

/** Live tensors and bytes held, per backend. */
export function memory(): Record<string, { tensors: number; bytes: number }> {
  const out: Record<string, { tensors: number; bytes: number }> = {};
  for (const [be, n] of liveByBackend) out[be.name] = { tensors: n, bytes: be.bytesInUse() };
  return out;
}
