import { reportStep } from "./step-ops.ts";
import type { SamplerArgs } from "./types.ts";

export interface UniPcArgs extends SamplerArgs {
  /**
   * A1111 opts.uni_pc_variant: "bh1" (the default) and "bh2" are `multistep_uni_pc_bh_update` with B(h) = h or
   * e^h − 1; "vary_coeff" is `multistep_uni_pc_vary_update`.
   */
  readonly variant?: "bh1" | "bh2" | "vary_coeff";
  /** A1111 opts.uni_pc_order (3). */
  readonly order?: number;
  /** A1111 opts.uni_pc_lower_order_final (true): lower the order over the last steps. */
  readonly lowerOrderFinal?: boolean;
}

/**
 * UniPC, multistep, data prediction (A1111 modules/models/diffusion/uni_pc/uni_pc.py `UniPC.sample`, as
 * `sd_samplers_timesteps_impl.unipc` calls it), over the sigmas of `uniPcSigmas`. In σ space with λ = −log σ its
 * x_t-space update divides through by α_t and needs no α. One denoiser call per step: each corrector's call
 * (at the predicted x) is reused as the next step's model value; the last step has no corrector.
 * Step orders as `UniPC.sample`: 1, 2, … up to `order` while the history fills, then `order`, or with
 * lower_order_final min(order, steps + 1 − step), which lowers it over the last steps.
 * A1111 asserts order ≤ steps ("UniPC order must be < sampling steps": the request fails, e.g. img2img at a low
 * denoising strength with the default order 3); here the order is lowered to the step count instead, and raised to 1
 * if below (A1111 fails on 0). `onStep` gets the newest model value, which on the last step is the previous one
 * (A1111 reports none there).
 * vary_coeff in A1111 only runs for a batch of one (its rk tensors have the batch's shape and `torch.tensor(rks)`
 * fails for more); here every image of the batch walks the same levels, so it runs as for one image each.
 */
export async function sampleUniPc(args: UniPcArgs): Promise<Float32Array> {
  const { sigmas } = args;
  const steps = sigmas.length - 1;
  const order = Math.max(1, Math.min(Math.floor(args.order ?? 3), steps));
  const lowerOrderFinal = args.lowerOrderFinal ?? true;
  const x = args.x.slice();
  if (steps < 1) return x;
  // Sliding windows of the last `order` model values and their λ, oldest first.
  const models: Float32Array[] = [await args.denoise(x, sigmas[0])];
  const lambdas: number[] = [-Math.log(sigmas[0])];
  for (let step = 1; step <= steps; step++) {
    const stepOrder = step < order ? step : lowerOrderFinal ? Math.min(order, steps + 1 - step) : order;
    const useCorrector = step < steps;
    const modelT = await uniPcUpdate(args, x, models, lambdas, sigmas[step], stepOrder, useCorrector);
    await reportStep(args, step - 1, modelT ?? models[models.length - 1]);
    if (step === steps) break;
    if (models.length === order) {
      models.shift();
      lambdas.shift();
    }
    models.push(modelT as Float32Array);
    lambdas.push(-Math.log(sigmas[step]));
  }
  return x;
}

/**
 * How one step combines the differences D1_j = (m_j − m0)/r_j of the older model values m_j (newest first) and,
 * for the corrector, m_t − m0 of the model value at the predicted x: x_t = x_t_ − scale·(Σ_j w_j·D1_j [+ w_t·(m_t − m0)]).
 */
interface UpdateWeights {
  readonly scale: number;
  readonly predictor: readonly number[];
  /** Absent without a corrector. */
  readonly corrector?: { readonly history: readonly number[]; readonly newest: number };
}

/**
 * One multistep UniPC update with predict_x0, in place on x (`multistep_uni_pc_bh_update` or
 * `multistep_uni_pc_vary_update`). Returns the model value at the predicted x (the corrector's evaluation), or
 * undefined without a corrector.
 */
async function uniPcUpdate(
  args: UniPcArgs,
  x: Float32Array,
  models: Float32Array[],
  lambdas: number[],
  sigmaT: number,
  order: number,
  useCorrector: boolean,
): Promise<Float32Array | undefined> {
  const last = models.length - 1;
  const model0 = models[last];
  const lambda0 = lambdas[last];
  const sigma0 = Math.exp(-lambda0);
  const h = -Math.log(sigmaT) - lambda0;
  const rks: number[] = [];
  for (let i = 1; i < order; i++) rks.push((lambdas[last - i] - lambda0) / h);
  rks.push(1);

  const hh = -h;
  const hPhi1 = Math.expm1(hh);
  const weights =
    args.variant === "vary_coeff" ? varyCoeffWeights(rks, hh, useCorrector) : bhWeights(rks, hh, args.variant, useCorrector);

  const history = order - 1;
  const scaleX = sigmaT / sigma0;
  const xBase = new Float32Array(x.length); // x_t_ = (σ_t/σ_0)·x − hφ1·m0
  for (let k = 0; k < x.length; k++) {
    xBase[k] = scaleX * x[k] - hPhi1 * model0[k];
    let predicted = 0;
    for (let j = 0; j < history; j++) predicted += (weights.predictor[j] * (models[last - 1 - j][k] - model0[k])) / rks[j];
    x[k] = xBase[k] - weights.scale * predicted;
  }
  if (!weights.corrector) return undefined;

  const modelT = await args.denoise(x, sigmaT);
  const { history: rhosC, newest } = weights.corrector;
  for (let k = 0; k < x.length; k++) {
    let corrected = newest * (modelT[k] - model0[k]);
    for (let j = 0; j < history; j++) corrected += (rhosC[j] * (models[last - 1 - j][k] - model0[k])) / rks[j];
    x[k] = xBase[k] - weights.scale * corrected;
  }
  return modelT;
}

