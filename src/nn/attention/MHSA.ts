/** Placeholder: MHSA is being written. */
import { blockSpec } from './spec.js';
export const MHSASpec = blockSpec('MHSA', ['n_dims', 'width', 'height', 'heads', 'pos_emb'], () => { throw new Error('MHSA: not implemented yet'); });
