/** Progress, interrupt/skip, memory and cmd-flags (docs/a1111-semantics.md §9.7, §9.8, §9.11, §9.12). */
import * as z from "zod";
import { boolField } from "./fields.ts";

export const ProgressQuery = z.object({ skip_current_image: boolField(false) });

export const ProgressState = z.object({
  skipped: z.boolean(),
  interrupted: z.boolean(),
  stopping_generation: z.boolean(),
  job: z.string(),
  job_count: z.int(),
  job_timestamp: z.string(),
  job_no: z.int(),
  sampling_step: z.int(),
  sampling_steps: z.int(),
});

export const ProgressResponse = z
  .object({
    progress: z.number().min(0).max(1),
    eta_relative: z.number(),
    state: ProgressState,
    current_image: z.string().nullable(),
    textinfo: z.string().nullable(),
  })
  .meta({ id: "ProgressResponse" });

export const EmptyObject = z.object({}).strict();
export const NullBody = z.null();

const MemoryFigures = z.object({ free: z.number(), used: z.number(), total: z.number() });
export const MemoryResponse = z
  .object({ ram: MemoryFigures, cuda: z.object({ error: z.string() }) })
  .meta({ id: "MemoryResponse" });

export const FlagsModel = z.record(z.string(), z.unknown()).meta({ id: "FlagsModel" });

export type ProgressResponse = z.output<typeof ProgressResponse>;
