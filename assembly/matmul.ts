// Batched matrix product, float32:
//
//   C[p][i][j] = Σ_k A[p][i][k] · B[p][k][j]      p < batch, i < M, j < N, k < K
//
// A and B are strided views (any row/column stride, so transposed operands
// are read where they lie), batched over any number of batch dims, each with
// its own stride per operand (stride 0 = broadcast). C is contiguous
// [...batch, M, N]. Strides are in elements; pointers are byte addresses.
//
// `params` is an i32 array:
//   [0] M   [1] N   [2] K   [3] R = number of batch dims
//   [4] A row stride (along M)   [5] A column stride (along K)
//   [6] B row stride (along K)   [7] B column stride (along N)
//   [8] tile shape (0 = the default, 5x8; 1..5 = 4x8, 5x8, 6x8, 3x12, 4x12)
//   [9] KC  [10] MC  [11] NC   (cache blocks; 0 = the defaults)
//   [12 .. 12+R)      batch shape
//   [12+R .. 12+2R)   A batch strides
//   [12+2R .. 12+3R)  B batch strides
//
// matmulScalar is the specification: the loop of the formula. matmulF32 is
// the same sum made fast, in the way of BLIS/GotoBLAS:
//
//   for jc in N by NC:                          (B block stays in L2/L3)
//     for pc in K by KC:
//       pack B[pc:pc+KC, jc:jc+NC] into NR-column panels        (once for all
//       for each batch p:                                        batches when B
//         for ic in M by MC:                                     is broadcast)
//           pack A[ic:ic+MC, pc:pc+KC] into MR-row panels       (A block in L2)
//           for each NR panel of B, each MR panel of A:
//             micro-kernel: the MR×NR tile of C in registers over the KC loop
//
// Packing reads the operands through their strides, so a transposed or
// strided view costs no extra copy. Panels are zero-padded to MR/NR; a tile
// at the M or N edge is computed into a small buffer and its valid part
// copied out. Each tile sums k in the order of the scalar loop (a later K
// block starts its accumulators from C), so matmulF32 equals matmulScalar bit
// for bit (without FMA, float32 mul and add are exactly rounded lane by lane).
//
// Measurements (bench/matmul-tiles.mjs; Node 20, one thread, this project's
// 2-vCPU AMD EPYC dev machine, shared and noisy: CPU time, 21 interleaved
// rounds, medians). GFLOP/s = 2·batch·M·N·K / s. Rows: M×N×K (batch).
//
//                        4x8   5x8   6x8  3x12  4x12 | js ref | tfjs-wasm | 5x8/tfjs
//   256³                 28.0  30.2  26.1  28.9  26.0 |  0.46  |   22.4    |  1.40x
//   512³                 29.2  34.3  26.5  34.5  26.1 |  0.43  |   28.4    |  1.35x
//   1024³                27.3  30.0  25.7  28.6  25.2 |  0.45  |   26.6    |  1.29x
//   49×49×64 (64)        19.0  21.5  18.1  17.7  17.9 |  0.44  |    1.7    | 12.9x
//   7×5×13               3.5   3.3   3.1   2.5   3.2  |  0.09  |    0.1    |   -
//   17×17×17             9.9  10.8  10.6   8.8  10.0  |  0.32  |    0.9    |  9.7x
//   33×29×31 (8)         16.8  17.9  16.3  14.5  15.3 |  0.42  |    1.5    | 11.4x
//   (the tfjs column goes through its op layer; small shapes measure mostly that)
//
// The kernels alone (one tile, K = 256, panels in L1), from a separate run:
// 4x8 43, 5x8 52, 6x8 28, 3x12 49 GFLOP/s. Why: V8 (x64) has 15 allocatable
// SIMD registers, and without FMA each row needs its splat plus a product
// temporary; V8 also hoists every load of a k step above the arithmetic, so
// all MR splats and NR/4 B vectors are live at once. 4x8 (8 acc + 2 B + 4 A
// + 1 temp = 15) never spills; 5x8 and 3x12 spill one to three values per k
// step to the stack and still win (store-to-load forwarding is cheap, more
// flops per loaded byte); 6x8 and 4x12 spill too much. The machine switches
// between a fast and a slow state (same binary: ~45-50 vs ~30 GFLOP/s), so
// compare columns within a row, not across runs.
//
// Chosen: 5x8, KC = 256, MC = 120, NC = 1024 (a sweep of KC 128..512,
// MC 60..240, NC 256..1024 moved 256³..1024³ by less than the noise). In the
// same runs the packed GEMM reaches ~90% of its kernel's speed at 512³.
//
// The micro-kernels are in ./gemm-kernels.ts.

import { kernel4x8, kernel5x8, kernel6x8, kernel3x12, kernel4x12 } from "./gemm-kernels";

