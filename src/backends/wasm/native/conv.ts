/** Native bindings: convolution, pooling, im2col/col2im, gather/scatter, grid_sample. (Placeholder.) */
import type { Conv2dParams, Pair, Pool2dParams, Storage, View, WindowParams, WithIndices } from '../../backend.js';
import type { WasmBackend } from '../index.js';

export function conv2d(be: WasmBackend, x: View, w: View, p: Conv2dParams): Storage | null { return null; }
export function conv2dBackwardInput(be: WasmBackend, g: View, w: View, inputShape: readonly number[], p: Conv2dParams): Storage | null { return null; }
export function conv2dBackwardWeight(be: WasmBackend, x: View, g: View, weightShape: readonly number[], p: Conv2dParams): Storage | null { return null; }
export function avgPool2d(be: WasmBackend, x: View, p: Pool2dParams): Storage | null { return null; }
export function avgPool2dBackward(be: WasmBackend, g: View, inputShape: readonly number[], p: Pool2dParams): Storage | null { return null; }
export function maxPool2d(be: WasmBackend, x: View, p: Pool2dParams): WithIndices | null { return null; }
export function adaptiveAvgPool2d(be: WasmBackend, x: View, outSize: Pair): Storage | null { return null; }
export function adaptiveAvgPool2dBackward(be: WasmBackend, g: View, inputShape: readonly number[]): Storage | null { return null; }
export function adaptiveMaxPool2d(be: WasmBackend, x: View, outSize: Pair): WithIndices | null { return null; }
export function im2col(be: WasmBackend, x: View, p: WindowParams): Storage | null { return null; }
export function col2im(be: WasmBackend, cols: View, outputSize: Pair, p: WindowParams): Storage | null { return null; }
export function gather(be: WasmBackend, x: View, axis: number, index: View): Storage | null { return null; }
export function scatterAdd(be: WasmBackend, shape: readonly number[], axis: number, index: View, src: View): Storage | null { return null; }
export function gridSample(be: WasmBackend, x: View, grid: View, alignCorners: boolean): Storage | null { return null; }
export function gridSampleBackward(be: WasmBackend, g: View, x: View, grid: View, alignCorners: boolean): { dx: Storage; dgrid: Storage } | null { return null; }
