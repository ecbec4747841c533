/**
 * The LoRA folder as A1111 v1.10's Lora extension lists and looks it up (extensions-builtin/Lora/networks.py
 * `list_available_networks`, `load_networks`): names and aliases (`ss_output_name`), aliases two files share and the
 * aliases "none"/"Addams" usable only as file names (`forbidden_network_aliases`), natural order, a rescan when a
 * name is not found, and the shown hash (`sshs_model_hash` from the metadata, else the addnet hash).
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoraCatalog } from "../../../lib/engine/networks/lora-catalog.ts";
import { encodeSafetensors } from "../../fixtures/safetensors.ts";

let dir: string;
const lora = (metadata?: Record<string, string>) =>
  encodeSafetensors({ "lora_unet_conv_in.lora_down.weight": { dtype: "F32", shape: [1, 4], values: [1, 2, 3, 4] } }, metadata);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "serena-lora-catalog-"));
  await mkdir(join(dir, "more"));
  await writeFile(join(dir, "img10.safetensors"), lora({ ss_output_name: "shared" }));
  await writeFile(join(dir, "img2.safetensors"), lora({ ss_output_name: "shared" }));
  await writeFile(join(dir, "more", "cee.safetensors"), lora({ ss_output_name: "Cee Style", sshs_model_hash: "f".repeat(64) }));
  await writeFile(join(dir, "none.safetensors"), lora({ ss_output_name: "other" }));
  await writeFile(join(dir, "readme.txt"), "not a LoRA");
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe("LoraCatalog", () => {
  it("lists LoRA files in natural order, folders after files, named by file and aliased by ss_output_name", async () => {
    const list = await new LoraCatalog(dir).list();
    expect(list.map((l) => [l.name, l.alias])).toEqual([
      ["img2", "shared"],
      ["img10", "shared"],
      ["none", "other"],
      ["cee", "Cee Style"],
    ]);
  });

  it("finds by name or alias; an alias two files share, and 'none', only as a file name", async () => {
    const catalog = new LoraCatalog(dir);
    expect((await catalog.find("Cee Style"))?.name).toBe("cee");
    expect((await catalog.find("cee"))?.name).toBe("cee");
    expect(await catalog.find("shared")).toBeNull();
    expect((await catalog.find("img10"))?.name).toBe("img10");
    expect((await catalog.find("none"))?.name).toBe("none");
    expect((await catalog.find("other"))?.name).toBe("none");
  });

  it("rescans once when a name is not found, so a new file needs no restart", async () => {
    const catalog = new LoraCatalog(dir);
    await catalog.list();
    await writeFile(join(dir, "fresh.safetensors"), lora());
    expect((await catalog.find("fresh"))?.name).toBe("fresh");
  });

  it("shows sshs_model_hash when the metadata has it, else the sha256 of the tensor data (addnet hash)", async () => {
    const catalog = new LoraCatalog(dir);
    expect(await catalog.hash((await catalog.find("cee"))!)).toBe("f".repeat(64));
    const bytes = lora({ ss_output_name: "shared" });
    const header = Number(Buffer.from(bytes).readBigUInt64LE(0));
    const addnet = createHash("sha256").update(bytes.subarray(8 + header)).digest("hex");
    expect(await catalog.hash((await catalog.find("img2"))!)).toBe(addnet);
  });
});
