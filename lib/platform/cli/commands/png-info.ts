/**
 * `serena png-info FILE`: the generation parameters stored in an image, read by POST /sdapi/v1/png-info: the
 * infotext as stored, then the fields A1111's parser (`parse_generation_parameters`) makes of it.
 */
import { readFile } from "node:fs/promises";
import { CommandError, type Command } from "../args.ts";
import { readConfig } from "../../server/startup.ts";

interface PngInfoReply {
  info: string;
  items: Record<string, unknown>;
  parameters: Record<string, unknown>;
}

const text = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

export const pngInfoCommand: Command = {
  name: "png-info",
  summary: "Print the generation parameters (infotext) stored in an image, and the fields they parse into.",
  usage: "FILE [options]",
  details: "Reads PNG text chunks and JPEG/WebP EXIF comments, as A1111's /sdapi/v1/png-info. Exit code 1 when the image has none.",
  options: [{ name: "json", type: "boolean", help: "print the API's whole answer as JSON (info, items, parameters)" }],
  positionals: { min: 1, max: 1 },
  async run(args, io) {
    const file = args.positionals[0]!;
    let image: Buffer;
    try {
      image = await readFile(file);
    } catch (error) {
      throw new CommandError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    const [{ commandEnv, withApi }, { errorMessage }] = await Promise.all([import("../api-session.ts"), import("../in-process.ts")]);
    // No model is involved: the backend is never asked.
    const config = readConfig({ ...commandEnv(io.env), SERENA_BACKEND: "none" });
    const reply = await withApi(config, null, ({ api }) => api.request("POST", "/sdapi/v1/png-info", { image: image.toString("base64") }));
    if (reply.status !== 200) {
      io.stderr.write(`serena png-info: ${file}: ${errorMessage(reply)} (HTTP ${reply.status})\n`);
      return 1;
    }
    const answer = reply.body as PngInfoReply;
    if (args.values.json === true) {
      io.stdout.write(JSON.stringify(answer, null, 2) + "\n");
      return answer.info ? 0 : 1;
    }
    if (!answer.info) {
      io.stderr.write(`serena png-info: ${file} holds no generation parameters\n`);
      return 1;
    }
    const lines = [answer.info, "", ...Object.entries(answer.parameters).map(([key, value]) => `${key}: ${text(value)}`)];
    io.stdout.write(lines.join("\n") + "\n");
    return 0;
  },
};