/**
 * `multistep_uni_pc_bh_update`: scale B(h), and ρ solving R·ρ = b, R's rows the powers r^0 … r^(order−1) of the
 * r_j and b_i = i!·hφ_i/B(h) for i = 1 … order (hφ_i as for vary_coeff below); the predictor solves the system
 * without the newest row and column; order 2's predictor and order 1's corrector use ρ = ½.
 */
function bhWeights(rks: number[], hh: number, variant: UniPcArgs["variant"], useCorrector: boolean): UpdateWeights {
  const order = rks.length;
  const bH = variant === "bh2" ? Math.expm1(hh) : hh;
  const R: number[][] = [];
  const b: number[] = [];
  let hPhiK = Math.expm1(hh) / hh - 1;
  let factorial = 1;
  for (let i = 1; i <= order; i++) {
    R.push(rks.map((r) => r ** (i - 1)));
    b.push((hPhiK * factorial) / bH);
    factorial *= i + 1;
    hPhiK = hPhiK / hh - 1 / factorial;
  }
  const history = order - 1;
  const predictor = history === 0 ? [] : history === 1 ? [0.5] : solve(sub(R, history), b.slice(0, history));
  if (!useCorrector) return { scale: bH, predictor };
  const rhosC = order === 1 ? [0.5] : solve(R, b);
  return { scale: bH, predictor, corrector: { history: rhosC.slice(0, history), newest: rhosC[history] } };
}

/**
 * `multistep_uni_pc_vary_update`: C_ij = r_i^j/(j + 1)!, A_p = C[:-1, :-1]⁻¹, A_c = C⁻¹ and hφ_k from
 * hφ_0 = e^hh − 1, hφ_k = hφ_{k−1}/hh − 1/k!. The predictor subtracts Σ_{k<K−1} hφ_{k+1}·(A_p[k]·D1); the corrector
 * Σ_{k<K−1} hφ_{k+1}·(A_c[k][:-1]·D1), then hφ_K·A_c[k][−1]·(m_t − m0) with k the loop's last index (K − 2, or 0
 * when K = 1): uni_pc.py's formula as written, which reads the last column of row K − 2, not K − 1.
 */
function varyCoeffWeights(rks: number[], hh: number, useCorrector: boolean): UpdateWeights {
  const K = rks.length;
  const C: number[][] = rks.map(() => []);
  let col = rks.map(() => 1);
  for (let k = 1; k <= K; k++) {
    col.forEach((value, i) => C[i].push(value));
    col = col.map((value, i) => (value * rks[i]) / (k + 1));
  }
  const hPhi: number[] = [Math.expm1(hh)];
  let factorial = 1;
  for (let k = 1; k <= K; k++) {
    hPhi.push(hPhi[k - 1] / hh - 1 / factorial);
    factorial *= k + 1;
  }
  const combine = (A: number[][]) =>
    Array.from({ length: K - 1 }, (_, j) => A.slice(0, K - 1).reduce((sum, row, k) => sum + hPhi[k + 1] * row[j], 0));
  const predictor = K > 1 ? combine(invert(sub(C, K - 1))) : [];
  if (!useCorrector) return { scale: 1, predictor };
  const Ac = invert(C);
  return { scale: 1, predictor, corrector: { history: combine(Ac), newest: hPhi[K] * Ac[Math.max(K - 2, 0)][K - 1] } };
}

function sub(matrix: number[][], size: number): number[][] {
  return matrix.slice(0, size).map((row) => row.slice(0, size));
}

/** Solves A·v = y by Gaussian elimination with partial pivoting (A is at most order × order). */
function solve(matrix: number[][], rhs: number[]): number[] {
  const n = rhs.length;
  const a = matrix.map((row, i) => [...row, rhs[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) if (Math.abs(a[row][col]) > Math.abs(a[pivot][col])) pivot = row;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    for (let row = col + 1; row < n; row++) {
      const factor = a[row][col] / a[col][col];
      for (let c = col; c <= n; c++) a[row][c] -= factor * a[col][c];
    }
  }
  const v = new Array<number>(n).fill(0);
  for (let row = n - 1; row >= 0; row--) {
    let sum = a[row][n];
    for (let c = row + 1; c < n; c++) sum -= a[row][c] * v[c];
    v[row] = sum / a[row][row];
  }
  return v;
}

/** A⁻¹ (`torch.linalg.inv`), column by column with `solve` (A is at most order × order). */
function invert(matrix: number[][]): number[][] {
  const n = matrix.length;
  return transpose(Array.from({ length: n }, (_, c) => solve(matrix, Array.from({ length: n }, (_, r) => (r === c ? 1 : 0)))));
}

function transpose(matrix: number[][]): number[][] {
  return matrix[0]?.map((_, c) => matrix.map((row) => row[c])) ?? [];
}
