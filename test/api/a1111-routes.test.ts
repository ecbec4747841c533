/**
 * A1111 v1.10.1's remaining routes (modules/api/api.py `Api.__init__`, modules/ui.py `setup_ui_api`): each exists,
 * answers A1111's response model with what Serena has, or 501 in A1111's error shape naming a feature Serena lacks —
 * never a 404.
 */
import { describe, expect, it } from "vitest";
import type { InferenceBackend } from "../../lib/a1111/backend.ts";
import { ROUTE } from "../../lib/a1111/routes/table.ts";
import { ExtensionList, FaceRestorerList, HypernetworkList, RealesrganList, ScriptInfoList } from "../../lib/a1111/schemas/catalogs.ts";
import { HTTPErrorBody } from "../../lib/a1111/schemas/errors.ts";
import { apiClient, expectCleanError } from "../fixtures/api.ts";
import { ciServices } from "../fixtures/services.ts";

const client = apiClient(ciServices());

describe("listing routes answer A1111's models with what Serena has: nothing", () => {
  it.each([
    ["/sdapi/v1/hypernetworks", HypernetworkList],
    ["/sdapi/v1/face-restorers", FaceRestorerList],
    ["/sdapi/v1/realesrgan-models", RealesrganList],
    ["/sdapi/v1/script-info", ScriptInfoList],
    ["/sdapi/v1/extensions", ExtensionList],
  ] as const)("GET %s is 200 []", async (url, schema) => {
    const reply = await client.get(url);
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toMatch(/^application\/json/);
    expect(schema.safeParse(reply.json()).success).toBe(true);
    expect(reply.json()).toEqual([]);
  });

  it("A1111's item models have A1111's fields (modules/api/models.py)", () => {
    expect(Object.keys(HypernetworkList.element.shape)).toEqual(["name", "path"]);
    expect(Object.keys(FaceRestorerList.element.shape)).toEqual(["name", "cmd_dir"]);
    expect(Object.keys(RealesrganList.element.shape)).toEqual(["name", "path", "scale"]);
    expect(Object.keys(ScriptInfoList.element.shape)).toEqual(["name", "is_alwayson", "is_img2img", "args"]);
    expect(Object.keys(ExtensionList.element.shape)).toEqual(["name", "remote", "branch", "commit_hash", "version", "commit_date", "enabled"]);
  });

  it("/script-info and /scripts list the same scripts (none)", async () => {
    const scripts = (await client.get("/sdapi/v1/scripts")).json() as { txt2img: string[]; img2img: string[] };
    const info = (await client.get("/sdapi/v1/script-info")).json() as Array<{ name: string }>;
    expect([...scripts.txt2img, ...scripts.img2img].sort()).toEqual(info.map((s) => s.name).sort());
    expect(scripts).toEqual({ txt2img: [], img2img: [] });
  });

  it("POST /sdapi/v1/refresh-vae is 200 null, as A1111's refresh_vae", async () => {
    const reply = await client.post("/sdapi/v1/refresh-vae");
    expect(reply.status).toBe(200);
    expect(reply.json()).toBeNull();
  });
});

describe("features Serena does not have answer 501 naming the feature", () => {
  it.each([
    ["/sdapi/v1/interrogate", { image: "", model: "clip" }, "Interrogation"],
    ["/sdapi/v1/create/embedding", { name: "x", num_vectors_per_token: 1 }, "Creating embeddings"],
    ["/sdapi/v1/create/hypernetwork", { name: "x" }, "Creating hypernetworks"],
    ["/sdapi/v1/train/embedding", { embedding_name: "x" }, "Training embeddings"],
    ["/sdapi/v1/train/hypernetwork", { hypernetwork_name: "x" }, "Training hypernetworks"],
    ["/sdapi/v1/server-kill", undefined, "Killing the server"],
    ["/sdapi/v1/server-restart", undefined, "Restarting the server"],
    ["/sdapi/v1/server-stop", undefined, "Stopping the server"],
  ] as const)("POST %s", async (url, body, feature) => {
    const reply = await client.post(url, body);
    expectCleanError(reply, 501);
    const error = HTTPErrorBody.parse(reply.json());
    expect(error).toMatchObject({ error: "NotImplemented", body: "", errors: "" });
    expect(error.detail.startsWith(feature)).toBe(true);
    expect(error.detail).toContain(`${url}) is not available in Serena: `);
  });

  it("the body is not read: a malformed one still gets the 501", async () => {
    expectCleanError(await client.post("/sdapi/v1/interrogate", "{not json"), 501);
  });
});

/** A backend that records the checkpoint operations the routes ask for. */
function recordingBackend(calls: string[]): InferenceBackend {
  return {
    name: "recording",
    generate: () => Promise.reject(new Error("not used")),
    listModels: async () => [{ title: "m [abc]", model_name: "m", hash: "abc", sha256: null, filename: "m", config: null }],
    unloadModel: async () => void calls.push("unload"),
    reloadModel: async (name) => void calls.push(`reload ${name}`),
  };
}

describe("unload-checkpoint and reload-checkpoint act on the backend's model", () => {
  it("call the backend's operations and answer A1111's {}", async () => {
    const calls: string[] = [];
    const recording = apiClient(ciServices({}, { backend: recordingBackend(calls) }));
    await recording.post("/sdapi/v1/options", { sd_model_checkpoint: "m [abc]" });
    for (const url of ["/sdapi/v1/unload-checkpoint", "/sdapi/v1/reload-checkpoint"]) {
      const reply = await recording.post(url);
      expect(reply.status).toBe(200);
      expect(reply.json()).toEqual({});
    }
    expect(calls).toEqual(["unload", "reload m [abc]"]);
  });

  it.each(["/sdapi/v1/unload-checkpoint", "/sdapi/v1/reload-checkpoint"])("%s is 501 naming a backend without the operation", async (url) => {
    const reply = await client.post(url);
    expectCleanError(reply, 501);
    expect(reply.json()).toMatchObject({ error: "NotImplemented", detail: expect.stringContaining("with the 'none' inference backend") });
  });

  it("they wait out the model-list timeout, as loading can take long", () => {
    expect(ROUTE["reload-checkpoint"].timeout).toBe(ROUTE["sd-models"].timeout);
  });
});

describe("GET /internal/sysinfo", () => {
  it("is A1111's sysinfo JSON as inline plain text with a checksum A1111's check() accepts", async () => {
    const reply = await client.get("/internal/sysinfo");
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(reply.headers["content-disposition"]).toMatch(/^inline; filename="sysinfo-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}\.json"$/);
    const info = JSON.parse(reply.text) as Record<string, unknown>;
    // modules/sysinfo.py get_dict's keys, in its order.
    expect(Object.keys(info).slice(0, 19)).toEqual([
      "Platform", "Python", "Version", "Commit", "Script path", "Data path", "Extensions dir", "Checksum", "Commandline",
      "Torch env info", "Exceptions", "CPU", "RAM", "Extensions", "Inactive extensions", "Environment", "Config", "Startup", "Packages",
    ]);
    expect(info.Config).toMatchObject({ samples_format: "png" });
    // modules/sysinfo.py check(): sha256 of the text with the checksum put back to the token.
    const checksum = info.Checksum as string;
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
    const { createHash } = await import("node:crypto");
    const restored = reply.text.replace(`"Checksum": "${checksum}"`, '"Checksum": "DontStealMyGamePlz__WINNERS_DONT_USE_DRUGS__DONT_COPY_THAT_FLOPPY"');
    expect(createHash("sha256").update(restored, "utf8").digest("hex")).toBe(checksum);
  });
});
