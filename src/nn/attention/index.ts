/** The attention blocks, one file each, and the registry that builds them by their PyTorch names. */
export { createBlock, blockNames } from './registry.js';
export type { Block, BlockSpec } from './spec.js';
export { GSA, GSALayerNorm } from './GSA.js';
export { AxialAttention } from './AxialAttention.js';
export { AxialAttentionDynamic } from './AxialAttention_dynamic.js';
export { SALayer } from './sa_layer.js';
export { EfficientLocalizationAttention } from './EfficientLocalizationAttention.js';
export { CoTAttention } from './CoTAttention.js';
export { MobileViTAttention } from './MobileViTAttention.js';
export { SimAM } from './SimAM.js';
export { SKAttention } from './SKAttention.js';
export { ShuffleAttention } from './ShuffleAttention.js';
export { S2Attention, SplitAttention } from './S2Attention.js';
export { TripletAttention } from './TripletAttention.js';
export { ECAAttention } from './ECAAttention.js';
export { ParNetAttention } from './ParNetAttention.js';
export { MHSA } from './MHSA.js';
