/** Turning a command line into an A1111 request body, and the image files' names. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseCommand, UsageError } from "../../../lib/platform/cli/args.ts";
import { COMMON_FIELDS, requestBody, txt2imgCommand } from "../../../lib/platform/cli/commands/generate.ts";
import { imageExtension, nextSequenceNumber } from "../../../lib/platform/cli/image-files.ts";

const body = (...argv: string[]) => requestBody(parseCommand(txt2imgCommand, argv), []);

describe("parseCommand", () => {
  it("takes a negative number as the value of the option before it", () => {
    const args = parseCommand(txt2imgCommand, ["a fox", "--seed", "-1", "-n", "-2", "--cfg=-3"]);
    expect(args.values).toMatchObject({ seed: "-1", "batch-count": "-2", cfg: "-3" });
    expect(args.positionals).toEqual(["a fox"]);
  });

  it("still refuses an unknown option that looks like a negative number's neighbour", () => {
    expect(() => parseCommand(txt2imgCommand, ["a fox", "-1"])).toThrow(UsageError);
  });

  it("keeps everything after -- as positionals (a prompt starting with a dash)", () => {
    expect(parseCommand(txt2imgCommand, ["--steps", "2", "--", "-a fox"]).positionals).toEqual(["-a fox"]);
  });

  it("--help needs no positional", () => {
    expect(parseCommand(txt2imgCommand, ["--help"]).help).toBe(true);
  });
});

describe("requestBody", () => {
  it("passes values as typed, for the API's lax coercion to read", () => {
    expect(requestBody(parseCommand(txt2imgCommand, ["a fox", "--steps", "20", "--cfg", "6.5", "-n", "3", "--negative", "blur"]), COMMON_FIELDS)).toEqual({
      prompt: "a fox",
      steps: "20",
      cfg_scale: "6.5",
      n_iter: "3",
      negative_prompt: "blur",
    });
  });

  it("--size WxH and a single N for a square", () => {
    expect(body("x", "--size", "768x512")).toMatchObject({ width: "768", height: "512" });
    expect(body("x", "--size", "640")).toMatchObject({ width: "640", height: "640" });
  });

  it("--model sets override_settings.sd_model_checkpoint", () => {
    expect(body("x", "--model", "sd15 [abc]").override_settings).toEqual({ sd_model_checkpoint: "sd15 [abc]" });
  });

  it("--set takes JSON values, and text when the value is not JSON", () => {
    expect(body("x", "--set", "enable_hr=true", "--set", "hr_scale=1.5", "--set", "styles=[\"a\"]", "--set", "hr_upscaler=Latent (bicubic)")).toMatchObject({
      enable_hr: true,
      hr_scale: 1.5,
      styles: ["a"],
      hr_upscaler: "Latent (bicubic)",
    });
    expect(() => body("x", "--set", "=1")).toThrow(/FIELD=VALUE/);
  });
});

describe("image files", () => {
  it("numbers on from the highest NNNNN- prefix in the folder; other files do not count", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "serena-seq-"));
    try {
      expect(await nextSequenceNumber(dir)).toBe(0);
      for (const name of ["00003-5.png", "notes.txt", "00010-1.jpg", "grid-00099.png"]) await writeFile(path.join(dir, name), "");
      expect(await nextSequenceNumber(dir)).toBe(11);
      expect(await nextSequenceNumber(path.join(dir, "missing"))).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("names the extension by the file's magic bytes", () => {
    expect(imageExtension(Buffer.from("89504e470d0a1a0a0000", "hex"))).toBe("png");
    expect(imageExtension(Buffer.from("ffd8ffe0", "hex"))).toBe("jpg");
    expect(imageExtension(Buffer.from("RIFF\0\0\0\0WEBPVP8 ", "latin1"))).toBe("webp");
    expect(imageExtension(Buffer.from("GIF89a", "latin1"))).toBe("bin");
  });
});
