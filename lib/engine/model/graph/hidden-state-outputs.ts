/**
 * `hidden_states.0` … `hidden_states.N` for a CLIP text encoder exported without them (optimum adds them for SDXL,
 * other exporters may not): the tensors are in the graph anyway — the residual stream that ends at the final layer
 * norm's input, two residual Adds per pre-norm transformer layer (structure.ts `residualStream`), walked back from
 * `last_hidden_state` as clip skip does (text-encoder-edits.ts). Each becomes a graph output, so SDXL's conditioning
 * reads the penultimate layer as it would from an export that has them.
 */
import type { ModelEditor } from "./model-editor.ts";
import { finalNormRegion, residualStream } from "./structure.ts";
import { GraphStructureError } from "./text-encoder-edits.ts";

/** The output holding hidden state k (k = 0: the embeddings; k = N: the last layer's output, before the final norm). */
export const hiddenStateOutput = (k: number): string => `serena_hidden_states.${k}`;

/** Adds hiddenStateOutput(0 … N); returns N, the layer count. */
export function addHiddenStateOutputs(model: ModelEditor, lastHiddenState: string): number {
  const last = model.graph.output.find((output) => output.name === lastHiddenState);
  if (last === undefined) throw new GraphStructureError(`the text encoder has no output ${lastHiddenState}`);
  const norm = finalNormRegion(model, lastHiddenState);
  if (norm === null) throw new GraphStructureError(`no layer norm found before ${lastHiddenState}`);
  const stream = residualStream(model, norm.input);
  // [h_N, mid, h_(N−1), …, mid, h_0]: a pre-norm transformer gives 2·N + 1 tensors.
  if (stream.length < 3 || stream.length % 2 === 0) {
    throw new GraphStructureError(`the residual stream before the final layer norm is ${stream.length} tensors long; a pre-norm transformer gives 2·layers + 1`);
  }
  const hidden = stream.filter((_, i) => i % 2 === 0).reverse();
  hidden.forEach((tensor, k) => {
    const name = hiddenStateOutput(k);
    model.addNode({ name: model.freshName(`${name}/Identity`), opType: "Identity", input: [tensor], output: [name] });
    model.addOutput({ ...last, name });
  });
  return hidden.length - 1;
}
