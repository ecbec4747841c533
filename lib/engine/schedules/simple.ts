import { appendZero } from "./linspace.ts";
import type { ModelSigmas } from "./model-sigmas.ts";

/** A1111 "Simple" (modules/sd_schedulers.py `simple_scheduler`): every (len/n)-th table sigma from the top. */
export function sigmasSimple(n: number, model: ModelSigmas): Float64Array {
  const table = model.sigmas;
  const stride = table.length / n;
  const sigmas = new Float64Array(n);
  for (let x = 0; x < n; x++) sigmas[x] = table[table.length - 1 - Math.trunc(x * stride)];
  return appendZero(sigmas);
}

/**
 * A1111 "DDIM" scheduler (`ddim_scheduler`): table sigmas at 1, 1 + s, 1 + 2s, … with s = len // n, highest first.
 * When len % n is not 0 this gives more than n sigmas, and so more steps, as in A1111.
 */
export function sigmasDdim(n: number, model: ModelSigmas): Float64Array {
  const table = model.sigmas;
  const stride = Math.max(Math.floor(table.length / n), 1);
  const picked: number[] = [];
  for (let x = 1; x < table.length; x += stride) picked.push(table[x]);
  return appendZero(picked.reverse());
}
