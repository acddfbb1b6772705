/** The js backend's storage: a plain typed array. */
import type { DType, TypedArray } from '../../dtype.js';
import type { Backend, Storage, View } from '../backend.js';

export class JsStorage implements Storage {
  constructor(readonly backend: Backend, readonly dtype: DType, public data: TypedArray) {}
  get size(): number { return this.data.length; }
}

/** The typed array behind a view (index it with the view's offsets). */
export function dataOf(v: View): TypedArray {
  return (v.storage as JsStorage).data;
}
