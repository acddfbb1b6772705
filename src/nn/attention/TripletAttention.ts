/** Placeholder: TripletAttention is being written. */
import { blockSpec } from './spec.js';
export const TripletAttentionSpec = blockSpec('TripletAttention', ['no_spatial'], () => { throw new Error('TripletAttention: not implemented yet'); });
