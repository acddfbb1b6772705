/**
 * Module, like torch.nn.Module: a tree of modules that owns parameters
 * (trainable tensors) and buffers (state such as running statistics).
 * Names are registered explicitly, in order, so `stateDict()` keys are exactly
 * PyTorch's (`conv1.0.weight`, `bn_qkv.running_mean`, ...) whatever the
 * TypeScript field is called.
 */
import { noGrad } from '../autograd.js';
import { keep } from '../memory.js';
import { fmtShape, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { fromStorage } from '../ops/core.js';

/**
 * A parameter, like torch.nn.Parameter: a leaf tensor (cut from any graph)
 * that requires grad unless told otherwise. Register it with
 * `addParameter(name, ...)` (addParameter also accepts a plain tensor).
 */
export function Parameter(data: Tensor, requiresGrad = true): Tensor {
  const p = data.detach();
  p.requiresGrad = requiresGrad;
  return p;
}

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export abstract class Module {
  /** Train mode (batch statistics, dropout on) or eval mode. */
  training = true;
  private readonly params = new Map<string, Tensor | null>();
  private readonly buffers_ = new Map<string, { tensor: Tensor | null; persistent: boolean }>();
  private readonly children_ = new Map<string, Module>();

  abstract forward(...inputs: never[]): unknown;

  // ---- registration -------------------------------------------------------------
  /**
   * Register a parameter under `name` and return it: a leaf tensor that
   * requires grad (pass requiresGrad false for a frozen one, like
   * `nn.Parameter(..., requires_grad=False)`).
   */
  protected addParameter(name: string, t: Tensor, requiresGrad?: boolean): Tensor;
  protected addParameter(name: string, t: Tensor | null, requiresGrad?: boolean): Tensor | null;
  protected addParameter(name: string, t: Tensor | null, requiresGrad = true): Tensor | null {
    this.checkName(name);
    const p = t === null ? null : keep(t.isLeaf ? t : t.detach());
    if (p) p.requiresGrad = requiresGrad;
    this.params.set(name, p);
    return p;
  }

  /** Register state that is saved in the state dict (unless persistent is false) but not trained. */
  protected addBuffer(name: string, t: Tensor | null, persistent = true): Tensor | null {
    this.checkName(name);
    if (t) keep(t);
    this.buffers_.set(name, { tensor: t, persistent });
    return t;
  }

  /** Register a child module under `name`; returns it. */
  protected addModule<M extends Module>(name: string, m: M): M {
    this.checkName(name);
    this.children_.set(name, m);
    return m;
  }

  private checkName(name: string): void {
    if (!name || name.includes('.')) throw new Error(`Module: invalid name '${name}' (non-empty, no dots)`);
    if (this.params.has(name) || this.buffers_.has(name) || this.children_.has(name)) {
      throw new Error(`Module: '${name}' is already registered in ${this.constructor.name}`);
    }
  }

  /** Replace a registered buffer's tensor (for state that cannot be updated in place). */
  protected setBuffer(name: string, t: Tensor): void {
    const b = this.buffers_.get(name);
    if (!b) throw new Error(`Module: no buffer '${name}' in ${this.constructor.name}`);
    b.tensor?.dispose();
    b.tensor = keep(t);
  }

  getParameter(name: string): Tensor | null {
    return this.params.get(name) ?? null;
  }
  getBuffer(name: string): Tensor | null {
    return this.buffers_.get(name)?.tensor ?? null;
  }

  // ---- traversal ---------------------------------------------------------------------
  /** [name, module] for this module and every descendant (pre-order), like named_modules. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, m] of this.children_) out.push(...m.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  namedChildren(): [string, Module][] {
    return [...this.children_];
  }
  children(): Module[] {
    return [...this.children_.values()];
  }
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** [dotted name, tensor] of every parameter, in registration order (PyTorch's named_parameters). */
  namedParameters(prefix = '', recurse = true): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [mp, m] of mods) {
      for (const [n, p] of m.params) {
        if (!p || seen.has(p)) continue; // a shared parameter is listed once
        seen.add(p);
        out.push([mp ? `${mp}.${n}` : n, p]);
      }
    }
    return out;
  }

  parameters(recurse = true): Tensor[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }

  namedBuffers(prefix = '', recurse = true): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [mp, m] of mods) for (const [n, b] of m.buffers_) if (b.tensor) out.push([mp ? `${mp}.${n}` : n, b.tensor]);
    return out;
  }

  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  // ---- state ---------------------------------------------------------------------------
  /** Parameters and persistent buffers by their PyTorch keys (module order, then parameters before buffers). */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [mp, m] of this.namedModules()) {
      const key = (n: string) => (mp ? `${mp}.${n}` : n);
      for (const [n, p] of m.params) if (p) out[key(n)] = p;
      for (const [n, b] of m.buffers_) if (b.tensor && b.persistent) out[key(n)] = b.tensor;
    }
    return out;
  }

  /**
   * Copy values from `dict` into the parameters and buffers, in place. With
   * strict (the default) missing or unexpected keys are an error; shape
   * mismatches are always an error. Nothing is written unless all checks pass.
   */
  loadStateDict(dict: Record<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !(k in dict));
    const unexpectedKeys = Object.keys(dict).filter((k) => !(k in own));
    const problems: string[] = [];
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    for (const [k, t] of Object.entries(own)) {
      const src = dict[k];
      if (src && !shapesEqual(src.shape, t.shape)) problems.push(`size mismatch for ${k}: checkpoint ${fmtShape(src.shape)}, model ${fmtShape(t.shape)}`);
    }
    if (problems.length) throw new Error(`loadStateDict: error(s) in loading the state dict for ${this.constructor.name}: ${problems.join('; ')}`);
    noGrad(() => {
      for (const [k, t] of Object.entries(own)) {
        const src = dict[k];
        if (!src) continue;
        t.copy_(src.backend === t.backend ? src : moveTo(src, t));
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- modes and grads ------------------------------------------------------------------
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  /** Drop every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }
  /** Set requiresGrad on every parameter (freeze with false). */
  requiresGrad_(on = true): this {
    for (const p of this.parameters()) p.requiresGrad = on;
    return this;
  }
  /** Call fn on every module (children first, like PyTorch's apply). */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }
}

/** A copy of `src` on `like`'s backend, via the host. */
function moveTo(src: Tensor, like: Tensor): Tensor {
  return fromStorage(like.backend.upload(src.dataSync(), like.dtype), src.shape);
}
