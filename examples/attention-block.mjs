// The main job: a seed attention block (GSA, LB-UNet 2024) built from its
// PyTorch name and keyword arguments, PyTorch weights loaded from a
// safetensors file, one training-mode forward and backward, and the result
// compared with what PyTorch computed for the same weights and input.
import { readFileSync } from 'node:fs';
import { createBlock, loadSafetensors, readSafetensorsMetadata, setBackend } from 'torchlet';

await setBackend('wasm'); // the default (SIMD kernels); 'js' is the readable reference
const bytes = readFileSync(new URL('../test/fixtures/blocks/GSA.safetensors', import.meta.url));
const all = loadSafetensors(bytes);
const [c] = JSON.parse(readSafetensorsMetadata(bytes).cases); // the first PyTorch case
const pick = (prefix) => Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v.float()]));

const m = createBlock(c.block, c.kwargs);                 // createBlock('GSA', {dim_in: 16, dim_out: 16})
m.loadStateDict(pick(`${c.name}/state_before/`));         // PyTorch's state_dict keys, unchanged
m.train();
const x = all[`${c.name}/x`].float().requiresGrad_();
const y = m.forward(x);
y.backward(all[`${c.name}/cot`].float());                 // loss = sum(y * cot)

const maxDiff = (a, b) => { const p = a.dataSync(), q = b.dataSync(); let d = 0; for (let i = 0; i < p.length; i++) d = Math.max(d, Math.abs(p[i] - q[i])); return d; };
const dOut = maxDiff(y, all[`${c.name}/out_train`]);
const dGrad = maxDiff(x.grad, all[`${c.name}/grad_x`]);
console.log(`${c.block}(${JSON.stringify(c.kwargs)}) on input [${x.shape}] -> output [${y.shape}]`);
console.log(`parameters: ${m.parameters().length} tensors, ${m.parameters().reduce((n, p) => n + p.numel, 0)} values`);
console.log(`max |torchlet - PyTorch|: output ${dOut.toExponential(2)}, input gradient ${dGrad.toExponential(2)}`);
const g = m.namedParameters().map(([k, p]) => [k, maxDiff(p.grad, all[`${c.name}/grad/${k}`])]);
console.log(`max |torchlet - PyTorch| over ${g.length} parameter gradients: ${Math.max(...g.map(([, d]) => d)).toExponential(2)}`);
if (!(dOut < 1e-4 && dGrad < 1e-4)) process.exit(1);