// ---- the specification ------------------------------------------------------------

/** Element offset of batch number `p` (row-major over the batch shape) in an operand with the given batch strides. */
@inline function batchOffset(p: i32, rank: i32, shape: usize, strides: usize): i32 {
  let off = 0;
  for (let d = rank - 1; d >= 0; d--) {
    const n = load<i32>(shape + (<usize>d << 2));
    off += (p % n) * load<i32>(strides + (<usize>d << 2));
    p /= n;
  }
  return off;
}

/** f32 at element offset `i` from byte address `base` (offsets may be negative: wasm32 address arithmetic wraps). */
@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** C[p][i][j] = Σ_k A[p][i][k] · B[p][k][j], summed in float32 in order of k. */
export function matmulScalar(a: usize, b: usize, c: usize, params: usize): void {
  const M = load<i32>(params), N = load<i32>(params, 4), K = load<i32>(params, 8), R = load<i32>(params, 12);
  const am = load<i32>(params, 16), ak = load<i32>(params, 20), bk = load<i32>(params, 24), bn = load<i32>(params, 28);
  const shape = params + 48, aStrides = shape + (<usize>R << 2), bStrides = aStrides + (<usize>R << 2);
  let batch = 1;
  for (let d = 0; d < R; d++) batch *= load<i32>(shape + (<usize>d << 2));
  for (let p = 0; p < batch; p++) {
    const ap = batchOffset(p, R, shape, aStrides), bp = batchOffset(p, R, shape, bStrides);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let acc: f32 = 0;
        for (let k = 0; k < K; k++) acc += load<f32>(at(a, ap + i * am + k * ak)) * load<f32>(at(b, bp + k * bk + j * bn));
        store<f32>(at(c, (p * M + i) * N + j), acc);
      }
    }
  }
}

// ---- tiles and cache blocks -----------------------------------------------------------

const TILE_4x8: i32 = 1;
const TILE_5x8: i32 = 2;
const TILE_6x8: i32 = 3;
const TILE_3x12: i32 = 4;
const TILE_4x12: i32 = 5;

/** The tile when params[8] is 0: the fastest in the measurements above. */
const TILE_DEFAULT: i32 = TILE_5x8;

/** Default cache blocks: KC·NR floats of B and KC·MR of A in L1 (32 KB); MC·KC of A in L2 (512 KB). */
const KC_DEFAULT: i32 = 256;
const MC_DEFAULT: i32 = 120;
const NC_DEFAULT: i32 = 1024;

@inline function tileRows(tile: i32): i32 { return tile == TILE_4x8 || tile == TILE_4x12 ? 4 : tile == TILE_5x8 ? 5 : tile == TILE_6x8 ? 6 : 3; }
@inline function tileCols(tile: i32): i32 { return tile == TILE_3x12 || tile == TILE_4x12 ? 12 : 8; }

/** A micro-kernel: one MR×NR tile, `ldc` in bytes (see ./gemm-kernels.ts). */
type Kernel = (kc: i32, ap: usize, bp: usize, c: usize, ldc: usize, accumulate: bool) => void;

/**
 * The micro-kernel of a tile shape. Called through this function reference
 * (call_indirect), each kernel stays a function of its own: inlined into one
 * switch, V8 allocates registers for all five kernels together and they run
 * slower.
 */
function kernelFor(tile: i32): Kernel {
  switch (tile) {
    case TILE_4x8: return kernel4x8;
    case TILE_6x8: return kernel6x8;
    case TILE_3x12: return kernel3x12;
    case TILE_4x12: return kernel4x12;
    default: return kernel5x8;
  }
}

// ---- scratch: packed panels, reused across calls (grown, never shrunk) ----------------

let packA: usize = 0, packACap: usize = 0;
let packB: usize = 0, packBCap: usize = 0;
/** An edge tile (at most 16×16 floats) is computed here, then its valid part copied to C. */
const EDGE: usize = memory.data(16 * 16 * 4, 16);

function ensureScratch(aBytes: usize, bBytes: usize): void {
  if (aBytes > packACap) {
    if (packA) heap.free(packA);
    packA = heap.alloc(aBytes);
    packACap = aBytes;
  }
  if (bBytes > packBCap) {
    if (packB) heap.free(packB);
    packB = heap.alloc(bBytes);
    packBCap = bBytes;
  }
}

// ---- packing --------------------------------------------------------------------------

/**
 * A[i0 .. i0+mb) × [k0 .. k0+kb) into MR-row panels, each k-major:
 *   dst[panel][k][r] = A[i0 + panel·MR + r][k0 + k]   (0 where the row is past mb).
 * `a` points at A[i0][k0]; am, ak are its strides in elements.
 */
