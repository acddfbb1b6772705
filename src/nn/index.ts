/** torchlet.nn: modules, layers and initialisers. */
export { Module, Parameter, type LoadResult } from './module.js';
export * from './layers/index.js';
export * as init from './init.js';
export * from './attention/index.js';
