// Elementwise kernels over contiguous float32 arrays.
// Arguments are byte addresses in linear memory (from `alloc`) and an element
// count. `out` may alias `a` or `b`: each element is read before it is written.

/**
 * out[i] = a[i] + b[i] for i in [0, n).
 * Specification: the plain loop that addF32 must match bit for bit.
 */
export function addF32Scalar(a: usize, b: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(out + off, load<f32>(a + off) + load<f32>(b + off));
  }
}

/**
 * out[i] = a[i] + b[i], four lanes at a time with f32x4.add.
 * IEEE addition is lane-wise and exact-rounded, so this equals addF32Scalar
 * bit for bit; the scalar tail handles the last n % 4 elements.
 */
export function addF32(a: usize, b: usize, out: usize, n: i32): void {
  const bulk = n & ~3; // largest multiple of 4 <= n (negative n: no iterations)
  let i = 0;
  for (; i < bulk; i += 4) {
    const off = <usize>i << 2;
    v128.store(out + off, f32x4.add(v128.load(a + off), v128.load(b + off)));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(out + off, load<f32>(a + off) + load<f32>(b + off));
  }
}
