import { describe, expect, it } from "vitest";
import { isTextModulePath, isUnetModulePath, textPathFromKohya, unetPathFromKohya } from "../../../lib/engine/networks/index.ts";
import { SD1_UNET_PREFIXES, SDXL_UNET_PREFIXES } from "./kohya-unet-prefixes.ts";

const kohya = (dotted: string) => dotted.replaceAll(".", "_");

// Module suffixes under each kind of block, [ldm, diffusers]: transformer internals have the same names in both
// layouts; resnet parts follow kohya's unet_conversion_map_resnet (the Linear/Conv ones).
const SUFFIXES = {
  attentions: [
    ["proj_in", "proj_in"],
    ["proj_out", "proj_out"],
    ["transformer_blocks.0.attn1.to_q", "transformer_blocks.0.attn1.to_q"],
    ["transformer_blocks.9.attn2.to_out.0", "transformer_blocks.9.attn2.to_out.0"],
    ["transformer_blocks.1.ff.net.0.proj", "transformer_blocks.1.ff.net.0.proj"],
    ["transformer_blocks.0.ff.net.2", "transformer_blocks.0.ff.net.2"],
  ],
  resnets: [
    ["in_layers.2", "conv1"],
    ["out_layers.3", "conv2"],
    ["emb_layers.1", "time_emb_proj"],
    ["skip_connection", "conv_shortcut"],
  ],
  upsamplers: [["conv", "conv"]],
  other: [["", ""]],
} as const;

const kindOf = (diffusers: string): keyof typeof SUFFIXES =>
  diffusers.includes("attentions") ? "attentions" : diffusers.includes("resnets") ? "resnets" : diffusers.includes("upsamplers") ? "upsamplers" : "other";

const join = (prefix: string, suffix: string) => (suffix === "" ? prefix : `${prefix}.${suffix}`);

