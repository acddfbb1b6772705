/**
 * createBlock(name, kwargs): any attention block from its reference PyTorch
 * class name and constructor keywords, e.g.
 *   createBlock('GSA', {dim_in: 64, dim_out: 64})
 *   createBlock('MHSA', {n_dims: 64, width: 14, height: 14, heads: 4, pos_emb: true})
 * The block's stateDict() keys equal the PyTorch module's.
 */
import { type Block, type BlockSpec, Kwargs } from './spec.js';
import { GSASpec, LayerNormSpec } from './GSA.js';
import { AxialAttentionSpec } from './AxialAttention.js';
import { AxialAttentionDynamicSpec } from './AxialAttention_dynamic.js';
import { SALayerSpec } from './sa_layer.js';
import { EfficientLocalizationAttentionSpec } from './EfficientLocalizationAttention.js';
import { CoTAttentionSpec } from './CoTAttention.js';
import { MobileViTAttentionSpec } from './MobileViTAttention.js';
import { SimAMSpec } from './SimAM.js';
import { SKAttentionSpec } from './SKAttention.js';
import { ShuffleAttentionSpec } from './ShuffleAttention.js';
import { S2AttentionSpec, SplitAttentionSpec } from './S2Attention.js';
import { TripletAttentionSpec } from './TripletAttention.js';
import { ECAAttentionSpec } from './ECAAttention.js';
import { ParNetAttentionSpec } from './ParNetAttention.js';
import { MHSASpec } from './MHSA.js';

const specs: readonly BlockSpec[] = [
  GSASpec, LayerNormSpec, AxialAttentionSpec, AxialAttentionDynamicSpec, SALayerSpec,
  EfficientLocalizationAttentionSpec, CoTAttentionSpec, MobileViTAttentionSpec, SimAMSpec, SKAttentionSpec,
  ShuffleAttentionSpec, S2AttentionSpec, SplitAttentionSpec, TripletAttentionSpec, ECAAttentionSpec,
  ParNetAttentionSpec, MHSASpec,
];
const byName = new Map(specs.map((s) => [s.name, s]));

/** The reference class names createBlock accepts. */
export function blockNames(): string[] {
  return specs.map((s) => s.name);
}

/** Build a block from its reference class name and Python-spelled keyword arguments. */
export function createBlock(name: string, kwargs: Readonly<Record<string, unknown>> = {}): Block {
  const spec = byName.get(name);
  if (!spec) throw new Error(`createBlock: unknown block '${name}' (known: ${blockNames().join(', ')})`);
  const kw = new Kwargs(name, kwargs);
  kw.checkNoneLeft(spec.args);
  return spec.create(kw);
}
