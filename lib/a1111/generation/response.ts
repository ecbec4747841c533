/** The A1111 response body for txt2img/img2img (docs/a1111-semantics.md). */
import type { GenerationOutput } from "./job.ts";
import type { GenerationRequest } from "../schemas/generation.ts";
import type { GenerationResponse } from "../schemas/generation-response.ts";
import { infoJsonString } from "./info.ts";

/** `parameters` echoes the request after defaults; img2img drops init images and mask unless asked to keep them. */
export function echoParameters(request: GenerationRequest): Record<string, unknown> {
  const echo: Record<string, unknown> = { ...request };
  if ("include_init_images" in request && !request.include_init_images) {
    echo.init_images = null;
    echo.mask = null;
  }
  return echo;
}

export function generationResponse(request: GenerationRequest, output: GenerationOutput): GenerationResponse {
  const response: GenerationResponse = {
    images: request.send_images ? output.images.map((b) => b.toString("base64")) : [],
    parameters: echoParameters(request),
    info: infoJsonString(output.info),
  };
  if (output.warnings?.length) response.warnings = output.warnings;
  return response;
}
