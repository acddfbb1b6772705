// Entry point of build/kernels.wasm: re-exports every kernel family.
// Each family lives in its own file; the JS side binds them in
// src/backends/wasm/native/.
export { alloc, free } from "./memory";
export { addF32, addF32Scalar } from "./elementwise";
export * from "./copy";