describe("LDM-named kohya UNet keys map to diffusers paths", () => {
  for (const [model, table] of [["SD 1.x/2.x", SD1_UNET_PREFIXES], ["SDXL", SDXL_UNET_PREFIXES]] as const) {
    it(`every prefix of kohya's ${model} conversion table, with each kind of module under it`, () => {
      let checked = 0;
      for (const [ldm, diffusers] of table) {
        for (const [ldmSuffix, diffusersSuffix] of SUFFIXES[kindOf(diffusers)]) {
          const name = kohya(join(ldm, ldmSuffix));
          const expected = join(diffusers, diffusersSuffix);
          expect({ name, mapped: unetPathFromKohya(name) }).toEqual({ name, mapped: { path: expected, naming: "ldm" } });
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(table.length);
    });
  }

  it("reads SD 1.x's attention-less upsampler slot (output_blocks.2.1.conv) and SDXL's (output_blocks.2.2.conv) alike", () => {
    // kohya model_util.py: `output_blocks.{3*i + 2}.{1 if i == 0 else 2}.`; sdxl_model_util.py: always 2. In SDXL,
    // output_blocks.2.1 is an attention block, which has no bare `conv`.
    expect(unetPathFromKohya("output_blocks_2_1_conv")?.path).toBe("up_blocks.0.upsamplers.0.conv");
    expect(unetPathFromKohya("output_blocks_2_2_conv")?.path).toBe("up_blocks.0.upsamplers.0.conv");
    expect(unetPathFromKohya("output_blocks_2_1_proj_in")?.path).toBe("up_blocks.0.attentions.2.proj_in");
  });

  it("refuses LDM names that name no Linear/Conv module", () => {
    for (const name of [
      "input_blocks_1_0_in_layers_0", // GroupNorm
      "input_blocks_3_0_conv", // the downsampler is `op`
      "input_blocks_3_1_proj_in", // input_blocks.3 is a downsampler, not an attention block
      "input_blocks_0_1",
      "output_blocks_1_1_conv", // only the third layer of an up block holds an upsampler
      "output_blocks_3_3_conv",
      "middle_block_3_in_layers_2",
      "middle_block_1_transformer_blocks_0_norm1",
      "time_embed_1",
      "out_0", // GroupNorm
      "input_blocks_01_0_in_layers_2", // leading zero
      "label_emb_1_0",
    ]) {
      expect({ name, mapped: unetPathFromKohya(name) }).toEqual({ name, mapped: null });
    }
  });
});

// A1111 v1.10 extensions-builtin/Lora/networks.py `convert_diffusers_name_to_compvis(key, is_sd2=False)`, evaluated
// in Python: kohya diffusers-style names and the LDM names A1111 matches them to in an SD 1.x model.
const A1111_COMPVIS: readonly (readonly [string, string])[] = [
  ["lora_unet_conv_in", "diffusion_model_input_blocks_0_0"],
  ["lora_unet_conv_out", "diffusion_model_out_2"],
  ["lora_unet_time_embedding_linear_1", "diffusion_model_time_embed_0"],
  ["lora_unet_time_embedding_linear_2", "diffusion_model_time_embed_2"],
  ["lora_unet_down_blocks_0_attentions_0_proj_in", "diffusion_model_input_blocks_1_1_proj_in"],
  ["lora_unet_down_blocks_0_attentions_1_transformer_blocks_0_attn1_to_q", "diffusion_model_input_blocks_2_1_transformer_blocks_0_attn1_to_q"],
  ["lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_out_0", "diffusion_model_input_blocks_4_1_transformer_blocks_0_attn2_to_out_0"],
  ["lora_unet_down_blocks_2_attentions_1_transformer_blocks_0_ff_net_0_proj", "diffusion_model_input_blocks_8_1_transformer_blocks_0_ff_net_0_proj"],
  ["lora_unet_down_blocks_2_attentions_1_proj_out", "diffusion_model_input_blocks_8_1_proj_out"],
  ["lora_unet_down_blocks_0_resnets_0_conv1", "diffusion_model_input_blocks_1_0_in_layers_2"],
  ["lora_unet_down_blocks_1_resnets_1_conv2", "diffusion_model_input_blocks_5_0_out_layers_3"],
  ["lora_unet_down_blocks_1_resnets_0_conv_shortcut", "diffusion_model_input_blocks_4_0_skip_connection"],
  ["lora_unet_down_blocks_3_resnets_1_time_emb_proj", "diffusion_model_input_blocks_11_0_emb_layers_1"],
  ["lora_unet_down_blocks_0_downsamplers_0_conv", "diffusion_model_input_blocks_3_0_op"],
  ["lora_unet_down_blocks_2_downsamplers_0_conv", "diffusion_model_input_blocks_9_0_op"],
  ["lora_unet_mid_block_attentions_0_transformer_blocks_0_attn1_to_k", "diffusion_model_middle_block_1_transformer_blocks_0_attn1_to_k"],
  ["lora_unet_mid_block_resnets_0_conv1", "diffusion_model_middle_block_0_in_layers_2"],
  ["lora_unet_mid_block_resnets_1_time_emb_proj", "diffusion_model_middle_block_2_emb_layers_1"],
  ["lora_unet_up_blocks_0_resnets_2_conv2", "diffusion_model_output_blocks_2_0_out_layers_3"],
  ["lora_unet_up_blocks_0_upsamplers_0_conv", "diffusion_model_output_blocks_2_1_conv"],
  ["lora_unet_up_blocks_1_attentions_0_transformer_blocks_0_attn2_to_v", "diffusion_model_output_blocks_3_1_transformer_blocks_0_attn2_to_v"],
  ["lora_unet_up_blocks_1_upsamplers_0_conv", "diffusion_model_output_blocks_5_2_conv"],
  ["lora_unet_up_blocks_2_resnets_1_conv_shortcut", "diffusion_model_output_blocks_7_0_skip_connection"],
  ["lora_unet_up_blocks_3_attentions_2_transformer_blocks_0_ff_net_2", "diffusion_model_output_blocks_11_1_transformer_blocks_0_ff_net_2"],
  ["lora_unet_up_blocks_3_attentions_2_proj_out", "diffusion_model_output_blocks_11_1_proj_out"],
  ["lora_unet_up_blocks_2_upsamplers_0_conv", "diffusion_model_output_blocks_8_2_conv"],
];

describe("diffusers-named kohya UNet keys", () => {
  it("spell the diffusers path with dots for underscores", () => {
    expect(unetPathFromKohya("down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q")).toEqual({
      path: "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q",
      naming: "diffusers",
    });
    expect(unetPathFromKohya("time_embedding_linear_2")?.path).toBe("time_embedding.linear_2");
    expect(unetPathFromKohya("add_embedding_linear_1")?.path).toBe("add_embedding.linear_1");
    expect(unetPathFromKohya("mid_block_attentions_0_transformer_blocks_3_ff_net_0_proj")?.path).toBe(
      "mid_block.attentions.0.transformer_blocks.3.ff.net.0.proj",
    );
  });

  it("name the same module A1111 matches them to through the LDM layout", () => {
    for (const [diffusersName, compvis] of A1111_COMPVIS) {
      const viaDiffusers = unetPathFromKohya(diffusersName.slice("lora_unet_".length));
      const viaLdm = unetPathFromKohya(compvis.slice("diffusion_model_".length));
      expect(viaDiffusers?.naming).toBe("diffusers");
      expect(viaLdm?.naming).toBe("ldm");
      expect({ diffusersName, path: viaLdm?.path }).toEqual({ diffusersName, path: viaDiffusers?.path });
    }
  });

  it("refuse norms, unknown parts and near misses", () => {
    for (const name of [
      "down_blocks_0_resnets_0_norm1",
      "down_blocks_0_attentions_0_norm",
      "down_blocks_0_attentions_0_transformer_blocks_0_norm2",
      "down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_out_1",
      "down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q_extra",
      "down_blocks_0_downsamplers_1_conv",
      "conv_norm_out",
      "down_blocks_x_resnets_0_conv1",
      "",
    ]) {
      expect({ name, mapped: unetPathFromKohya(name) }).toEqual({ name, mapped: null });
    }
  });
});

describe("text encoder names", () => {
  it("map kohya's CLIP names (SD 1.x, SD 2.x and both SDXL encoders use transformers paths)", () => {
    expect(textPathFromKohya("text_model_encoder_layers_0_self_attn_q_proj")).toBe("text_model.encoder.layers.0.self_attn.q_proj");
    expect(textPathFromKohya("text_model_encoder_layers_22_self_attn_out_proj")).toBe("text_model.encoder.layers.22.self_attn.out_proj");
    expect(textPathFromKohya("text_model_encoder_layers_31_mlp_fc2")).toBe("text_model.encoder.layers.31.mlp.fc2");
    expect(textPathFromKohya("text_model_encoder_layers_3_mlp_fc1")).toBe("text_model.encoder.layers.3.mlp.fc1");
  });

  it("refuse what is not an attention or MLP Linear", () => {
    for (const name of ["text_model_encoder_layers_0_layer_norm1", "text_model_final_layer_norm", "text_projection", "text_model_encoder_layers_0_self_attn"]) {
      expect({ name, mapped: textPathFromKohya(name) }).toEqual({ name, mapped: null });
    }
  });
});

describe("dotted module paths", () => {
  it("are checked against the same grammar", () => {
    expect(isUnetModulePath("up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_out.0")).toBe(true);
    expect(isUnetModulePath("down_blocks.2.downsamplers.0.conv")).toBe(true);
    expect(isUnetModulePath("up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_out")).toBe(false);
    expect(isUnetModulePath("up_blocks.#.resnets.0.conv1")).toBe(false);
    expect(isUnetModulePath("down_blocks.0.resnets.0.conv1.extra")).toBe(false);
    expect(isTextModulePath("text_model.encoder.layers.11.mlp.fc1")).toBe(true);
    expect(isTextModulePath("text_model.encoder.layers.11.mlp")).toBe(false);
    expect(isTextModulePath("down_blocks.0.resnets.0.conv1")).toBe(false);
  });
});
