/**
 * The CPU peer: @tensorflow/tfjs-core with @tensorflow/tfjs-backend-wasm (XNNPACK), one thread.
 *
 * In Node the wasm backend needs setWasmPaths(<its dist folder> + '/') before setBackend('wasm')
 * (the .wasm files ship inside the package); it runs one thread there (no worker threads).
 */
import { createRequire } from 'node:module';
import path from 'node:path';

export async function initTfjs() {
  const require = createRequire(import.meta.url);
  const tf = await import('@tensorflow/tfjs-core');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  wasm.setWasmPaths(dist + '/');
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: setBackend("wasm") failed');
  await tf.ready();
  return {
    tf,
    version: tf.version_core,
    simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'multi' : 1,
  };
}
