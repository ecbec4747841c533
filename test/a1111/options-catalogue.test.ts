/**
 * The settings catalogue (lib/a1111/schemas/a1111-options.ts) against A1111 v1.10.1's source
 * (commit 82a973c04367123ae98bd9abdf80d9eda9b910e2), and the Options model built from it
 * (lib/a1111/schemas/options.ts): every key, its default, its type, bounds and choices, colours, restricted keys.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, expectTypeOf, it } from "vitest";
import { A1111_OPTIONS, A1111_UNSTORED_OPTIONS, type A1111OptionSpec } from "../../lib/a1111/schemas/a1111-options.ts";
import {
  ACTED_ON_OPTIONS,
  isOptionKey,
  Options,
  optionShape,
  parseOption,
  RESTRICTED_OPTIONS,
  UNIMPLEMENTED_OPTIONS,
  unimplementedOption,
  type OptionKey,
} from "../../lib/a1111/schemas/options.ts";
import { apiClient, expectCleanError } from "../fixtures/api.ts";
import { ciServices } from "../fixtures/services.ts";

const catalogue = A1111_OPTIONS as Record<string, A1111OptionSpec>;
const keys = Object.keys(catalogue);
const OPTIONS = "/sdapi/v1/options";

/** The messages of a refused value, with the path inside the value. */
function refusal(key: string, value: unknown) {
  expect(isOptionKey(key)).toBe(true);
  const parsed = parseOption(key as OptionKey, value);
  expect(parsed.success, `${key} = ${JSON.stringify(value)} should be refused`).toBe(false);
  return parsed.error!.issues.map((i) => ({ path: i.path, message: i.message }));
}

