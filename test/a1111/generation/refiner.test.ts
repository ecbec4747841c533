/**
 * A1111's refiner fields (v1.10 modules/processing.py: `refiner_checkpoint not in (None, "", "None", "none")`;
 * sd_samplers_common.py `apply_refiner`: the `extra_generation_params` it writes, None values left out of the
 * infotext by `create_infotext`).
 */
import { describe, expect, it } from "vitest";
import { refinerExtras, refinerPlan, requestedRefiner } from "../../../lib/a1111/generation/refiner.ts";
import { pyFloat } from "../../../lib/a1111/infotext/python-format.ts";
import type { Options } from "../../../lib/a1111/schemas/options.ts";

const OPTIONS: Pick<Options, "hires_fix_refiner_pass" | "refiner_switch_by_sample_steps"> = { hires_fix_refiner_pass: "second pass", refiner_switch_by_sample_steps: false };
const REFINER = { name: "sdxl-refiner", hash: "0123456789" };

describe("refiner_checkpoint", () => {
  it.each([null, "", "None", "none"])("%j asks for no refiner", (name) => {
    expect(requestedRefiner({ refiner_checkpoint: name })).toBeNull();
  });

  it("is planned with the backend's folder, its switch point and the hires pass option", () => {
    expect(refinerPlan({ refiner_checkpoint: "sdxl-refiner", refiner_switch_at: 0.8 }, OPTIONS, "/models/sdxl-refiner", "/models/sdxl")).toEqual({
      modelDir: "/models/sdxl-refiner",
      switchAt: 0.8,
      hiresPass: "second pass",
      bySteps: false,
    });
  });

  it("is no refiner when it is the model itself (A1111 compares the checkpoints and never switches)", () => {
    expect(refinerPlan({ refiner_checkpoint: "sdxl", refiner_switch_at: 0.8 }, OPTIONS, "/models/sdxl", "/models/sdxl")).toBeNull();
  });

  it("is a 422 on refiner_checkpoint where the backend has no refiners", () => {
    expect(() => refinerPlan({ refiner_checkpoint: "sdxl-refiner", refiner_switch_at: 0.8 }, OPTIONS, undefined)).toThrow(
      /^body\.refiner_checkpoint: refiner models are not available/,
    );
  });
});

describe("refiner infotext entries", () => {
  it("are none until the refiner takes over", () => {
    expect(refinerExtras({ refiner_switch_at: 0.8 }, OPTIONS, false, undefined)).toEqual({});
  });

  it("name the refiner by its short title and the switch point", () => {
    expect(refinerExtras({ refiner_switch_at: 0.8 }, OPTIONS, false, REFINER)).toEqual({ Refiner: "sdxl-refiner [0123456789]", "Refiner switch at": pyFloat(0.8) });
  });

  it("leave out a None switch point", () => {
    expect(refinerExtras({ refiner_switch_at: null }, OPTIONS, false, REFINER)).toEqual({ Refiner: "sdxl-refiner [0123456789]" });
  });

  it("add Hires refiner first with hires fix and a pass option other than the default", () => {
    const extras = refinerExtras({ refiner_switch_at: 0.5 }, { ...OPTIONS, hires_fix_refiner_pass: "both passes" }, true, REFINER);
    expect(Object.keys(extras)).toEqual(["Hires refiner", "Refiner", "Refiner switch at"]);
    expect(extras["Hires refiner"]).toBe("both passes");
    expect(refinerExtras({ refiner_switch_at: 0.5 }, OPTIONS, true, REFINER)).not.toHaveProperty("Hires refiner");
  });

  it("record refiner_switch_by_sample_steps on every generation, refiner or not", () => {
    expect(refinerExtras({ refiner_switch_at: null }, { ...OPTIONS, refiner_switch_by_sample_steps: true }, false, undefined)).toEqual({
      "Refiner switch by sampling steps": true,
    });
  });
});
