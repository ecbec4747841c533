/** `serena models`: the checkpoints the configured backend sees, as GET /sdapi/v1/sd-models lists them. */
import type { Command } from "../args.ts";
import { commandConfig, MODEL_FLAGS } from "../settings.ts";

interface ModelItem {
  title: string;
  filename: string;
}

export const modelsCommand: Command = {
  name: "models",
  summary: "List the models the configured backend can load (GET /sdapi/v1/sd-models): title, then folder.",
  usage: "[options]",
  details: "The first is the default. Pass a title or name to `serena txt2img --model`.",
  options: MODEL_FLAGS,
  positionals: { min: 0, max: 0 },
  async run(args, io) {
    const [{ checkCommandModels, commandEnv, withApi }, { errorMessage }] = await Promise.all([import("../api-session.ts"), import("../in-process.ts")]);
    const { config, label } = commandConfig(args, MODEL_FLAGS, commandEnv(io.env));
    await checkCommandModels(config, label, io.stderr);
    const reply = await withApi(config, null, ({ api }) => api.request("GET", "/sdapi/v1/sd-models"));
    if (reply.status !== 200) {
      io.stderr.write(`serena models: ${errorMessage(reply)} (HTTP ${reply.status})\n`);
      return 1;
    }
    const models = reply.body as ModelItem[];
    if (models.length === 0) io.stderr.write(`serena models: the ${config.backend} backend lists no models\n`);
    for (const model of models) io.stdout.write(`${model.title}\t${model.filename}\n`);
    return 0;
  },
};
