// Entry point of build/kernels.wasm: re-exports every kernel.
// Each kernel family lives in its own file; the JS side binds them in
// src/backends/wasm/loader.ts.
export { alloc, free } from "./memory";
export { addF32, addF32Scalar } from "./elementwise";
