/**
 * `alwayson_scripts` and `script_name` through txt2img/img2img (the CI fake stands in for the engine): entries that
 * leave an extension off are accepted and the request makes its images; anything that would run a script is a 422
 * naming `alwayson_scripts.<title>` (lib/a1111/generation/scripts.ts). Argument shapes: sd-webui-controlnet's
 * `ControlNetUnit` (internal_controlnet/args.py), ADetailer's `[ad_enable, skip_img2img, {unit}, …]`
 * (scripts/!adetailer.py `is_ad_enabled`).
 */
import { describe, expect, it } from "vitest";
import { apiClient, expectCleanError } from "../fixtures/api.ts";
import { dataUri, gradientPng } from "../fixtures/images.ts";
import { ciServices } from "../fixtures/services.ts";

const client = apiClient(ciServices());
const BASE = { prompt: "a cat", seed: 3, steps: 2, width: 64, height: 64, batch_size: 2 };

async function images(body: Record<string, unknown>, url = "/sdapi/v1/txt2img") {
  const reply = await client.post(url, body);
  expect(reply.status, reply.text.slice(0, 400)).toBe(200);
  return (reply.json() as { images: string[] }).images;
}

async function refused(body: Record<string, unknown>) {
  const reply = await client.post("/sdapi/v1/txt2img", body);
  expectCleanError(reply, 422);
  return (reply.json() as { detail: Array<{ loc: unknown[]; msg: string }> }).detail;
}

describe("entries that leave an extension off are no-ops", () => {
  it.each([
    ["ControlNet with no units", { ControlNet: { args: [] } }],
    ["ControlNet with disabled units", { controlnet: { args: [{ enabled: false, module: "canny", model: "control_canny" }, { enabled: false }] } }],
    ["ADetailer switched off", { ADetailer: { args: [false, false, { ad_model: "face_yolov8n.pt" }] } }],
    ["ADetailer with no model", { ADetailer: { args: [true, false, { ad_model: "None" }, {}] } }],
    ["ADetailer with its tab off", { ADetailer: { args: [{ ad_model: "face_yolov8n.pt", ad_tab_enable: false }] } }],
    ["any script without args", { "Dynamic Prompts": {}, Refiner: { args: [] } }],
  ])("%s: the same images as without it", async (_name, alwayson_scripts) => {
    expect(await images({ ...BASE, alwayson_scripts })).toEqual(await images(BASE));
  });

  it("img2img accepts them too", async () => {
    const body = { ...BASE, init_images: [dataUri(await gradientPng(64, 64))] };
    expect(await images({ ...body, alwayson_scripts: { ControlNet: { args: [] } } }, "/sdapi/v1/img2img")).toEqual(
      await images(body, "/sdapi/v1/img2img"),
    );
  });

  it("the request's alwayson_scripts is echoed in parameters, as A1111 echoes the request", async () => {
    const reply = await client.post("/sdapi/v1/txt2img", { ...BASE, alwayson_scripts: { ControlNet: { args: [] } } });
    expect(reply.json().parameters.alwayson_scripts).toEqual({ ControlNet: { args: [] } });
  });
});

describe("entries that would run a script are refused, naming it", () => {
  it("ControlNet with an enabled unit", async () => {
    const detail = await refused({ ...BASE, alwayson_scripts: { ControlNet: { args: [{ enabled: false }, { enabled: true, module: "canny" }] } } });
    expect(detail).toEqual([expect.objectContaining({ loc: ["body", "alwayson_scripts", "ControlNet"] })]);
    expect(detail[0]!.msg).toContain("Serena does not have the script ControlNet");
    expect(detail[0]!.msg).toContain("args[1]");
  });

  it("a ControlNet unit without `enabled` (enabled by default in older ControlNet versions)", async () => {
    const [issue] = await refused({ ...BASE, alwayson_scripts: { ControlNet: { args: [{ module: "canny" }] } } });
    expect(issue!.loc).toEqual(["body", "alwayson_scripts", "ControlNet"]);
  });

  it("ADetailer with an enabled unit", async () => {
    const [issue] = await refused({ ...BASE, alwayson_scripts: { ADetailer: { args: [true, false, { ad_model: "face_yolov8n.pt" }] } } });
    expect(issue!.loc).toEqual(["body", "alwayson_scripts", "ADetailer"]);
    expect(issue!.msg).toContain("face_yolov8n.pt");
  });

  it("ADetailer whose ad_enable is the string \"false\", which ADetailer does not read as a boolean", async () => {
    const [issue] = await refused({ ...BASE, alwayson_scripts: { adetailer: { args: ["false", false, { ad_model: "hand_yolov8n.pt" }] } } });
    expect(issue!.loc).toEqual(["body", "alwayson_scripts", "adetailer"]);
  });

  it("an unknown script with arguments; each bad entry is named", async () => {
    const detail = await refused({ ...BASE, alwayson_scripts: { "Dynamic Prompts": { args: [true] }, ControlNet: { args: [] }, Foo: { args: [0] } } });
    expect(detail.map((d) => d.loc)).toEqual([
      ["body", "alwayson_scripts", "Dynamic Prompts"],
      ["body", "alwayson_scripts", "Foo"],
    ]);
  });

  it("args that are not a list, and an entry that is not an object", async () => {
    expect((await refused({ ...BASE, alwayson_scripts: { ControlNet: { args: "off" } } }))[0]!.loc).toEqual(["body", "alwayson_scripts", "ControlNet", "args"]);
    expect((await refused({ ...BASE, alwayson_scripts: { ControlNet: [] } }))[0]!.loc).toEqual(["body", "alwayson_scripts", "ControlNet"]);
  });

  it("a selectable script_name: A1111's 422 for a script it does not have", async () => {
    expect(await refused({ ...BASE, script_name: "X/Y/Z plot" })).toEqual([
      expect.objectContaining({ loc: ["body", "script_name"], msg: "Script 'X/Y/Z plot' not found" }),
    ]);
  });
});
