// Raw heap for tensor storage. JS passes byte offsets into linear memory
// ("pointers"), never copies per op, so storage is plain unmanaged memory
// from the runtime's TLSF allocator (heap.alloc), not GC-managed objects:
// the GC never moves or collects it, and freeing it is explicit.
//
// TLSF blocks are 16-byte aligned, so every pointer returned here is
// suitable for v128.load/v128.store and for a JS Float32Array view.
// When the heap is full, TLSF grows the memory (memory.grow), which detaches
// every JS view of the old memory.buffer: JS must re-take its views after
// each alloc (see src/backends/wasm/loader.ts).

/** Allocates `bytes` bytes of unmanaged, 16-byte-aligned memory; returns its address. */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

/** Frees a block returned by `alloc`. */
export function free(ptr: usize): void {
  heap.free(ptr);
}