function accepted(key: string, value: unknown): unknown {
  const parsed = parseOption(key as OptionKey, value);
  expect(parsed.success, `${key} = ${JSON.stringify(value)}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
  return parsed.data;
}

describe("the catalogue lists every setting a default A1111 v1.10.1 install stores", () => {
  it("has 324 keys: 281 from modules/shared_options.py, 1 from processing_scripts/comments.py, 42 from built-in extensions", () => {
    // Counted in A1111 v1.10.1: shared_options.py has 281 `OptionInfo(` entries (and 3 OptionHTML); Lora 10,
    // canvas-zoom-and-pan 12, extra-options-section 4 (+1 OptionHTML), hypertile 9 (+1 OptionHTML), LDSR 2, ScuNET 2,
    // SwinIR 3; comments.py's enable_prompt_comments.
    expect(keys).toHaveLength(324);
    const extensionKeys = keys.filter((k) => /^(lora_|sd_lora$|canvas_|extra_options_|hypertile_|ldsr_|SCUNET_|SWIN_)/.test(k));
    expect(extensionKeys).toHaveLength(10 + 12 + 4 + 9 + 2 + 2 + 3);
  });

  it("leaves out OptionHTML entries, which A1111 never stores (modules/options.py: `self.do_not_save = True`)", () => {
    expect(A1111_UNSTORED_OPTIONS).toHaveLength(5);
    for (const key of A1111_UNSTORED_OPTIONS) expect(keys).not.toContain(key);
  });

  it.each<[string, string, A1111OptionSpec]>([
    [
      "shared_options.py: \"n_rows\": OptionInfo(-1, ..., gr.Slider, {\"minimum\": -1, \"maximum\": 16, \"step\": 1})",
      "n_rows",
      { kind: "int", default: -1, min: -1, max: 16, ui: "slider" },
    ],
    [
      "shared_options.py: \"outdir_txt2img_samples\": OptionInfo(util.truncate_path(os.path.join(default_output_dir, 'txt2img-images')), ...)",
      "outdir_txt2img_samples",
      { kind: "str", default: "outputs/txt2img-images" },
    ],
    [
      "shared_options.py: \"outdir_save\": OptionInfo(util.truncate_path(os.path.join(data_path, 'log', 'images')), ...)",
      "outdir_save",
      { kind: "str", default: "log/images" },
    ],
    [
      "shared_options.py: \"upscaler_for_img2img\": OptionInfo(None, \"Upscaler for img2img\", gr.Dropdown, lambda: {...})",
      "upscaler_for_img2img",
      { kind: "nullable-str", default: null, ui: "dropdown" },
    ],
    [
      "shared_options.py: \"sd_model_checkpoint\": OptionInfo(None, \"Stable Diffusion checkpoint\", gr.Dropdown, lambda: {...})",
      "sd_model_checkpoint",
      { kind: "nullable-str", default: null, ui: "dropdown" },
    ],
    [
      "shared_options.py: \"enable_console_prompts\": OptionInfo(shared.cmd_opts.enable_console_prompts, ...); cmd_args.py: default=False",
      "enable_console_prompts",
      { kind: "bool", default: false },
    ],
    [
      "shared_options.py: \"keyedit_delimiters\": OptionInfo(r\".,\\/!?%^*;:{}=`~() \", ...)",
      "keyedit_delimiters",
      { kind: "str", default: ".,\\/!?%^*;:{}=`~() " },
    ],
    [
      "shared_options.py: \"quicksettings_list\": OptionInfo([\"sd_model_checkpoint\"], ..., ui_components.DropdownMulti, lambda: {...})",
      "quicksettings_list",
      { kind: "str-list", default: ["sd_model_checkpoint"], ui: "multiselect" },
    ],
    [
      "shared_options.py: \"img2img_background_color\": OptionInfo(\"#ffffff\", ..., ui_components.FormColorPicker, {})",
      "img2img_background_color",
      { kind: "color", default: "#ffffff", ui: "colorpicker" },
    ],
    [
      "shared_options.py: \"grid_text_inactive_color\": OptionInfo(\"#999999\", ..., ui_components.FormColorPicker, {})",
      "grid_text_inactive_color",
      { kind: "color", default: "#999999", ui: "colorpicker" },
    ],
    [
      "shared_options.py: \"api_useragent\": OptionInfo(\"\", \"User agent for requests\", restrict_api=True)",
      "api_useragent",
      { kind: "str", default: "", restrictApi: true },
    ],
    [
      "shared_options.py: 'beta_dist_alpha': OptionInfo(0.6, ..., gr.Slider, {\"minimum\": 0.01, \"maximum\": 1.0, \"step\": 0.01}, ...)",
      "beta_dist_alpha",
      { kind: "float", default: 0.6, min: 0.01, max: 1, ui: "slider" },
    ],
    [
      "shared_options.py: \"sd_webui_modal_lightbox_icon_opacity\": OptionInfo(1, ..., gr.Slider, {\"minimum\": 0.0, \"maximum\": 1, \"step\": 0.01}, ...)",
      "sd_webui_modal_lightbox_icon_opacity",
      { kind: "float", default: 1, min: 0, max: 1, ui: "slider" },
    ],
    [
      "shared_options.py: \"sdxl_refiner_low_aesthetic_score\": OptionInfo(2.5, \"SDXL low aesthetic score\", gr.Number)",
      "sdxl_refiner_low_aesthetic_score",
      { kind: "float", default: 2.5, ui: "number" },
    ],
    [
      "shared_options.py: \"emphasis\": OptionInfo(\"Original\", ..., gr.Radio, lambda: {\"choices\": [x.name for x in sd_emphasis.options]}); sd_emphasis.py: options = [EmphasisNone, EmphasisIgnore, EmphasisOriginal, EmphasisOriginalNoNorm]",
      "emphasis",
      { kind: "str", default: "Original", choices: ["None", "Ignore", "Original", "No norm"], ui: "radio" },
    ],
    [
      "shared_options.py: \"show_progress_every_n_steps\": OptionInfo(10, ..., gr.Slider, {\"minimum\": -1, \"maximum\": 32, \"step\": 1})",
      "show_progress_every_n_steps",
      { kind: "int", default: 10, min: -1, max: 32, ui: "slider" },
    ],
    [
      "shared_options.py: 'eta_noise_seed_delta': OptionInfo(0, \"Eta noise seed delta\", gr.Number, {\"precision\": 0}, infotext='ENSD')",
      "eta_noise_seed_delta",
      { kind: "int", default: 0, ui: "number" },
    ],
    [
      "processing_scripts/comments.py: \"enable_prompt_comments\": shared.OptionInfo(True, \"Enable comments\")",
      "enable_prompt_comments",
      { kind: "bool", default: true },
    ],
    [
      "Lora/scripts/lora_script.py: \"lora_hide_unknown_for_versions\": shared.OptionInfo([], ..., gr.CheckboxGroup, {\"choices\": [\"SD1\", \"SD2\", \"SDXL\"]})",
      "lora_hide_unknown_for_versions",
      { kind: "str-list", default: [], choices: ["SD1", "SD2", "SDXL"], ui: "checkboxgroup" },
    ],
    [
      "Lora/scripts/lora_script.py: \"lora_in_memory_limit\": shared.OptionInfo(0, ..., gr.Number, {\"precision\": 0})",
      "lora_in_memory_limit",
      { kind: "int", default: 0, ui: "number" },
    ],
    [
      "canvas-zoom-and-pan/scripts/hotkey_config.py: \"canvas_hotkey_zoom\": shared.OptionInfo(\"Alt\", \"Zoom canvas\", gr.Radio, {\"choices\": [\"Shift\",\"Ctrl\", \"Alt\"]})",
      "canvas_hotkey_zoom",
      { kind: "str", default: "Alt", choices: ["Shift", "Ctrl", "Alt"], ui: "radio" },
    ],
    [
      "extra-options-section/scripts/extra_options_section.py: \"extra_options_cols\": shared.OptionInfo(1, ..., gr.Slider, {\"step\": 1, \"minimum\": 1, \"maximum\": 20})",
      "extra_options_cols",
      { kind: "int", default: 1, min: 1, max: 20, ui: "slider" },
    ],
    [
      "hypertile/scripts/hypertile_script.py: \"hypertile_max_tile_vae\": shared.OptionInfo(128, ..., gr.Slider, {\"minimum\": 0, \"maximum\": 512, \"step\": 16}, ...)",
      "hypertile_max_tile_vae",
      { kind: "int", default: 128, min: 0, max: 512, ui: "slider" },
    ],
    [
      "LDSR/scripts/ldsr_model.py: add_option(\"ldsr_steps\", shared.OptionInfo(100, ..., gr.Slider, {\"minimum\": 1, \"maximum\": 200, \"step\": 1}, ...))",
      "ldsr_steps",
      { kind: "int", default: 100, min: 1, max: 200, ui: "slider" },
    ],
    [
      "ScuNET/scripts/scunet_model.py: add_option(\"SCUNET_tile\", shared.OptionInfo(256, ..., gr.Slider, {\"minimum\": 0, \"maximum\": 512, \"step\": 16}, ...))",
      "SCUNET_tile",
      { kind: "int", default: 256, min: 0, max: 512, ui: "slider" },
    ],
    [
      "SwinIR/scripts/swinir_model.py: add_option(\"SWIN_tile\", shared.OptionInfo(192, \"Tile size for all SwinIR.\", gr.Slider, {\"minimum\": 16, \"maximum\": 512, \"step\": 16}, ...))",
      "SWIN_tile",
      { kind: "int", default: 192, min: 16, max: 512, ui: "slider" },
    ],
  ])("%s", (_source, key, row) => {
    expect(catalogue[key]).toEqual(row);
  });

  it("marks restrict_api exactly where shared_options.py does (section 'API': the three api_* settings)", () => {
    expect(keys.filter((k) => catalogue[k]!.restrictApi)).toEqual(["api_enable_requests", "api_forbid_local_requests", "api_useragent"]);
    expect([...RESTRICTED_OPTIONS].sort()).toEqual(["api_enable_requests", "api_forbid_local_requests", "api_useragent"]);
  });

  it("gives bounds only to sliders and choices only to radios, dropdowns and checkbox groups", () => {
    for (const [key, spec] of Object.entries(catalogue)) {
      if (spec.min !== undefined || spec.max !== undefined) expect(spec.ui, key).toBe("slider");
      if (spec.choices) expect(["radio", "dropdown", "checkboxgroup"], key).toContain(spec.ui);
      if (spec.choices && spec.kind === "str") expect(spec.choices, key).toContain(spec.default);
      if (spec.choices && spec.kind === "str-list") for (const item of spec.default as string[]) expect(spec.choices, key).toContain(item);
      if (spec.min !== undefined) expect(spec.default as number, key).toBeGreaterThanOrEqual(spec.min);
      if (spec.max !== undefined) expect(spec.default as number, key).toBeLessThanOrEqual(spec.max);
    }
  });
});

