// grid_sample, bilinear, zeros padding, float32 (the math is in src/backends/js/sample.ts).
//
// x [N,C,H,W] and grid [N,Ho,Wo,2] are strided views; (gx, gy) in [−1, 1] unnormalise to
//   align_corners:  ix = (gx + 1)/2 · (W − 1)        otherwise: ix = ((gx + 1)·W − 1)/2     (iy with H)
// x0 = ⌊ix⌋, x1 = x0 + 1 (y likewise); weights nw = (x1 − ix)(y1 − iy), ne = (ix − x0)(y1 − iy),
// sw = (x1 − ix)(iy − y0), se = (ix − x0)(iy − y0); taps outside the image read 0.
// Coordinates, weights and sums are f64 like the js reference, so both give the same floats.

@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

@inline function unnormalize(g: f64, size: i32, align: i32): f64 {
  return align ? ((g + 1) / 2) * <f64>(size - 1) : ((g + 1) * <f64>size - 1) / 2;
}

// The sample point found by locate(): pixel coordinates (IX, IY) and its top-left tap (X0, Y0).
let IX: f64 = 0, IY: f64 = 0;
let X0: i32 = 0, Y0: i32 = 0;

/** Unnormalise the grid point at element offset gp (gx there, gy at gp + gs3): IX, IY, and X0 = ⌊IX⌋, Y0 = ⌊IY⌋. */
@inline function locate(grid: usize, gp: i32, gs3: i32, H: i32, W: i32, align: i32): void {
  IX = unnormalize(<f64>load<f32>(at(grid, gp)), W, align);
  IY = unnormalize(<f64>load<f32>(at(grid, gp + gs3)), H, align);
  const fx = Math.floor(IX), fy = Math.floor(IY);
  // far outside the image: every tap is out (and the i32 conversion below must not overflow)
  const inRange = fx > -2 && fx < <f64>W && fy > -2 && fy < <f64>H;
  X0 = inRange ? <i32>fx : -2;
  Y0 = inRange ? <i32>fy : -2;
}

export function gridSampleF32(
  x: usize, xs0: i32, xs1: i32, xs2: i32, xs3: i32,
  grid: usize, gs0: i32, gs1: i32, gs2: i32, gs3: i32,
  out: usize, N: i32, C: i32, H: i32, W: i32, Ho: i32, Wo: i32, align: i32,
): void {
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        locate(grid, n * gs0 + i * gs1 + j * gs2, gs3, H, W, align);
        const ix = IX, iy = IY, x0 = X0, y0 = Y0, x1 = x0 + 1, y1 = y0 + 1;
        const inX0 = x0 >= 0 && x0 < W, inX1 = x1 >= 0 && x1 < W;
        const inY0 = y0 >= 0 && y0 < H, inY1 = y1 >= 0 && y1 < H;
        const wnw = (<f64>x1 - ix) * (<f64>y1 - iy), wne = (ix - <f64>x0) * (<f64>y1 - iy);
        const wsw = (<f64>x1 - ix) * (iy - <f64>y0), wse = (ix - <f64>x0) * (iy - <f64>y0);
        const nw = y0 * xs2 + x0 * xs3, ne = y0 * xs2 + x1 * xs3;
        const sw = y1 * xs2 + x0 * xs3, se = y1 * xs2 + x1 * xs3;
        for (let c = 0; c < C; c++) {
          const base = n * xs0 + c * xs1;
          let v: f64 = 0;
          if (inY0 && inX0) v += <f64>load<f32>(at(x, base + nw)) * wnw;
          if (inY0 && inX1) v += <f64>load<f32>(at(x, base + ne)) * wne;
          if (inY1 && inX0) v += <f64>load<f32>(at(x, base + sw)) * wsw;
          if (inY1 && inX1) v += <f64>load<f32>(at(x, base + se)) * wse;
          store<f32>(out + (<usize>(((n * C + c) * Ho + i) * Wo + j) << 2), <f32>v);
        }
      }
    }
  }
}

