/** Containers: Sequential (children called in order) and ModuleList (an indexed list), keyed "0", "1", ... like PyTorch. */
import type { Tensor } from '../../tensor.js';
import { Module } from '../module.js';

/** A module whose forward takes one tensor and returns one. */
export interface TensorModule extends Module {
  forward(x: Tensor): Tensor;
}

export class Sequential extends Module {
  private readonly items: TensorModule[];
  constructor(...modules: TensorModule[]) {
    super();
    this.items = modules.map((m, i) => this.addModule(String(i), m));
  }
  get length(): number { return this.items.length; }
  at(i: number): TensorModule {
    const m = this.items[i < 0 ? i + this.items.length : i];
    if (!m) throw new RangeError(`Sequential: index ${i} is out of range for ${this.items.length} modules`);
    return m;
  }
  forward(x: Tensor): Tensor {
    return this.items.reduce((h, m) => m.forward(h), x);
  }
}

export class ModuleList<M extends Module = Module> extends Module {
  private readonly items: M[] = [];
  constructor(modules: readonly M[] = []) {
    super();
    for (const m of modules) this.append(m);
  }
  append(m: M): this {
    this.items.push(this.addModule(String(this.items.length), m));
    return this;
  }
  get length(): number { return this.items.length; }
  at(i: number): M {
    const m = this.items[i < 0 ? i + this.items.length : i];
    if (!m) throw new RangeError(`ModuleList: index ${i} is out of range for ${this.items.length} modules`);
    return m;
  }
  [Symbol.iterator](): Iterator<M> { return this.items[Symbol.iterator](); }
  forward(): never {
    throw new Error('ModuleList: has no forward; iterate over its modules');
  }
}
