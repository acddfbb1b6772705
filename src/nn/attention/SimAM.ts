/** Placeholder: SimAM is being written. */
import { blockSpec } from './spec.js';
export const SimAMSpec = blockSpec('SimAM', ['e_lambda'], () => { throw new Error('SimAM: not implemented yet'); });