function packPanelsA(a: usize, am: i32, ak: i32, mb: i32, kb: i32, mr: i32, dst: usize): void {
  for (let i = 0; i < mb; i += mr) {
    const rows = min(mr, mb - i);
    let k = 0;
    if (ak == 1 && rows == mr && mr >= 4) {
      // rows of A are contiguous: 4 k at a time, rows 0..3 by a 4×4 transpose, rows 4.. by lanes
      const r0 = at(a, i * am), r1 = at(r0, am), r2 = at(r1, am), r3 = at(r2, am);
      const step = <usize>mr << 2; // bytes per k in the panel
      for (; k + 4 <= kb; k += 4) {
        const o = <usize>k << 2;
        const x0 = v128.load(r0 + o), x1 = v128.load(r1 + o), x2 = v128.load(r2 + o), x3 = v128.load(r3 + o);
        const lo01 = v128.shuffle<i32>(x0, x1, 0, 4, 1, 5), hi01 = v128.shuffle<i32>(x0, x1, 2, 6, 3, 7);
        const lo23 = v128.shuffle<i32>(x2, x3, 0, 4, 1, 5), hi23 = v128.shuffle<i32>(x2, x3, 2, 6, 3, 7);
        const d = dst + <usize>k * step;
        v128.store(d, v128.shuffle<i32>(lo01, lo23, 0, 1, 4, 5)); // A[0..3][k]
        v128.store(d + step, v128.shuffle<i32>(lo01, lo23, 2, 3, 6, 7)); // A[0..3][k+1]
        v128.store(d + 2 * step, v128.shuffle<i32>(hi01, hi23, 0, 1, 4, 5)); // A[0..3][k+2]
        v128.store(d + 3 * step, v128.shuffle<i32>(hi01, hi23, 2, 3, 6, 7)); // A[0..3][k+3]
        for (let r = 4; r < mr; r++) {
          const x = v128.load(at(r0, r * am) + o), dr = d + (<usize>r << 2);
          v128.store32_lane(dr, x, 0);
          v128.store32_lane(dr + step, x, 1);
          v128.store32_lane(dr + 2 * step, x, 2);
          v128.store32_lane(dr + 3 * step, x, 3);
        }
      }
    }
    // the rest (all of it for other strides, edge panels and MR = 3): one element at a time
    for (; k < kb; k++) {
      const src = at(a, i * am + k * ak);
      const d = dst + (<usize>(k * mr) << 2);
      for (let r = 0; r < rows; r++) store<f32>(d + (<usize>r << 2), load<f32>(at(src, r * am)));
      for (let r = rows; r < mr; r++) store<f32>(d + (<usize>r << 2), 0);
    }
    dst += <usize>(mr * kb) << 2;
  }
}

/**
 * B[k0 .. k0+kb) × [j0 .. j0+nb) into NR-column panels, each k-major:
 *   dst[panel][k][c] = B[k0 + k][j0 + panel·NR + c]   (0 where the column is past nb).
 * `b` points at B[k0][j0]; bk, bn are its strides in elements. NR is 8 or 12.
 */
function packPanelsB(b: usize, bk: i32, bn: i32, kb: i32, nb: i32, nr: i32, dst: usize): void {
  const zero = f32x4.splat(0);
  for (let j = 0; j < nb; j += nr) {
    const cols = min(nr, nb - j);
    if (bn == 1 && cols == nr) {
      // a full panel of a row-major B: each k row is NR contiguous floats
      for (let k = 0; k < kb; k++) {
        const src = at(b, k * bk + j), d = dst + (<usize>(k * nr) << 2);
        v128.store(d, v128.load(src));
        v128.store(d, v128.load(src, 16), 16);
        if (nr == 12) v128.store(d, v128.load(src, 32), 32);
      }
    } else if (bk == 1) {
      // columns of B are contiguous (B = Wᵀ): read each column along k
      for (let c = 0; c < cols; c++) {
        const src = at(b, (j + c) * bn);
        let d = dst + (<usize>c << 2);
        for (let k = 0; k < kb; k++) {
          store<f32>(d, load<f32>(src + (<usize>k << 2)));
          d += <usize>nr << 2;
        }
      }
      for (let c = cols; c < nr; c++) {
        for (let k = 0; k < kb; k++) store<f32>(dst + (<usize>(k * nr + c) << 2), 0);
      }
    } else {
      // any other layout, or the last panel of a row-major B: zero the row, then copy its columns
      for (let k = 0; k < kb; k++) {
        const src = at(b, k * bk + j * bn), d = dst + (<usize>(k * nr) << 2);
        v128.store(d, zero);
        v128.store(d, zero, 16);
        if (nr == 12) v128.store(d, zero, 32);
        for (let c = 0; c < cols; c++) store<f32>(d + (<usize>c << 2), load<f32>(at(src, c * bn)));
      }
    }
    dst += <usize>(nr * kb) << 2;
  }
}

