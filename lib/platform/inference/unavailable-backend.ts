import { backendUnavailable } from "../../a1111/errors.ts";
import type { InferenceBackend } from "../../a1111/backend.ts";

/** `SERENA_BACKEND=none`: generation answers 503 with a message that says how to configure one. */
export function createUnavailableBackend(): InferenceBackend {
  return {
    name: "none",
    async generate() {
      throw backendUnavailable(
        "No inference backend is configured: set SERENA_BACKEND to local, lambda or http (docs/configuration.md)",
      );
    },
    async listModels() {
      return [];
    },
  };
}