describe("Options has every catalogue key with A1111's default", () => {
  it("has exactly the catalogue's keys", () => {
    expect(Object.keys(optionShape).sort()).toEqual([...keys].sort());
    expect(Object.keys(Options.parse({})).sort()).toEqual([...keys].sort());
  });

  it("defaults to the catalogue's values, except sd_model_checkpoint (Serena: \"\" until GET fills in a model)", () => {
    const expected = Object.fromEntries(keys.map((k) => [k, catalogue[k]!.default]));
    expect(Options.parse({})).toEqual({ ...expected, sd_model_checkpoint: "" });
  });

  it("accepts every catalogue default with that key's own schema", () => {
    for (const [key, spec] of Object.entries(catalogue)) {
      const value = accepted(key, spec.default);
      if (key !== "sd_model_checkpoint") expect(value, key).toEqual(spec.default);
    }
  });

  it("gives each parse its own list defaults (a change to one never leaks into the defaults)", () => {
    const first = Options.parse({});
    first.quicksettings_list.push("sd_vae");
    expect(Options.parse({}).quicksettings_list).toEqual(["sd_model_checkpoint"]);
  });

  it("types values from the catalogue's kind and choices", () => {
    expectTypeOf<Options["canvas_show_tooltip"]>().toEqualTypeOf<boolean>();
    expectTypeOf<Options["ldsr_steps"]>().toEqualTypeOf<number>();
    expectTypeOf<Options["upscaler_for_img2img"]>().toEqualTypeOf<string | null>();
    expectTypeOf<Options["live_previews_image_format"]>().toEqualTypeOf<"jpeg" | "png" | "webp">();
    expectTypeOf<Options["lora_hide_unknown_for_versions"]>().toEqualTypeOf<Array<"SD1" | "SD2" | "SDXL">>();
    expectTypeOf<Options["hide_samplers"]>().toEqualTypeOf<string[]>();
    expect(typeof Options.parse({}).ldsr_steps).toBe("number");
  });
});

