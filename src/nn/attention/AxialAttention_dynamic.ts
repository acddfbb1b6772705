/** Placeholder: AxialAttention_dynamic is being written. */
import { blockSpec } from './spec.js';
export const AxialAttentionDynamicSpec = blockSpec('AxialAttention_dynamic', ['in_planes', 'out_planes', 'groups', 'kernel_size', 'stride', 'bias', 'width'], () => { throw new Error('AxialAttention_dynamic: not implemented yet'); });
