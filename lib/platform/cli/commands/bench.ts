/** `serena bench`: the engine benchmark, scripts/bench.ts (`npm run bench`), with flags for its variables. */
import { spawn } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { stringValue, type Command, type OptionSpec } from "../args.ts";

const BENCH_SCRIPT = fileURLToPath(new URL("../../../../scripts/bench.ts", import.meta.url));

const OPTIONS: (OptionSpec & { variable: string })[] = [
  { name: "generations", variable: "BENCH_GENERATIONS", type: "string", value: "N", help: "measured generations after 3 warm-up ones (BENCH_GENERATIONS, default 50)" },
  { name: "sampler", variable: "BENCH_SAMPLER", type: "string", value: "NAME", help: "sampler (BENCH_SAMPLER, default Euler)" },
  { name: "variant", variable: "BENCH_VARIANT", type: "string", value: "NAME", help: "tiny model variant (BENCH_VARIANT, default sd1-diffusers)" },
  { name: "threads", variable: "SERENA_ORT_THREADS", type: "string", value: "N", help: "onnxruntime intra-op threads (SERENA_ORT_THREADS)" },
];

export const benchCommand: Command = {
  name: "bench",
  summary: "Run the engine benchmark (scripts/bench.ts): txt2img 512x512, 20 steps on the tiny model, then /progress latency.",
  usage: "[options]",
  details: "Prints a table and writes bench-results/bench.json in the working folder (docs/engine.md, Benchmark).",
  options: OPTIONS,
  positionals: { min: 0, max: 0 },
  run(args, io) {
    const env = { ...io.env };
    for (const option of OPTIONS) {
      const value = stringValue(args, option.name);
      if (value !== undefined) env[option.variable] = value;
    }
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BENCH_SCRIPT], { env, stdio: "inherit" });
      child.once("error", reject);
      child.once("exit", (code, signal) => resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0)));
    });
  },
};
