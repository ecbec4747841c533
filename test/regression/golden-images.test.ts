/**
 * Same request, same bytes: the SHA-256 of every image a fixed set of requests produces, recorded before the
 * architecture change and kept as a regression check. Requests go through the route handlers (the API contract,
 * which no refactor may change) on the real engine and on the CI fake.
 *
 * A change that is *meant* to alter images (a fixed bug, a new feature on by default) regenerates the file with
 * `SERENA_UPDATE_GOLDEN=1 npx vitest run test/regression/golden-images.test.ts` and says why in its commit.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Services } from "../../lib/platform/runtime/services.ts";
import { apiClient } from "../fixtures/api.ts";
import { gradientDataUri, TEST_CACHE_DIR, tinyModelDir } from "../fixtures/engine.ts";
import { ciServices, testServices } from "../fixtures/services.ts";
import { GOLDEN_CASES, type GoldenCase } from "./golden-cases.ts";

const GOLDEN_FILE = path.join(import.meta.dirname, "golden-images.json");
const updating = process.env.SERENA_UPDATE_GOLDEN === "1";
const recorded: Record<string, string[]> = existsSync(GOLDEN_FILE) ? JSON.parse(readFileSync(GOLDEN_FILE, "utf8")) : {};
const produced: Record<string, string[]> = {};

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const opened: Services[] = [];
let realApi: Promise<ReturnType<typeof apiClient>> | undefined;

/** One local backend over a models root holding every tiny exporter variant, each under its variant name. */
function realEngineApi() {
  realApi ??= (async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "serena-golden-"));
    for (const variant of ["sd1-diffusers", "sd1-diffusers-fp16", "sd1-optimum-1.22", "sd2-optimum-1.23", "sd1-optimum-1.24"] as const) {
      await symlink(await tinyModelDir(variant), path.join(root, variant));
    }
    const services = testServices({ SERENA_BACKEND: "local", SERENA_CACHE_DIR: TEST_CACHE_DIR, SERENA_MODELS_ROOT: root });
    opened.push(services);
    return apiClient(services);
  })();
  return realApi;
}

const fakeApi = apiClient(ciServices());

afterAll(async () => {
  await Promise.all(opened.map((s) => s.backend.close?.()));
  if (updating) writeFileSync(GOLDEN_FILE, `${JSON.stringify({ ...recorded, ...produced }, null, 1)}\n`);
});

async function requestBody(c: GoldenCase): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = { ...c.body };
  if (c.initImages) body.init_images = await Promise.all(c.initImages.map(([w, h]) => gradientDataUri(w, h)));
  if (c.model) body.override_settings = { ...(body.override_settings as object), sd_model_checkpoint: c.model };
  return body;
}

describe("golden images", () => {
  it.each(GOLDEN_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const api = c.fake ? fakeApi : await realEngineApi();
    const reply = await api.post(`/sdapi/v1/${c.route}`, await requestBody(c));
    expect(reply.status, reply.text.slice(0, 500)).toBe(200);
    const body = reply.json() as { images: string[]; info: string };
    // The fake's whole body is deterministic (fixed job timestamp); the engine's `info` carries the time of the job.
    const hashes = c.fake ? [sha256(reply.text)] : body.images.map(sha256);
    produced[c.name] = hashes;
    if (!updating) expect(hashes).toEqual(recorded[c.name]);
  });
});
