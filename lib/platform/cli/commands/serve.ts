/**
 * `serena serve`: the local server, as `npm start` runs it (lib/platform/server/startup.ts), with flags over the
 * environment variables they stand for.
 */
import { startServer } from "../../server/startup.ts";
import type { Command } from "../args.ts";
import { AUTH_FLAG, BACKEND_FLAG, commandConfig, HOST_FLAG, MODEL_DIR_FLAG, MODELS_ROOT_FLAG, PORT_FLAG, THREADS_FLAG } from "../settings.ts";

const OPTIONS = [HOST_FLAG, PORT_FLAG, MODEL_DIR_FLAG, MODELS_ROOT_FLAG, BACKEND_FLAG, AUTH_FLAG, THREADS_FLAG];

export const serveCommand: Command = {
  name: "serve",
  summary: "Serve the A1111-compatible API (every route) until Ctrl-C; the same as `npm start`.",
  usage: "[options]",
  details:
    "Each flag sets the environment variable named beside it, over its value in the environment; every other\n" +
    "variable (docs/configuration.md) is read as usual. The model folders are checked before the server listens.",
  options: OPTIONS,
  positionals: { min: 0, max: 0 },
  async run(args, io) {
    const { config, label } = commandConfig(args, OPTIONS, io.env);
    await startServer(config, { label, stderr: io.stderr, exitOnSignal: true });
    return 0;
  },
};
