/**
 * `/sdapi/v1/unload-checkpoint` and `/reload-checkpoint` (modules/api/api.py `unloadapi`/`reloadapi`, which answer
 * `{}`): they act on the inference backend's loaded model through the optional operations of its port
 * (lib/a1111/backend.ts). The local backend has them; a backend whose model lives in other processes (the worker
 * Lambda, a GPU host) or no backend at all answers 501 saying so, never a silent `{}`.
 */
import type { InferenceBackend } from "../backend.ts";
import { ApiError } from "../errors.ts";
import { readOptions } from "./options.ts";
import { implement } from "./route.ts";
import { ROUTE } from "./table.ts";

const notWithBackend = (what: string, backend: InferenceBackend) =>
  new ApiError(
    501,
    "NotImplemented",
    `${what} is not available in Serena with the '${backend.name}' inference backend: the model is loaded and freed by ` +
      "the processes that run generations (each worker instance manages its own); only the local backend can do this",
  );

export const unloadCheckpoint = implement(ROUTE["unload-checkpoint"], async (_input, ctx) => {
  if (!ctx.backend.unloadModel) throw notWithBackend("Unloading the checkpoint", ctx.backend);
  await ctx.backend.unloadModel();
  return {};
});

/**
 * Loads the checkpoint the settings select (`sd_model_checkpoint`, the backend's first model by default), as A1111
 * brings back `shared.sd_model`.
 */
export const reloadCheckpoint = implement(ROUTE["reload-checkpoint"], async (_input, ctx) => {
  if (!ctx.backend.reloadModel) throw notWithBackend("Reloading the checkpoint", ctx.backend);
  await ctx.backend.reloadModel((await readOptions(ctx)).sd_model_checkpoint);
  return {};
});
