/**
 * The infotext entries a request's settings add, in the order A1111 v1.10.1 inserts them into
 * `extra_generation_params` (docs/a1111-semantics.md): text encoder (`Emphasis`), img2img's `sample`
 * (`Noise multiplier`), the sampler's `get_sigmas` (schedule overrides) and then its `initialize` (eta, churn).
 */
import { describe, expect, it } from "vitest";
import { planRequest } from "../../../lib/a1111/generation/plan.ts";
import { pyFloat } from "../../../lib/a1111/infotext/python-format.ts";
import { Img2ImgRequest, Txt2ImgRequest } from "../../../lib/a1111/schemas/generation.ts";
import { Options } from "../../../lib/a1111/schemas/options.ts";

const WHITE_PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEklEQVR4nGP8//8/A27AhEduEEsDAAYiBhDM5zuPAAAAAElFTkSuQmCC";

const txt2img = (body: Record<string, unknown>, options: Record<string, unknown> = {}) =>
  planRequest({ type: "txt2img", request: Txt2ImgRequest.parse({ prompt: "a cat", seed: 1, ...body }), options: Options.parse(options) });

const img2img = (body: Record<string, unknown>, options: Record<string, unknown> = {}) =>
  planRequest({
    type: "img2img",
    request: Img2ImgRequest.parse({ prompt: "a cat", seed: 1, init_images: [WHITE_PNG], ...body }),
    options: Options.parse(options),
  });

describe("order of the settings' infotext entries", () => {
  it("Emphasis, Noise multiplier, schedule overrides, then the sampler's eta", () => {
    const plan = img2img(
      { prompt: "(a cat)", sampler_name: "DPM++ 2M", scheduler: "Karras", eta: 0.5, initial_noise_multiplier: 0.9 },
      { emphasis: "No norm", sigma_max: 10, always_discard_next_to_last_sigma: true, rho: 5 },
    );
    expect(Object.keys(plan.extra)).toEqual(["Emphasis", "Noise multiplier", "Discard penultimate sigma", "Schedule max sigma", "Schedule rho"]);
  });

  it("the sampler's own entries come after the schedule's", () => {
    const plan = txt2img({ sampler_name: "Euler a", scheduler: "Karras", eta: 0.5 }, { sigma_min: 0.1 });
    expect(Object.keys(plan.extra)).toEqual(["Schedule min sigma", "Eta"]);
  });
});

describe("schedule overrides are recorded where get_sigmas applies them", () => {
  it("not for Automatic on a sampler without a default schedule (the model's own sigmas run)", () => {
    expect(txt2img({ sampler_name: "Euler" }, { sigma_min: 0.1, sigma_max: 10 }).extra).toEqual({});
  });

  it("for a named schedule", () => {
    expect(txt2img({ sampler_name: "Euler", scheduler: "Uniform" }, { sigma_min: 0.1 }).extra).toEqual({ "Schedule min sigma": pyFloat(0.1) });
  });

  it("Schedule rho only for schedules with a rho, and only when it differs from theirs", () => {
    expect(txt2img({ sampler_name: "Euler", scheduler: "Exponential" }, { rho: 5 }).extra).toEqual({});
    expect(txt2img({ sampler_name: "Euler", scheduler: "Karras" }, { rho: 7 }).extra).toEqual({});
    expect(txt2img({ sampler_name: "Euler", scheduler: "Karras" }, { rho: 5 }).extra).toEqual({ "Schedule rho": pyFloat(5) });
  });

  it("the Beta schedule records its shape", () => {
    expect(txt2img({ sampler_name: "Euler", scheduler: "Beta" }).extra).toEqual({ "Beta schedule alpha": pyFloat(0.6), "Beta schedule beta": pyFloat(0.6) });
  });
});