describe("each kind is validated with pydantic v1's lax coercion and messages", () => {
  it.each<[string, unknown, unknown]>([
    ["canvas_show_tooltip", "no", false],
    ["canvas_show_tooltip", 1, true],
    ["ldsr_steps", "50", 50],
    ["ldsr_steps", 50.9, 50],
    ["target_side_length", 2048, 2048],
    ["beta_dist_alpha", "0.5", 0.5],
    ["sdxl_refiner_high_aesthetic_score", -3, -3],
    ["font", 12, "12"],
    ["upscaler_for_img2img", "Lanczos", "Lanczos"],
    ["upscaler_for_img2img", null, null],
    ["live_previews_image_format", "webp", "webp"],
    ["hide_samplers", ["Euler", 5], ["Euler", "5"]],
    ["lora_hide_unknown_for_versions", ["SDXL"], ["SDXL"]],
    ["ldsr_steps", null, 100],
    ["hide_samplers", null, []],
  ])("%s = %j is stored as %j", (key, value, stored) => {
    expect(accepted(key, value)).toEqual(stored);
  });

  it.each<[string, unknown, Array<{ path: PropertyKey[]; message: string }>]>([
    ["canvas_show_tooltip", "perhaps", [{ path: [], message: "value could not be parsed to a boolean" }]],
    ["ldsr_steps", "many", [{ path: [], message: "value is not a valid integer" }]],
    ["ldsr_steps", 201, [{ path: [], message: "ensure this value is less than or equal to 200" }]],
    ["n_rows", -2, [{ path: [], message: "ensure this value is greater than or equal to -1" }]],
    ["beta_dist_alpha", 0, [{ path: [], message: "ensure this value is greater than or equal to 0.01" }]],
    ["token_merging_ratio", "fast", [{ path: [], message: "value is not a valid float" }]],
    ["font", { name: "x" }, [{ path: [], message: "str type expected" }]],
    ["live_previews_image_format", "gif", [{ path: [], message: "value is not one of: jpeg, png, webp" }]],
    ["hide_samplers", "Euler", [{ path: [], message: "value is not a valid list" }]],
    ["lora_hide_unknown_for_versions", ["SD1", "SD3"], [{ path: [1], message: "value is not one of: SD1, SD2, SDXL" }]],
    ["upscaler_for_img2img", ["Lanczos"], [{ path: [], message: "str type expected" }]],
  ])("%s = %j is refused", (key, value, issues) => {
    expect(refusal(key, value)).toEqual(issues);
  });
});

