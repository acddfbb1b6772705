// The main job for now: a small forward + backward through a few ops, using
// the built package exactly as a user would import it.
import { tensor, randn, manualSeed, noGrad, tidy, memory, gradcheck } from 'torchlet';

manualSeed(0);

// A two-layer perceptron on a toy batch, written with raw ops.
const x = randn([4, 3]);
const w1 = randn([3, 8], { requiresGrad: true });
const w2 = randn([8, 2], { requiresGrad: true });
const target = tensor([0, 1, 1, 0]);

const logits = x.matmul(w1).gelu().matmul(w2);         // [4, 2]
const logp = logits.logSoftmax(-1);                      // [4, 2]
const picked = logp.gather(1, target.int().unsqueeze(1)); // [4, 1]
const loss = picked.mean().neg();                        // cross-entropy
loss.backward();

console.log('loss          ', loss.item().toFixed(6));
console.log('dL/dw1 shape  ', w1.grad.shape, 'norm', w1.grad.norm().item().toFixed(6));
console.log('dL/dw2 shape  ', w2.grad.shape, 'norm', w2.grad.norm().item().toFixed(6));

// One SGD step, then the loss again (it must go down).
const [nw1, nw2] = noGrad(() => [w1.sub(w1.grad.mul(0.5)), w2.sub(w2.grad.mul(0.5))]);
const loss2 = tidy(() => x.matmul(nw1).gelu().matmul(nw2).logSoftmax(-1).gather(1, target.int().unsqueeze(1)).mean().neg());
console.log('loss after SGD', loss2.item().toFixed(6));

// The gradient check every op passes: autograd vs finite differences in float64.
const a = randn([3, 4], { dtype: 'float64', requiresGrad: true });
const check = gradcheck((a) => a.softmax(1).mul(a.sigmoid()).sum(0), [a]);
console.log('gradcheck     ', check.ok ? 'ok' : 'FAILED', `(max error ${check.maxError.toExponential(2)})`);
console.log('memory        ', JSON.stringify(memory()));
if (!check.ok || !(loss2.item() < loss.item())) process.exit(1);