// ---- the blocked product --------------------------------------------------------------

@inline function copyFloats(dst: usize, src: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/**
 * C[0 .. mb) × [0 .. nb) (+)= packed A block · packed B block, tile by tile.
 * `c` points at the block's first element; ldc is C's row stride in bytes.
 */
function macroKernel(kernel: Kernel, mr: i32, nr: i32, mb: i32, nb: i32, kb: i32, pa: usize, pb: usize, c: usize, ldc: usize, accumulate: bool): void {
  const aPanel = <usize>(mr * kb) << 2, bPanel = <usize>(nr * kb) << 2;
  let bp = pb;
  for (let j = 0; j < nb; j += nr) {
    const cols = min(nr, nb - j);
    let ap = pa;
    for (let i = 0; i < mb; i += mr) {
      const rows = min(mr, mb - i);
      const ct = c + <usize>i * ldc + (<usize>j << 2);
      if (rows == mr && cols == nr) {
        kernel(kb, ap, bp, ct, ldc, accumulate);
      } else {
        // edge tile: through EDGE (row stride NR), then the valid rows × cols back to C
        // (plain loops: memory.copy is a call into the engine, slow for a few floats)
        const le = <usize>nr << 2;
        if (accumulate) {
          for (let r = 0; r < rows; r++) copyFloats(EDGE + <usize>r * le, ct + <usize>r * ldc, cols);
        }
        kernel(kb, ap, bp, EDGE, le, accumulate);
        for (let r = 0; r < rows; r++) copyFloats(ct + <usize>r * ldc, EDGE + <usize>r * le, cols);
      }
      ap += aPanel;
    }
    bp += bPanel;
  }
}

/** The same product as matmulScalar (same params), packed and register-blocked with f32x4. */
export function matmulF32(a: usize, b: usize, c: usize, params: usize): void {
  const M = load<i32>(params), N = load<i32>(params, 4), K = load<i32>(params, 8), R = load<i32>(params, 12);
  const am = load<i32>(params, 16), ak = load<i32>(params, 20), bk = load<i32>(params, 24), bn = load<i32>(params, 28);
  let tile = load<i32>(params, 32);
  if (tile < TILE_4x8 || tile > TILE_4x12) tile = TILE_DEFAULT;
  const shape = params + 48, aStrides = shape + (<usize>R << 2), bStrides = aStrides + (<usize>R << 2);
  let batch = 1;
  for (let d = 0; d < R; d++) batch *= load<i32>(shape + (<usize>d << 2));
  if (M <= 0 || N <= 0 || batch <= 0) return;
  if (K <= 0) {
    memory.fill(c, 0, <usize>batch * <usize>M * <usize>N << 2); // an empty sum is 0
    return;
  }
  // B is shared by every batch when all its batch strides are 0 (e.g. linear's weight)
  let bShared = true;
  for (let d = 0; d < R; d++) if (load<i32>(shape + (<usize>d << 2)) > 1 && load<i32>(bStrides + (<usize>d << 2)) != 0) bShared = false;

  const mr = tileRows(tile), nr = tileCols(tile);
  const kc = min(load<i32>(params, 36) || KC_DEFAULT, K);
  const mc = min((load<i32>(params, 40) || MC_DEFAULT) / mr * mr || mr, (M + mr - 1) / mr * mr);
  const nc = min((load<i32>(params, 44) || NC_DEFAULT) / nr * nr || nr, (N + nr - 1) / nr * nr);
  ensureScratch(<usize>(mc * kc) << 2, <usize>(nc * kc) << 2);
  const pa = packA, pb = packB;
  const kernel = kernelFor(tile);
  const ldc = <usize>N << 2;

  for (let jc = 0; jc < N; jc += nc) {
    const nb = min(nc, N - jc);
    for (let pc = 0; pc < K; pc += kc) {
      const kb = min(kc, K - pc);
      for (let p = 0; p < batch; p++) {
        if (p == 0 || !bShared) {
          const bOff = batchOffset(p, R, shape, bStrides);
          packPanelsB(at(b, bOff + pc * bk + jc * bn), bk, bn, kb, nb, nr, pb);
        }
        const aOff = batchOffset(p, R, shape, aStrides);
        const cp = c + (<usize>p * <usize>M * <usize>N << 2);
        for (let ic = 0; ic < M; ic += mc) {
          const mb = min(mc, M - ic);
          packPanelsA(at(a, aOff + ic * am + pc * ak), am, ak, mb, kb, mr, pa);
          macroKernel(kernel, mr, nr, mb, nb, kb, pa, pb, cp + <usize>ic * ldc + (<usize>jc << 2), ldc, pc > 0);
        }
      }
    }
  }
}
