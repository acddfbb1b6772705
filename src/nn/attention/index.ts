/** The attention blocks, one file each, and the registry that builds them by their PyTorch names. */
export { createBlock, blockNames } from './registry.js';
export type { Block, BlockSpec } from './spec.js';
