// Entry point of build/kernels.wasm: re-exports every kernel family.
// Each family lives in its own file; the JS side binds them in
// src/backends/wasm/native/.
export { alloc, free } from "./memory";
export * from "./elementwise"; // unary, binary, where, assign; casts (cast.ts)
export * from "./copy";
export * from "./matmul";
export * from "./reduce"; // reductions, softmax (softmax.ts) and normalisation (norm.ts)
export * from "./conv";
export * from "./pool";
export * from "./gather";
export * from "./sample";
