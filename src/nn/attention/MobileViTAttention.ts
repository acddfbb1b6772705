/** Placeholder: MobileViTAttention is being written. */
import { blockSpec } from './spec.js';
export const MobileViTAttentionSpec = blockSpec('MobileViTAttention', ['in_channel', 'dim', 'kernel_size', 'patch_size', 'depth', 'heads', 'head_dim', 'mlp_dim'], () => { throw new Error('MobileViTAttention: not implemented yet'); });
