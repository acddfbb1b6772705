/**
 * The tape. Each op that has an input requiring grad records a Node on its
 * output: which tensors it came from and how to turn the output's gradient
 * into theirs. `backward()` walks the nodes in reverse topological order.
 */
import type { Tensor } from './tensor.js';
import { fmtShape } from './shape.js';
import { keep, tidy } from './memory.js';

/** Maps the gradient of an op's output to the gradients of its inputs (null = no gradient). */
export type BackwardFn = (grad: Tensor) => (Tensor | null)[];

export class Node {
  constructor(
    readonly name: string,
    readonly inputs: readonly Tensor[],
    public backward: BackwardFn | null,
  ) {}
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run `fn` without recording the tape, like `with torch.no_grad():`. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Attach a Node to `out` if any input needs a gradient and recording is on. Returns `out`. */
export function record(out: Tensor, name: string, inputs: readonly Tensor[], backward: BackwardFn): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = new Node(name, inputs, backward);
  }
  return out;
}

/** Tensors reachable from `root` through grad-requiring inputs, outputs before inputs. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // iterative DFS (deep graphs would overflow a recursive one)
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length) {
    const [t, done] = stack.pop()!;
    if (done) { order.push(t); continue; }
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push([t, true]);
    for (const i of t.gradFn?.inputs ?? []) if (i.requiresGrad && !seen.has(i)) stack.push([i, false]);
  }
  return order.reverse();
}

export interface BackwardOptions {
  /** Keep the graph so backward can run through it again (PyTorch's retain_graph). */
  retainGraph?: boolean;
}

/** Accumulate d(root)/d(leaf) into every leaf's `.grad`. */
export function runBackward(root: Tensor, grad: Tensor | undefined, opts: BackwardOptions = {}): void {
  if (!root.requiresGrad) throw new Error('backward: the tensor does not require grad and has no grad_fn');
  if (grad === undefined) {
    if (root.numel !== 1) {
      throw new Error(`backward: grad can be implicitly created only for scalar outputs; got shape ${fmtShape(root.shape)} (pass a gradient of that shape)`);
    }
  } else if (grad.numel !== root.numel || grad.shape.length !== root.shape.length || grad.shape.some((d, i) => d !== root.shape[i])) {
    throw new Error(`backward: gradient shape ${fmtShape(grad.shape)} does not match the tensor's shape ${fmtShape(root.shape)}`);
  }
  const order = topoOrder(root);
  // Intermediate gradients live in this scope and are freed at its end; leaf grads are kept.
  noGrad(() => tidy(() => {
    const grads = new Map<Tensor, Tensor>();
    grads.set(root, grad ? grad.to(root.dtype) : root.onesLike());
    for (const t of order) {
      const g = grads.get(t);
      if (!g) continue;
      if (t.retainsGrad || !t.gradFn) accumulateGrad(t, g);
      const node = t.gradFn;
      if (!node) continue;
      if (!node.backward) {
        throw new Error(`backward: trying to backward through the graph a second time (${node.name}); pass {retainGraph: true} the first time`);
      }
      const inGrads = node.backward(g);
      if (!opts.retainGraph) node.backward = null;
      node.inputs.forEach((input, i) => {
        const gi = inGrads[i];
        if (!gi || !input.requiresGrad) return;
        const prev = grads.get(input);
        grads.set(input, prev ? prev.add(gi) : gi);
      });
    }
  }));
}

function accumulateGrad(t: Tensor, g: Tensor): void {
  const next = t.grad ? t.grad.add(g) : g.contiguous().clone();
  t.grad?.dispose();
  t.grad = keep(next.detach());
}
