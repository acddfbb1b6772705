/** Placeholder: sa_layer is being written. */
import { blockSpec } from './spec.js';
export const SALayerSpec = blockSpec('sa_layer', ['channel', 'groups'], () => { throw new Error('sa_layer: not implemented yet'); });
