/**
 * A1111 routes for features Serena does not have. Each answers 501 with A1111's error body
 * (`{"error": "NotImplemented", "detail": "… is not available in Serena: <why>", "body": "", "errors": ""}`), so a
 * client learns what is missing instead of getting a 404 that looks like a wrong URL. The request body is not read.
 */
import { ApiError } from "../errors.ts";
import { implement } from "./route.ts";
import { ROUTE, type RouteDefinition } from "./table.ts";

const unavailable = <D extends RouteDefinition>(definition: D, feature: string, why: string) =>
  implement(definition, async () => {
    throw new ApiError(501, "NotImplemented", `${feature} is not available in Serena: ${why}`);
  });

const NO_TRAINING =
  "Serena serves generation from ONNX exports of checkpoints and does not train; train embeddings or hypernetworks " +
  "elsewhere (Serena does not load hypernetworks either)";
const SERVERLESS =
  "Serena runs as serverless functions (or a local server managed by its own process supervisor), which a request " +
  "cannot stop or restart";

export const interrogate = unavailable(
  ROUTE.interrogate,
  "Interrogation (CLIP and DeepDanbooru captions, /sdapi/v1/interrogate)",
  "it has no captioning models, only the Stable Diffusion pipeline",
);
export const createEmbedding = unavailable(ROUTE["create-embedding"], "Creating embeddings (/sdapi/v1/create/embedding)", NO_TRAINING);
export const createHypernetwork = unavailable(ROUTE["create-hypernetwork"], "Creating hypernetworks (/sdapi/v1/create/hypernetwork)", NO_TRAINING);
export const trainEmbedding = unavailable(ROUTE["train-embedding"], "Training embeddings (/sdapi/v1/train/embedding)", NO_TRAINING);
export const trainHypernetwork = unavailable(ROUTE["train-hypernetwork"], "Training hypernetworks (/sdapi/v1/train/hypernetwork)", NO_TRAINING);
export const serverKill = unavailable(ROUTE["server-kill"], "Killing the server (/sdapi/v1/server-kill)", SERVERLESS);
export const serverRestart = unavailable(ROUTE["server-restart"], "Restarting the server (/sdapi/v1/server-restart)", SERVERLESS);
export const serverStop = unavailable(ROUTE["server-stop"], "Stopping the server (/sdapi/v1/server-stop)", SERVERLESS);
