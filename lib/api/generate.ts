/**
 * txt2img and img2img: settings with the request's override_settings applied, client images checked before any
 * work is queued, progress tracked while the backend runs, and A1111's response built from the result.
 */
import { generationResponse } from "../generation/response.ts";
import { decodeImage } from "../images/decode.ts";
import { invalidField, RequestValidationError } from "../errors.ts";
import type { RouteContext } from "../http/context.ts";
import { withOverrides } from "../runtime/options-store.ts";
import type { Img2ImgRequest, Txt2ImgRequest } from "../schemas/generation.ts";
import type { GenerationResponse } from "../schemas/generation-response.ts";
import { isOptionKey, parseOption, RESTRICTED_OPTIONS, type Options } from "../schemas/options.ts";
import { toValidationIssues } from "../http/validation.ts";
import type { ValidationIssue } from "../schemas/errors.ts";
import { findModel } from "./models.ts";

/**
 * `override_settings` keys Serena knows are validated like POST /options; unknown keys are ignored, since clients
 * send settings for extensions that do not exist here (A1111 ignores unknown keys too).
 */
export async function effectiveOptions(
  base: Options,
  overrides: Record<string, unknown> | null,
  ctx: RouteContext,
): Promise<Options> {
  if (!overrides) return base;
  const valid: Partial<Record<keyof Options, unknown>> = {};
  const issues: ValidationIssue[] = [];
  for (const [key, value] of Object.entries(overrides)) {
    if (!isOptionKey(key) || RESTRICTED_OPTIONS.has(key)) continue;
    const parsed = parseOption(key, value);
    if (parsed.success) valid[key] = parsed.data;
    else issues.push(...toValidationIssues(parsed.error, "body").map((i) => ({ ...i, loc: ["body", "override_settings", key, ...i.loc.slice(1)] })));
  }
  if (issues.length > 0) throw new RequestValidationError(issues);
  if (typeof valid.sd_model_checkpoint === "string" && valid.sd_model_checkpoint !== "") {
    const model = await findModel(ctx.backend, valid.sd_model_checkpoint);
    if (!model) throw invalidField(["override_settings", "sd_model_checkpoint"], `model '${valid.sd_model_checkpoint}' not found`);
    valid.sd_model_checkpoint = model.title;
  }
  return withOverrides(base, valid);
}

async function checkClientImages(request: Img2ImgRequest): Promise<void> {
  await Promise.all((request.init_images ?? []).map((image, i) => decodeImage(image, ["init_images", i])));
  if (request.mask) await decodeImage(request.mask, ["mask"]);
}

export async function generate(
  type: "txt2img" | "img2img",
  request: Txt2ImgRequest | Img2ImgRequest,
  ctx: RouteContext,
): Promise<GenerationResponse> {
  const options = await effectiveOptions(await ctx.services.options.get(), request.override_settings, ctx);
  if (type === "img2img") await checkClientImages(request as Img2ImgRequest);
  const job =
    type === "txt2img"
      ? { type, request: request as Txt2ImgRequest, options }
      : { type, request: request as Img2ImgRequest, options };
  const { hooks, end } = ctx.services.progress.begin(`scripts_${type}`, request.n_iter, request.steps);
  try {
    return generationResponse(request, await ctx.backend.generate(job, hooks));
  } finally {
    end();
  }
}
