/**
 * Every prompt, negative_prompt and hr_prompt string either generates or is a 422 naming the field. Fuzzed two
 * ways: through the request schema and then the engine's whole text path (extra networks removed, AND split,
 * prompt editing per step, attention, CLIP tokenisation and chunking, as the engine runs them for the request's
 * sampler, steps and hires pass), many times; and end to end on the real engine with the generated tiny model, a
 * few dozen times.
 */
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestValidationError } from "../../lib/a1111/errors.ts";
import type { GenerationJob } from "../../lib/a1111/generation/job.ts";
import { Txt2ImgRequest } from "../../lib/a1111/schemas/generation.ts";
import { Options } from "../../lib/a1111/schemas/options.ts";
import { toValidationIssues } from "../../lib/a1111/validation.ts";
import { tokenizePrompt, type EmphasisMode } from "../../lib/engine/prompts/chunks.ts";
import { splitComposablePrompt } from "../../lib/engine/prompts/composable.ts";
import { parseExtraNetworks } from "../../lib/engine/prompts/extra-networks.ts";
import { getLearnedConditioningPromptSchedules } from "../../lib/engine/prompts/schedule.ts";
import { findSampler, samplerNamed, totalSteps } from "../../lib/engine/samplers/registry.ts";
import { loadClipTokenizer, type ClipTokenizer } from "../../lib/engine/tokenizer/clip-tokenizer.ts";
import { tinyA1111 } from "../fixtures/engine.ts";
import { defaultRuns, FuzzStats, runProperty } from "./fuzz-runner.ts";
import { longString, oddString, promptText } from "./hostile-values.ts";

const PROMPT_FIELDS = ["prompt", "negative_prompt", "hr_prompt", "hr_negative_prompt"] as const;

const stats = new FuzzStats();
let tokenizer: ClipTokenizer;

beforeAll(async () => {
  tokenizer = await loadClipTokenizer(join(import.meta.dirname, "../../assets/clip-tokenizer"));
});

afterAll(() => {
  stats.print("fuzz of prompt strings");
});

const anyPrompt = fc.oneof({ arbitrary: promptText, weight: 6 }, { arbitrary: oddString, weight: 3 }, { arbitrary: longString.map((s) => s.slice(0, 12_000)), weight: 1 });

/** A txt2img body whose only unusual parts are its prompts (and the settings that change how prompts are read). */
const promptBodies = fc.record(
  {
    prompt: anyPrompt,
    negative_prompt: anyPrompt,
    hr_prompt: anyPrompt,
    hr_negative_prompt: anyPrompt,
    enable_hr: fc.boolean(),
    sampler_name: fc.constantFrom("Euler", "DPM2", "Heun", "DPM++ 2M"),
    hr_sampler_name: fc.constantFrom("Euler", "DPM++ SDE"),
    steps: fc.integer({ min: 1, max: 30 }),
    hr_second_pass_steps: fc.integer({ min: 0, max: 10 }),
    override_settings: fc.constantFrom({}, { emphasis: "None" }, { emphasis: "No norm" }),
  },
  { requiredKeys: ["prompt", "steps", "sampler_name"] },
);

/** The texts the engine tokenises for a validated request, with its emphasis mode: every one must tokenise. */
function engineTextPath(request: Txt2ImgRequest, emphasis: EmphasisMode): void {
  const sampler = samplerNamed(request.sampler_name ?? request.sampler_index);
  const steps = totalSteps(sampler, request.steps);
  const passes: Array<{ prompt: string; negative: string; hiresSteps?: number }> = [{ prompt: request.prompt, negative: request.negative_prompt }];
  if (request.enable_hr) {
    const hiresSampler = (request.hr_sampler_name ? findSampler(request.hr_sampler_name) : undefined) ?? sampler;
    passes.push({
      prompt: request.hr_prompt || request.prompt,
      negative: request.hr_negative_prompt || request.negative_prompt,
      hiresSteps: totalSteps(hiresSampler, request.hr_second_pass_steps || request.steps),
    });
  }
  for (const pass of passes) {
    const parts = splitComposablePrompt(parseExtraNetworks(pass.prompt).prompt).map((p) => p.text);
    for (const schedule of getLearnedConditioningPromptSchedules([...parts, pass.negative], steps, pass.hiresSteps)) {
      for (const [, text] of schedule) tokenizePrompt(text, tokenizer, { emphasis });
    }
  }
}

describe("prompt strings through the schema and the engine's text path", () => {
  it("are accepted and tokenise, or are a 422 naming a prompt field", async () => {
    const property = fc.asyncProperty(promptBodies, async (body) => {
      const parsed = Txt2ImgRequest.safeParse(body);
      if (!parsed.success) {
        const issues = toValidationIssues(parsed.error, "body");
        stats.record("schema", 422);
        for (const issue of issues) {
          // Extra-network tags Serena cannot apply are refused too, at the prompt; nothing else in these bodies is odd.
          expect(PROMPT_FIELDS as readonly unknown[]).toContain(issue.loc[1]);
          expect(issue.loc).toHaveLength(2);
        }
        return;
      }
      stats.record("schema", 200);
      const emphasis = (body.override_settings as { emphasis?: EmphasisMode } | undefined)?.emphasis ?? "Original";
      engineTextPath(parsed.data, emphasis);
    });
    await runProperty("prompts text path", property, 1500);
  }, 300_000);
});

describe("prompt strings on the real engine (tiny model)", () => {
  it("generate, or are a 422 naming a prompt field", async () => {
    const engine = await tinyA1111();
    const property = fc.asyncProperty(promptBodies, async (body) => {
      const parsed = Txt2ImgRequest.safeParse({ ...body, width: 64, height: 64, steps: Math.min(body.steps, 3), hr_scale: 1, hr_second_pass_steps: 1 });
      if (!parsed.success) {
        stats.record("engine", 422);
        for (const issue of toValidationIssues(parsed.error, "body")) expect(PROMPT_FIELDS as readonly unknown[]).toContain(issue.loc[1]);
        return;
      }
      const job: GenerationJob = { type: "txt2img", request: parsed.data, options: Options.parse(body.override_settings ?? {}) };
      try {
        const output = await engine.generate(job);
        expect(output.images).toHaveLength(1);
        stats.record("engine", 200);
      } catch (error) {
        // The A1111 edge refuses what the schema cannot know about (extra-network tags Serena cannot apply): a 422 too.
        if (!(error instanceof RequestValidationError)) throw error;
        stats.record("engine", "422 (edge)");
        for (const issue of error.issues) expect(PROMPT_FIELDS as readonly unknown[]).toContain(issue.loc[1]);
      }
    });
    await runProperty("prompts real engine", property, 100);
  }, 300_000);
});

describe("the prompt fuzz covers what it claims", () => {
  it.skipIf(!defaultRuns)("ran at least 1,500 cases, its share of the 10,000 npm test runs", () => {
    expect(stats.total).toBeGreaterThanOrEqual(1500);
  });
});