describe("colour settings accept only #rgb or #rrggbb", () => {
  const colourKeys = keys.filter((k) => catalogue[k]!.kind === "color");

  it("covers every FormColorPicker setting of A1111 v1.10.1 (shared_options.py)", () => {
    expect(colourKeys.sort()).toEqual([
      "grid_background_color",
      "grid_text_active_color",
      "grid_text_inactive_color",
      "img2img_background_color",
      "img2img_inpaint_mask_brush_color",
      "img2img_inpaint_sketch_default_brush_color",
      "img2img_sketch_default_brush_color",
    ]);
  });

  it.each(["#fff", "#A1b2C3", "#000000"])("accepts %s", (value) => {
    for (const key of colourKeys) expect(accepted(key, value)).toBe(value);
  });

  it.each(["not-a-colour", "ffffff", "#ffff", "#fffffff", "#gggggg", "red", " #ffffff", "rgb(1,2,3)"])("refuses %j", (value) => {
    for (const key of colourKeys) {
      expect(refusal(key, value)).toEqual([{ path: [], message: 'string does not match regex "^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"' }]);
    }
  });

  it("POST /options refuses a bad colour with 422 and stores nothing, so later img2img requests are unaffected", async () => {
    const client = apiClient(ciServices());
    const reply = await client.post(OPTIONS, { img2img_background_color: "not-a-colour" });
    expectCleanError(reply, 422);
    expect(reply.json().detail).toEqual([
      expect.objectContaining({ loc: ["body", "img2img_background_color"], msg: expect.stringContaining("does not match regex") }),
    ]);
    expect((await client.get(OPTIONS)).json().img2img_background_color).toBe("#ffffff");
    expect((await client.post(OPTIONS, { img2img_background_color: "#123" })).status).toBe(200);
    expect((await client.get(OPTIONS)).json().img2img_background_color).toBe("#123");
  });
});

describe("the API returns, stores and validates every catalogue key", () => {
  it("GET /options returns all 324 keys", async () => {
    const body = (await apiClient(ciServices()).get(OPTIONS)).json() as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual([...keys].sort());
    expect(body).toMatchObject({ hypertile_max_tile_vae: 128, canvas_hotkey_zoom: "Alt", quicksettings_list: ["sd_model_checkpoint"] });
  });

  it("POST /options stores a setting Serena does not act on and GET returns it", async () => {
    const client = apiClient(ciServices());
    expect((await client.post(OPTIONS, { hypertile_max_tile_vae: "256", hide_samplers: ["DDIM"] })).status).toBe(200);
    expect((await client.get(OPTIONS)).json()).toMatchObject({ hypertile_max_tile_vae: 256, hide_samplers: ["DDIM"] });
  });

  it("POST /options refuses an out-of-range value of such a setting with 422 naming it", async () => {
    const reply = await apiClient(ciServices()).post(OPTIONS, { hypertile_max_tile_vae: 1024 });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0]).toMatchObject({ loc: ["body", "hypertile_max_tile_vae"], type: "value_error.number.not_le" });
  });

  it("POST /options ignores restrict_api settings, as A1111's opts.set(..., is_api=True) does", async () => {
    const client = apiClient(ciServices());
    expect((await client.post(OPTIONS, { api_forbid_local_requests: false })).status).toBe(200);
    expect((await client.get(OPTIONS)).json().api_forbid_local_requests).toBe(true);
  });
});

