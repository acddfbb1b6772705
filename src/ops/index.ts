/** Every op, by family. Tensor methods and the public API call into these. */
export * from './core.js';
export * from './view.js';
export * from './elementwise.js';
export * from './reduce.js';
export * from './softmax.js';
export * from './matmul.js';
export * from './einsum.js';
export * from './indexing.js';
export * from './dropout.js';
export { zerosLike, onesLike } from '../creation.js';
export * from './conv.js';
export * from './pool.js';
export * from './fold.js';
export * from './pad.js';
export * from './resample.js';
export * from './norm.js';
export * from './inplace.js';
