/**
 * Clip skip as the model serves it (lib/a1111/generation/generate.ts `withServableClipSkip`, docs/api.md "Clip skip"):
 * a request's own `override_settings.CLIP_stop_at_last_layers` that the model cannot serve is a 422 naming it; a
 * stored one (set through POST /options for another checkpoint) is lowered to the deepest clip skip the model serves,
 * which the infotext and `info` then record, with a warning, so that no stored setting makes later requests fail.
 */
import { describe, expect, it } from "vitest";
import { RequestValidationError } from "../../lib/a1111/errors.ts";
import { withServableClipSkip } from "../../lib/a1111/generation/generate.ts";
import { generationInfo } from "../../lib/a1111/generation/info.ts";
import { imageInfotext } from "../../lib/a1111/generation/infotext.ts";
import { planRequest } from "../../lib/a1111/generation/plan.ts";
import type { GenerationJob } from "../../lib/a1111/backend.ts";
import { Txt2ImgRequest } from "../../lib/a1111/schemas/generation.ts";
import { Options } from "../../lib/a1111/schemas/options.ts";
import type { ClipSkipSupport } from "../../lib/engine/plan.ts";

const MODEL = { name: "sd1-diffusers", hash: "0123456789" };
const NONE: ClipSkipSupport = { max: 1, reason: "sd1-diffusers's text encoder cannot serve clip skip: no layers" };
const TWO_LAYERS: ClipSkipSupport = { max: 3, reason: "sd15-tiny's text encoder has 2 layers (clip skip 3 at most)" };
const SD2: ClipSkipSupport = { max: null, reason: "sd2 is an SD 2.x model, whose text encoder does not read clip skip" };

const plan = (stored: number, overrides: Record<string, unknown> | null = null) => {
  const job: GenerationJob = {
    type: "txt2img",
    request: Txt2ImgRequest.parse({ prompt: "a fox", seed: 1, steps: 2, width: 64, height: 64, override_settings: overrides }),
    options: Options.parse({ CLIP_stop_at_last_layers: overrides?.CLIP_stop_at_last_layers ?? stored }),
  };
  return planRequest(job, { now: new Date(0) });
};

function refusal(run: () => unknown): RequestValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof RequestValidationError) return error;
    throw error;
  }
  throw new Error("expected a 422");
}

describe("a stored clip skip the model cannot serve", () => {
  it("is lowered to the deepest one it serves; the infotext, info and warnings say what was used", () => {
    const lowered = withServableClipSkip(plan(2), NONE);
    expect(lowered.options.CLIP_stop_at_last_layers).toBe(1);
    expect(imageInfotext(lowered, 0, MODEL, {})).not.toContain("Clip skip");
    expect(generationInfo(lowered, MODEL, ["x"], {}).clip_skip).toBe(1);
    expect(lowered.warnings).toHaveLength(1);
    expect(lowered.warnings[0]).toContain("CLIP_stop_at_last_layers=2");
    expect(lowered.warnings[0]).toContain("clip skip 1 was used");
    expect(lowered.warnings[0]).toContain(NONE.reason);
  });

  it("is lowered to the model's own limit when it serves some", () => {
    const lowered = withServableClipSkip(plan(5), TWO_LAYERS);
    expect(lowered.options.CLIP_stop_at_last_layers).toBe(3);
    expect(imageInfotext(lowered, 0, MODEL, {})).toContain("Clip skip: 3");
    expect(generationInfo(lowered, MODEL, ["x"], {}).clip_skip).toBe(3);
    expect(lowered.warnings[0]).toContain("CLIP_stop_at_last_layers=5");
  });

  it("keeps the request's other warnings and leaves the plan it was given as it was", () => {
    const original = plan(2, { eta_ancestral: 0.5 });
    const before = structuredClone(original.warnings);
    expect(before.length).toBeGreaterThan(0);
    const lowered = withServableClipSkip(original, NONE);
    expect(lowered.warnings).toEqual([...before, expect.stringContaining("CLIP_stop_at_last_layers=2")]);
    expect(original.warnings).toEqual(before);
    expect(original.options.CLIP_stop_at_last_layers).toBe(2);
  });
});

describe("a clip skip the model serves, or that it does not read", () => {
  it("is the plan as it was: no warning, the infotext says it", () => {
    for (const [stored, support] of [
      [2, TWO_LAYERS],
      [3, TWO_LAYERS],
      [1, NONE],
      [12, SD2],
    ] as const) {
      const original = plan(stored);
      expect(withServableClipSkip(original, support)).toBe(original);
    }
    expect(imageInfotext(withServableClipSkip(plan(12), SD2), 0, MODEL, {})).toContain("Clip skip: 12");
  });

  it("is the plan as it was when the backend cannot tell (null)", () => {
    const original = plan(4);
    expect(withServableClipSkip(original, null)).toBe(original);
  });
});

describe("a clip skip the request's override_settings sent", () => {
  it("that the model cannot serve is a 422 naming override_settings.CLIP_stop_at_last_layers with the reason", () => {
    const error = refusal(() => withServableClipSkip(plan(1, { CLIP_stop_at_last_layers: 2 }), NONE));
    expect(error.issues).toEqual([{ loc: ["body", "override_settings", "CLIP_stop_at_last_layers"], msg: `clip skip 2: ${NONE.reason}`, type: "value_error" }]);
    const deeper = refusal(() => withServableClipSkip(plan(1, { CLIP_stop_at_last_layers: 4 }), TWO_LAYERS));
    expect(deeper.issues[0]!.msg).toBe(`clip skip 4: ${TWO_LAYERS.reason}`);
  });

  it("that the model serves runs as sent", () => {
    const original = plan(1, { CLIP_stop_at_last_layers: 3 });
    expect(withServableClipSkip(original, TWO_LAYERS)).toBe(original);
  });
});
