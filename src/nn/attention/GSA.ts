/** Placeholder: GSA is being written. */
import { blockSpec } from './spec.js';
export const GSASpec = blockSpec('GSA', ['dim_in', 'dim_out'], () => { throw new Error('GSA: not implemented yet'); });
export const LayerNormSpec = blockSpec('LayerNorm', ['normalized_shape', 'eps', 'data_format'], () => { throw new Error('LayerNorm: not implemented yet'); });