describe("ACTED_ON_OPTIONS names the settings Serena's code reads", () => {
  const sources: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      // The schemas define every key; what counts is code elsewhere that reads them.
      else if (path.endsWith(".ts") && !path.includes(join("lib", "a1111", "schemas"))) {
        sources.push(readFileSync(path, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, ""));
      }
    }
  };
  walk(join(import.meta.dirname, "..", "..", "lib"));
  const code = sources.join("\n");

  it("includes every catalogue key that code reads as options.x / o.x / option(options, \"x\") / option: \"x\"", () => {
    const read = new Set<string>();
    for (const pattern of [/\b(?:o|options|opts)\??\.(\w+)/g, /\boption\(\s*\w+\s*,\s*"(\w+)"/g, /\boption:\s*"(\w+)"/g]) {
      for (const match of code.matchAll(pattern)) if (Object.hasOwn(catalogue, match[1]!)) read.add(match[1]!);
    }
    expect(read.size).toBeGreaterThan(20);
    for (const key of read) expect(ACTED_ON_OPTIONS.has(key), key).toBe(true);
  });

  it("holds only catalogue keys that appear in code outside the schemas", () => {
    for (const key of ACTED_ON_OPTIONS) {
      expect(Object.hasOwn(catalogue, key), key).toBe(true);
      expect(new RegExp(`\\b${key}\\b`).test(code), key).toBe(true);
    }
  });

  it("leaves out settings that are only stored and returned", () => {
    for (const key of ["sd_vae", "return_grid", "live_previews_enable", "show_progress_every_n_steps", "hypertile_enable_unet", "api_useragent"]) {
      expect(ACTED_ON_OPTIONS.has(key), key).toBe(false);
    }
  });
});

describe("UNIMPLEMENTED_OPTIONS: settings refused unless off", () => {
  it("lists catalogue keys Serena does not act on, each accepting A1111's default", () => {
    for (const [key, { allowed }] of Object.entries(UNIMPLEMENTED_OPTIONS)) {
      expect(Object.hasOwn(catalogue, key), key).toBe(true);
      expect(ACTED_ON_OPTIONS.has(key), key).toBe(false);
      expect(allowed, key).toContainEqual(catalogue[key]!.default);
      expect(unimplementedOption(key, catalogue[key]!.default), key).toBeNull();
    }
  });

  it("names the key, the value and the accepted values", () => {
    expect(unimplementedOption("tiling", true)).toBe(
      'tiling=true is not supported: tiling needs circular convolution padding, which ONNX exports do not have (accepted: false)',
    );
    expect(unimplementedOption("jpeg_quality", 5)).toBeNull();
  });
});

describe("acted-on settings keep the schemas the engine was built against", () => {
  it.each<[string, unknown]>([
    ["initial_noise_multiplier", 5],
    ["s_noise", 2],
    ["s_tmin", 50],
    ["sigma_max", 500],
    ["samples_format", "jpeg"],
  ])("%s = %j is accepted (wider than A1111's slider or Number)", (key, value) => {
    expect(accepted(key, value)).toBe(value);
  });

  it.each<[string, unknown, string]>([
    ["initial_noise_multiplier", 11, "ensure this value is less than or equal to 10"],
    ["eta_noise_seed_delta", -1, "ensure this value is greater than or equal to 0"],
    ["samples_format", "gif", "value is not one of: png, jpg, jpeg, webp"],
  ])("%s = %j is refused", (key, value, message) => {
    expect(refusal(key, value)).toEqual([{ path: [], message }]);
  });
});
