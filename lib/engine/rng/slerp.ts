/**
 * A1111's `slerp` (modules/rng.py, after discuss.pytorch.org/t/32475), used to blend seed and variation-seed
 * noise. On a (C, H, W) tensor its `dim=1` is the H axis: every (c, w) column is interpolated on its own, and the
 * near-parallel fallback swaps the weights (`low·t + high·(1−t)`). Both quirks are kept because they decide the
 * image a variation seed gives.
 */
const PARALLEL_DOT = 0.9995;

export function slerp(
  t: number,
  low: Float32Array,
  high: Float32Array,
  shape: readonly [channels: number, height: number, width: number],
): Float32Array {
  const [channels, height, width] = shape;
  const columns = channels * width;
  const dots = columnCosines(low, high, channels, height, width);
  let dotSum = 0;
  for (let column = 0; column < columns; column++) dotSum += dots[column];

  const result = new Float32Array(low.length);
  if (dotSum / columns > PARALLEL_DOT) {
    for (let i = 0; i < low.length; i++) result[i] = low[i] * t + high[i] * (1 - t);
    return result;
  }

  // Per column: res = sin((1−t)ω)/sin ω · low + sin(tω)/sin ω · high, with ω = acos(dot).
  const lowWeights = new Float64Array(columns);
  const highWeights = new Float64Array(columns);
  for (let column = 0; column < columns; column++) {
    const omega = Math.acos(dots[column]);
    const sinOmega = Math.sin(omega);
    lowWeights[column] = Math.sin((1 - t) * omega) / sinOmega;
    highWeights[column] = Math.sin(t * omega) / sinOmega;
  }
  for (let c = 0, index = 0; c < channels; c++) {
    for (let h = 0; h < height; h++) {
      for (let w = 0, column = c * width; w < width; w++, column++, index++) {
        result[index] = lowWeights[column] * low[index] + highWeights[column] * high[index];
      }
    }
  }
  return result;
}

/** The cosine between `low` and `high` along H for each (c, w) column: A1111's normalised `dot` over dim 1. */
function columnCosines(
  low: Float32Array,
  high: Float32Array,
  channels: number,
  height: number,
  width: number,
): Float64Array {
  const columns = channels * width;
  const lowSquares = new Float64Array(columns);
  const highSquares = new Float64Array(columns);
  const dots = new Float64Array(columns);
  for (let c = 0, index = 0; c < channels; c++) {
    for (let h = 0; h < height; h++) {
      for (let w = 0, column = c * width; w < width; w++, column++, index++) {
        lowSquares[column] += low[index] * low[index];
        highSquares[column] += high[index] * high[index];
        dots[column] += low[index] * high[index];
      }
    }
  }
  for (let column = 0; column < columns; column++) {
    dots[column] /= Math.sqrt(lowSquares[column]) * Math.sqrt(highSquares[column]);
  }
  return dots;
}
