/** torchlet's public API: re-exports only. */
export { Tensor } from './tensor.js';
export type { TensorOrScalar, Scalar, NestedArray } from './tensor.js';
export type { DType, TypedArray } from './dtype.js';
export type { Backend, Storage, View } from './backends/backend.js';
export { setBackend, getBackend, registerBackend, backendNames } from './backends/registry.js';
export {
  tensor, zeros, ones, full, arange, linspace, eye, rand, randn, randint,
  zerosLike, onesLike, fullLike, randLike, randnLike, setDefaultDtype, getDefaultDtype,
} from './creation.js';
export type { TensorOptions, RandomOptions } from './creation.js';
export { Generator, manualSeed } from './random.js';
export { noGrad, isGradEnabled } from './autograd.js';
export { gradcheck } from './gradcheck.js';
export type { GradcheckOptions, GradcheckResult } from './gradcheck.js';
export { tidy, keep, memory } from './memory.js';
export {
  cat, stack, where, matmul, bmm, linear, einsum, dropout,
  softmax, logSoftmax, maximum, minimum, gelu, relu, sigmoid, tanh,
} from './ops/index.js';
export * as ops from './ops/index.js';
/** The functional API, like torch.nn.functional: F.conv2d, F.layerNorm, F.pad, ... */
export * as F from './ops/index.js';
export { loadSafetensors, readSafetensorsMetadata, saveSafetensors } from './io/safetensors.js';
export * as nn from './nn/index.js';
export { Module } from './nn/module.js';
export { createBlock, blockNames } from './nn/attention/index.js';
