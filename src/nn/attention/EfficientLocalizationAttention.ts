/** Placeholder: EfficientLocalizationAttention is being written. */
import { blockSpec } from './spec.js';
export const EfficientLocalizationAttentionSpec = blockSpec('EfficientLocalizationAttention', ['channel', 'kernel_size', 'groups', 'num_groups'], () => { throw new Error('EfficientLocalizationAttention: not implemented yet'); });
