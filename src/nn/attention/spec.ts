/**
 * How the registry builds a block from PyTorch's spelling: the reference
 * class name and its constructor's keyword arguments (`{dim_in: 64}`), so a
 * PyTorch config drops in unchanged. Each block file exports one BlockSpec.
 */
import type { Tensor } from '../../tensor.js';
import type { Module } from '../module.js';

/** An attention block: a module mapping one tensor to one tensor. */
export type Block = Module & { forward(x: Tensor): Tensor };

/** Keyword arguments in Python spelling, read with checks. */
export class Kwargs {
  private readonly used = new Set<string>();
  constructor(readonly block: string, private readonly values: Readonly<Record<string, unknown>>) {}

  /** A required argument. */
  required<T>(name: string): T {
    if (!(name in this.values) || this.values[name] === undefined) {
      throw new TypeError(`${this.block}: missing required argument '${name}'`);
    }
    return this.get<T>(name, undefined as T);
  }

  /** An optional argument; null counts as given (Python's None). */
  get<T>(name: string, fallback: T): T {
    this.used.add(name);
    return (name in this.values && this.values[name] !== undefined ? this.values[name] : fallback) as T;
  }

  /** Throws on keywords the block does not take, like Python's TypeError. */
  checkNoneLeft(accepted: readonly string[]): void {
    for (const k of Object.keys(this.values)) {
      if (!accepted.includes(k)) throw new TypeError(`${this.block}: unexpected keyword argument '${k}' (accepted: ${accepted.join(', ')})`);
    }
  }
}

export interface BlockSpec {
  /** The reference PyTorch class name, exactly. */
  readonly name: string;
  /** The reference constructor's keyword names, in order. */
  readonly args: readonly string[];
  /** Build from Python-spelled kwargs (values already validated against `args`). */
  readonly create: (kw: Kwargs) => Block;
}

export function blockSpec(name: string, args: readonly string[], create: (kw: Kwargs) => Block): BlockSpec {
  return { name, args, create };
}