/**
 * Backward, with G = ∂L/∂out:  dx[tap] += weight(tap)·G;  dgrid = (Σ_c ∂out/∂ix · G) · dix/dgx  (and y).
 * dx is contiguous [N,C,H,W], dgrid contiguous [N,Ho,Wo,2]; both are overwritten.
 */
export function gridSampleBackwardF32(
  g: usize, os0: i32, os1: i32, os2: i32, os3: i32,
  x: usize, xs0: i32, xs1: i32, xs2: i32, xs3: i32,
  grid: usize, gs0: i32, gs1: i32, gs2: i32, gs3: i32,
  dx: usize, dgrid: usize, N: i32, C: i32, H: i32, W: i32, Ho: i32, Wo: i32, align: i32,
): void {
  memory.fill(dx, 0, <usize>N * <usize>C * <usize>H * <usize>W << 2);
  const sx: f64 = align ? <f64>(W - 1) / 2 : <f64>W / 2;
  const sy: f64 = align ? <f64>(H - 1) / 2 : <f64>H / 2;
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        locate(grid, n * gs0 + i * gs1 + j * gs2, gs3, H, W, align);
        const ix = IX, iy = IY, x0 = X0, y0 = Y0, x1 = x0 + 1, y1 = y0 + 1;
        const inNw = y0 >= 0 && y0 < H && x0 >= 0 && x0 < W;
        const inNe = y0 >= 0 && y0 < H && x1 >= 0 && x1 < W;
        const inSw = y1 >= 0 && y1 < H && x0 >= 0 && x0 < W;
        const inSe = y1 >= 0 && y1 < H && x1 >= 0 && x1 < W;
        const dxw = <f64>x1 - ix, dxe = ix - <f64>x0, dyn = <f64>y1 - iy, dys = iy - <f64>y0;
        const nw = y0 * xs2 + x0 * xs3, ne = y0 * xs2 + x1 * xs3;
        const sw = y1 * xs2 + x0 * xs3, se = y1 * xs2 + x1 * xs3;
        let dix: f64 = 0, diy: f64 = 0;
        for (let c = 0; c < C; c++) {
          const gout = <f64>load<f32>(at(g, n * os0 + c * os1 + i * os2 + j * os3));
          const base = n * xs0 + c * xs1;
          const plane = dx + (<usize>(n * C + c) * <usize>H * <usize>W << 2);
          if (inNw) {
            const p = plane + (<usize>(y0 * W + x0) << 2);
            store<f32>(p, <f32>(<f64>load<f32>(p) + dxw * dyn * gout));
            const v = <f64>load<f32>(at(x, base + nw));
            dix -= v * dyn * gout;
            diy -= v * dxw * gout;
          }
          if (inNe) {
            const p = plane + (<usize>(y0 * W + x1) << 2);
            store<f32>(p, <f32>(<f64>load<f32>(p) + dxe * dyn * gout));
            const v = <f64>load<f32>(at(x, base + ne));
            dix += v * dyn * gout;
            diy -= v * dxe * gout;
          }
          if (inSw) {
            const p = plane + (<usize>(y1 * W + x0) << 2);
            store<f32>(p, <f32>(<f64>load<f32>(p) + dxw * dys * gout));
            const v = <f64>load<f32>(at(x, base + sw));
            dix -= v * dys * gout;
            diy += v * dxw * gout;
          }
          if (inSe) {
            const p = plane + (<usize>(y1 * W + x1) << 2);
            store<f32>(p, <f32>(<f64>load<f32>(p) + dxe * dys * gout));
            const v = <f64>load<f32>(at(x, base + se));
            dix += v * dys * gout;
            diy += v * dxe * gout;
          }
        }
        const o = dgrid + (<usize>(((n * Ho + i) * Wo + j) * 2) << 2);
        store<f32>(o, <f32>(dix * sx));
        store<f32>(o, <f32>(diy * sy), 4);
      }
    }
  }
}
