import { describe, expect, it } from "vitest";
import { buildComponentGraph, MODEL_PRESETS } from "../../../lib/engine/model-builder/index.ts";
import type { GraphParameter } from "../../../lib/engine/model-builder/index.ts";

/**
 * The builders declare parameters without generating them, so the full-size presets are counted from their configs
 * alone. Matching the published counts checks every layer's shape, bias and presence at once.
 */

function count(preset: keyof typeof MODEL_PRESETS, component: Parameters<typeof buildComponentGraph>[1]): number {
  return buildComponentGraph(MODEL_PRESETS[preset], component).parameterCount();
}

function parameter(preset: keyof typeof MODEL_PRESETS, component: Parameters<typeof buildComponentGraph>[1], name: string): GraphParameter | undefined {
  return buildComponentGraph(MODEL_PRESETS[preset], component, { linearWeights: "named" }).parameters.find((p) => p.name === name);
}

describe("SD 1.5 parameter counts", () => {
  // 859,520,964: diffusers ModelMixin.num_parameters docstring (src/diffusers/models/modeling_utils.py), for
  // UNet2DConditionModel.from_pretrained("runwayml/stable-diffusion-v1-5", subfolder="unet"). UNet, VAE and text
  // encoder together (859,520,964; 83,653,863; 123,060,480): forums.fast.ai "Stable Diffusion Parameter Budget
  // Allocation" (2022), counted from the diffusers pipeline.
  it("UNet2DConditionModel has 859,520,964 parameters", () => {
    expect(count("sd15", "unet")).toBe(859_520_964);
  });

  it("AutoencoderKL (encoder + quant_conv + post_quant_conv + decoder) has 83,653,863 parameters", () => {
    expect(count("sd15", "vae_encoder") + count("sd15", "vae_decoder")).toBe(83_653_863);
  });

  it("CLIPTextModel (ViT-L/14 text tower) has 123,060,480 parameters", () => {
    expect(count("sd15", "text_encoder")).toBe(123_060_480);
  });
});

describe("SD 2.1 parameter counts", () => {
  // buddy-compiler/buddy-mlir examples/BuddyStableDiffusion/buddy-stable-diffusion-main.cpp sizes its flat parameter
  // buffers for stable-diffusion-2-1 as 865,910,724 (UNet), 340,387,840 (text encoder) and 49,490,199 (the VAE
  // decode path: post_quant_conv + decoder).
  it("UNet with linear projections and 64-channel heads has 865,910,724 parameters", () => {
    expect(count("sd21", "unet")).toBe(865_910_724);
  });

  it("OpenCLIP ViT-H text encoder (23 layers) has 340,387,840 parameters", () => {
    expect(count("sd21", "text_encoder")).toBe(340_387_840);
  });

  it("the VAE decode path has 49,490,199 parameters", () => {
    expect(count("sd21", "vae_decoder")).toBe(49_490_199);
  });
});

describe("SD 1.5 parameter shapes", () => {
  // Shapes that follow from the configs: skip concatenation widens up-block resnets (1280 + 1280 into
  // up_blocks.1.resnets.0), cross-attention keys read the 768-wide CLIP states, GEGLU projects to 2 × 4 × 1280.
  it.each([
    ["up_blocks.1.resnets.0.conv_shortcut.weight", [1280, 2560, 1, 1]],
    ["up_blocks.3.resnets.2.conv1.weight", [320, 640, 3, 3]],
    ["down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight", [640, 768]],
    ["mid_block.attentions.0.transformer_blocks.0.ff.net.0.proj.weight", [10240, 1280]],
    ["down_blocks.0.attentions.0.proj_in.weight", [320, 320, 1, 1]],
    ["time_embedding.linear_1.weight", [1280, 320]],
    ["conv_out.weight", [4, 320, 3, 3]],
  ])("%s is %j", (name, dims) => {
    expect(parameter("sd15", "unet", name)?.dims).toEqual(dims);
  });

  it("has no bias on attention q/k/v projections", () => {
    expect(parameter("sd15", "unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.bias")).toBeUndefined();
    expect(parameter("sd15", "unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0.bias")?.dims).toEqual([320]);
  });

  it("SD 2.1's proj_in is a Linear layer (use_linear_projection)", () => {
    expect(parameter("sd21", "unet", "down_blocks.0.attentions.0.proj_in.weight")?.dims).toEqual([320, 320]);
  });
});

describe("SDXL 1.0 parameter counts", () => {
  // stabilityai/stable-diffusion-xl-base-1.0 as torch counts its modules (the SDXL paper, Podell et al. 2023,
  // Table 1, rounds them to a 2.6B UNet and 817M of text encoders): UNet 2,567,463,684 (sd_xl_base_1.0.safetensors'
  // model.diffusion_model tensors hold as many values), CLIP ViT-L 123,060,480, OpenCLIP ViT-bigG with projection
  // 694,659,840, the counts SDXL training scripts print for the diffusers checkpoint.
  it("UNet2DConditionModel with text_time conditioning has 2,567,463,684 parameters", () => {
    expect(count("sdxl", "unet")).toBe(2_567_463_684);
  });

  it("CLIPTextModelWithProjection (OpenCLIP ViT-bigG/14) has 694,659,840 parameters", () => {
    expect(count("sdxl", "text_encoder_2")).toBe(694_659_840);
  });

  it("the two text encoders together have the paper's 817M", () => {
    expect(Math.floor((count("sdxl", "text_encoder") + count("sdxl", "text_encoder_2")) / 1e6)).toBe(817);
  });

  // SDXL's add_embedding takes 1280 pooled + 6 × 256 time-id channels (unet/config.json
  // projection_class_embeddings_input_dim 2816); the cross-attention keys read the 2048-wide concatenated context.
  it.each([
    ["add_embedding.linear_1.weight", [1280, 2816]],
    ["down_blocks.2.attentions.0.transformer_blocks.9.attn2.to_k.weight", [1280, 2048]],
  ])("%s is %j", (name, dims) => {
    expect(parameter("sdxl", "unet", name)?.dims).toEqual(dims);
  });

  // stabilityai/stable-diffusion-xl-refiner-1.0's UNet: 2,259,526,660 parameters, the count independent SDXL tooling
  // records for its diffusers config.
  it("the refiner's UNet has 2,259,526,660 parameters", () => {
    expect(count("sdxl-refiner", "unet")).toBe(2_259_526_660);
  });

  it("text_projection is a bias-free 1280 × 1280 Linear at the top level", () => {
    expect(parameter("sdxl", "text_encoder_2", "text_projection.weight")?.dims).toEqual([1280, 1280]);
    expect(parameter("sdxl", "text_encoder_2", "text_projection.bias")).toBeUndefined();
  });
});
