/** Placeholder: AxialAttention is being written. */
import { blockSpec } from './spec.js';
export const AxialAttentionSpec = blockSpec('AxialAttention', ['in_planes', 'out_planes', 'groups', 'kernel_size', 'stride', 'bias', 'width'], () => { throw new Error('AxialAttention: not implemented yet'); });
