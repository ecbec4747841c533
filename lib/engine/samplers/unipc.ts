import { reportStep } from "./step-ops.ts";
import type { SamplerArgs } from "./types.ts";

export interface UniPcArgs extends SamplerArgs {
  /** A1111 opts.uni_pc_variant: B(h) = h ("bh1", the default) or e^h − 1 ("bh2"). */
  readonly variant?: "bh1" | "bh2";
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
 * A1111 requires order ≤ steps; here the order is lowered to the step count instead. `onStep` gets the newest
 * model value, which on the last step is the previous one (A1111 reports none there).
 */
export async function sampleUniPc(args: UniPcArgs): Promise<Float32Array> {
  const { sigmas } = args;
  const steps = sigmas.length - 1;
  const order = Math.min(args.order ?? 3, steps);
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
 * `multistep_uni_pc_bh_update` with predict_x0, in place on x. Returns the model value at the predicted x
 * (the corrector's evaluation), or undefined without a corrector.
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
  const bH = args.variant === "bh2" ? Math.expm1(hh) : hh;
  const R: number[][] = [];
  const b: number[] = [];
  let hPhiK = hPhi1 / hh - 1;
  let factorial = 1;
  for (let i = 1; i <= order; i++) {
    R.push(rks.map((r) => r ** (i - 1)));
    b.push((hPhiK * factorial) / bH);
    factorial *= i + 1;
    hPhiK = hPhiK / hh - 1 / factorial;
  }

  // D1s[k] = (m_{prev k+1} − m0)/r_k; their weighted sums are formed element by element below.
  const history = order - 1;
  const rhosP = history === 0 ? [] : history === 1 ? [0.5] : solve(sub(R, history), b.slice(0, history));
  const scaleX = sigmaT / sigma0;
  const xBase = new Float32Array(x.length); // x_t_ = (σ_t/σ_0)·x − hφ1·m0
  for (let k = 0; k < x.length; k++) {
    xBase[k] = scaleX * x[k] - hPhi1 * model0[k];
    let predicted = 0;
    for (let j = 0; j < history; j++) predicted += (rhosP[j] * (models[last - 1 - j][k] - model0[k])) / rks[j];
    x[k] = xBase[k] - bH * predicted;
  }
  if (!useCorrector) return undefined;

  const modelT = await args.denoise(x, sigmaT);
  const rhosC = order === 1 ? [0.5] : solve(R, b);
  for (let k = 0; k < x.length; k++) {
    let corrected = rhosC[history] * (modelT[k] - model0[k]);
    for (let j = 0; j < history; j++) corrected += (rhosC[j] * (models[last - 1 - j][k] - model0[k])) / rks[j];
    x[k] = xBase[k] - bH * corrected;
  }
  return modelT;
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
