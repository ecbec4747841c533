import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  a1111FusedAttentionFilter,
  a1111LoraMetadata,
  loraDelta,
  loraDeltaShape,
  planLora,
  readLoraFile,
  type LoraModule,
} from "../../../lib/engine/networks/index.ts";
import { encodeSafetensors, fixtureDir, type FixtureDtype, type FixtureTensor } from "../../fixtures/safetensors.ts";

let fixtures: Awaited<ReturnType<typeof fixtureDir>>;
beforeAll(async () => {
  fixtures = await fixtureDir();
});
afterAll(() => fixtures.cleanup());

const sequence = (n: number, scale = 0.25) => Array.from({ length: n }, (_, i) => ((i % 7) - 3) * scale);
const tensor = (dtype: FixtureDtype, shape: number[], values?: number[]): FixtureTensor => ({
  dtype,
  shape,
  values: values ?? sequence(shape.reduce((a, b) => a * b, 1)),
});

/** kohya keys for one module: down [rank, in(, k, k)], up [out, rank(, 1, 1)], alpha when given. */
function kohyaModule(stem: string, rank: number, input: number, output: number, alpha?: number, kernel = 0): Record<string, FixtureTensor> {
  const spatial = kernel > 0 ? [kernel, kernel] : [];
  const module: Record<string, FixtureTensor> = {
    [`${stem}.lora_down.weight`]: tensor("F16", [rank, input, ...spatial]),
    [`${stem}.lora_up.weight`]: tensor("F16", [output, rank, ...(kernel > 0 ? [1, 1] : [])]),
  };
  if (alpha !== undefined) module[`${stem}.alpha`] = tensor("F16", [], [alpha]);
  return module;
}

async function read(name: string, tensors: Record<string, FixtureTensor>, metadata?: Record<string, string>) {
  return readLoraFile(await fixtures.write(name, encodeSafetensors(tensors, metadata)));
}

const summary = (module: LoraModule) => ({
  target: module.target,
  modulePath: module.modulePath,
  naming: module.naming,
  kind: module.kind,
  rank: module.rank,
  alpha: module.alpha,
  down: module.down.shape,
  up: module.up.shape,
});

describe("kohya-ss LoRA files", () => {
  it("SD 1.x: UNet Linear, LoCon 3×3 and 1×1 conv modules, text encoder, with and without alpha", async () => {
    const lora = await read("sd1.safetensors", {
      ...kohyaModule("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q", 4, 8, 8, 2),
      ...kohyaModule("lora_unet_down_blocks_0_resnets_0_conv1", 2, 3, 5, 1, 3),
      ...kohyaModule("lora_unet_mid_block_attentions_0_proj_in", 2, 6, 6, 2, 1),
      ...kohyaModule("lora_te_text_model_encoder_layers_0_self_attn_q_proj", 4, 8, 8),
    }, { ss_network_dim: "4" });
    expect(lora.unknown).toEqual([]);
    expect(lora.metadata.ss_network_dim).toBe("4");
    expect(lora.modules.map(summary)).toEqual([
      { target: "unet", modulePath: "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q", naming: "kohya", kind: "linear", rank: 4, alpha: 2, down: [4, 8], up: [8, 4] },
      { target: "unet", modulePath: "down_blocks.0.resnets.0.conv1", naming: "kohya", kind: "conv", rank: 2, alpha: 1, down: [2, 3, 3, 3], up: [5, 2, 1, 1] },
      { target: "unet", modulePath: "mid_block.attentions.0.proj_in", naming: "kohya", kind: "conv", rank: 2, alpha: 2, down: [2, 6, 1, 1], up: [6, 2, 1, 1] },
      { target: "text_encoder", modulePath: "text_model.encoder.layers.0.self_attn.q_proj", naming: "kohya", kind: "linear", rank: 4, alpha: null, down: [4, 8], up: [8, 4] },
    ]);
    // F16 values decoded: the sequence is exact in half precision.
    expect([...lora.modules[0]!.down.data]).toEqual(sequence(32));
    expect(lora.modules[0]!.key).toBe("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q");
  });

  it("SDXL: lora_te1_/lora_te2_ encoders and LDM-named UNet modules", async () => {
    const lora = await read("sdxl.safetensors", {
      ...kohyaModule("lora_te1_text_model_encoder_layers_11_mlp_fc1", 2, 4, 16, 1),
      ...kohyaModule("lora_te2_text_model_encoder_layers_31_self_attn_out_proj", 2, 4, 4, 1),
      ...kohyaModule("lora_unet_input_blocks_4_1_transformer_blocks_1_attn2_to_k", 2, 4, 4, 1),
      ...kohyaModule("lora_unet_output_blocks_2_2_conv", 2, 4, 4, 1, 3),
      ...kohyaModule("lora_unet_middle_block_2_emb_layers_1", 2, 4, 4, 1),
    });
    expect(lora.unknown).toEqual([]);
    expect(lora.modules.map(({ target, modulePath, naming }) => [target, modulePath, naming])).toEqual([
      ["text_encoder", "text_model.encoder.layers.11.mlp.fc1", "kohya"],
      ["text_encoder_2", "text_model.encoder.layers.31.self_attn.out_proj", "kohya"],
      ["unet", "down_blocks.1.attentions.0.transformer_blocks.1.attn2.to_k", "kohya-ldm"],
      ["unet", "up_blocks.0.upsamplers.0.conv", "kohya-ldm"],
      ["unet", "mid_block.resnets.1.time_emb_proj", "kohya-ldm"],
    ]);
  });

  it("accepts lora_A/lora_B parts on kohya stems, as A1111's ModuleTypeLora does", async () => {
    const lora = await read("ab.safetensors", {
      "lora_unet_conv_in.lora_A.weight": tensor("F32", [2, 4, 3, 3]),
      "lora_unet_conv_in.lora_B.weight": tensor("F32", [320, 2, 1, 1]),
    });
    expect(lora.modules.map(summary)).toEqual([
      { target: "unet", modulePath: "conv_in", naming: "kohya", kind: "conv", rank: 2, alpha: null, down: [2, 4, 3, 3], up: [320, 2, 1, 1] },
    ]);
  });

  it("reports LyCORIS families, DoRA, half modules and unknown names instead of guessing", () => {
    const plan = planLora([
      // CP decomposition (lora_mid): LyCORIS LoCon with use_tucker.
      "lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight",
      "lora_unet_down_blocks_0_resnets_0_conv1.lora_mid.weight",
      "lora_unet_down_blocks_0_resnets_0_conv1.lora_up.weight",
      // LoHa.
      "lora_unet_mid_block_attentions_0_proj_in.hada_w1_a",
      "lora_unet_mid_block_attentions_0_proj_in.hada_w1_b",
      // DoRA: A1111 rescales with dora_scale; applying up·down alone would be wrong.
      "lora_te_text_model_encoder_layers_0_mlp_fc1.lora_down.weight",
      "lora_te_text_model_encoder_layers_0_mlp_fc1.lora_up.weight",
      "lora_te_text_model_encoder_layers_0_mlp_fc1.dora_scale",
      // Half a module, and alpha alone.
      "lora_te_text_model_encoder_layers_1_mlp_fc1.lora_down.weight",
      "lora_te_text_model_encoder_layers_2_mlp_fc1.alpha",
      // Norms are not LoRA targets; unknown prefixes and keys without a part.
      "lora_unet_down_blocks_0_resnets_0_norm1.lora_down.weight",
      "lora_unet_down_blocks_0_resnets_0_norm1.lora_up.weight",
      "oft_unet_down_blocks_0_resnets_0_conv1.oft_blocks",
      "lora_unet_conv_in",
      "something_else",
      // Understood.
      "lora_unet_conv_out.lora_down.weight",
      "lora_unet_conv_out.lora_up.weight",
    ]);
    expect(plan.entries.map((entry) => entry.modulePath)).toEqual(["conv_out"]);
    expect(plan.unknown).toEqual(
      [
        "lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight",
        "lora_unet_down_blocks_0_resnets_0_conv1.lora_mid.weight",
        "lora_unet_down_blocks_0_resnets_0_conv1.lora_up.weight",
        "lora_unet_mid_block_attentions_0_proj_in.hada_w1_a",
        "lora_unet_mid_block_attentions_0_proj_in.hada_w1_b",
        "lora_te_text_model_encoder_layers_0_mlp_fc1.lora_down.weight",
        "lora_te_text_model_encoder_layers_0_mlp_fc1.lora_up.weight",
        "lora_te_text_model_encoder_layers_0_mlp_fc1.dora_scale",
        "lora_te_text_model_encoder_layers_1_mlp_fc1.lora_down.weight",
        "lora_te_text_model_encoder_layers_2_mlp_fc1.alpha",
        "lora_unet_down_blocks_0_resnets_0_norm1.lora_down.weight",
        "lora_unet_down_blocks_0_resnets_0_norm1.lora_up.weight",
        "oft_unet_down_blocks_0_resnets_0_conv1.oft_blocks",
        "lora_unet_conv_in",
        "something_else",
      ].sort(),
    );
  });

  it("reports a module named twice (lora_te_ and lora_te1_, or diffusers and LDM names) rather than pick one", () => {
    const plan = planLora([
      "lora_te_text_model_encoder_layers_0_mlp_fc2.lora_down.weight",
      "lora_te_text_model_encoder_layers_0_mlp_fc2.lora_up.weight",
      "lora_te1_text_model_encoder_layers_0_mlp_fc2.lora_down.weight",
      "lora_te1_text_model_encoder_layers_0_mlp_fc2.lora_up.weight",
      "lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight",
      "lora_unet_down_blocks_0_resnets_0_conv1.lora_up.weight",
      "lora_unet_input_blocks_1_0_in_layers_2.lora_down.weight",
      "lora_unet_input_blocks_1_0_in_layers_2.lora_up.weight",
    ]);
    expect(plan.entries).toEqual([]);
    expect(plan.unknown).toHaveLength(8);
  });

  it("reads embeddings bundled as bundle_emb.<name>.<vector>", async () => {
    const lora = await read("bundle.safetensors", {
      ...kohyaModule("lora_unet_conv_out", 1, 4, 4),
      "bundle_emb.charname.string_to_param.*": tensor("F32", [2, 768]),
      "bundle_emb.style.emb_params": tensor("F16", [3, 1024]),
    });
    expect(lora.modules.map((module) => module.modulePath)).toEqual(["conv_out"]);
    expect(lora.unknown).toEqual([]);
    const charname = lora.bundledEmbeddings.get("charname")!;
    const style = lora.bundledEmbeddings.get("style")!;
    expect([charname.form, charname.vectorCount, charname.shape]).toEqual(["string_to_param", 2, 768]);
    expect([style.form, style.vectorCount, style.shape]).toEqual(["single_tensor", 3, 1024]);
  });
});

describe("diffusers and PEFT LoRA files", () => {
  it("PEFT lora_A/lora_B under unet., text_encoder. and text_encoder_2., with .alpha", async () => {
    const lora = await read("peft.safetensors", {
      "unet.up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_out.0.lora_A.weight": tensor("F32", [2, 8]),
      "unet.up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_out.0.lora_B.weight": tensor("F32", [8, 2]),
      "unet.up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_out.0.alpha": tensor("F32", [], [4]),
      "text_encoder.text_model.encoder.layers.5.self_attn.v_proj.lora_A.weight": tensor("BF16", [2, 8]),
      "text_encoder.text_model.encoder.layers.5.self_attn.v_proj.lora_B.weight": tensor("BF16", [8, 2]),
      "text_encoder_2.text_model.encoder.layers.0.mlp.fc2.lora_A.weight": tensor("F16", [2, 16]),
      "text_encoder_2.text_model.encoder.layers.0.mlp.fc2.lora_B.weight": tensor("F16", [8, 2]),
    });
    expect(lora.unknown).toEqual([]);
    expect(lora.modules.map(({ target, modulePath, naming, alpha }) => [target, modulePath, naming, alpha])).toEqual([
      ["unet", "up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_out.0", "diffusers", 4],
      ["text_encoder", "text_model.encoder.layers.5.self_attn.v_proj", "diffusers", null],
      ["text_encoder_2", "text_model.encoder.layers.0.mlp.fc2", "diffusers", null],
    ]);
  });

  it("older diffusers forms: attention processors (with and without unet.), lora.down/up and lora_linear_layer", () => {
    const plan = planLora([
      "down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_out_lora.down.weight",
      "down_blocks.0.attentions.0.transformer_blocks.0.attn1.processor.to_out_lora.up.weight",
      "unet.mid_block.attentions.0.transformer_blocks.0.attn2.processor.to_k_lora.down.weight",
      "unet.mid_block.attentions.0.transformer_blocks.0.attn2.processor.to_k_lora.up.weight",
      "unet.down_blocks.1.resnets.0.conv2.lora.down.weight",
      "unet.down_blocks.1.resnets.0.conv2.lora.up.weight",
      "text_encoder.text_model.encoder.layers.0.self_attn.to_q_lora.down.weight",
      "text_encoder.text_model.encoder.layers.0.self_attn.to_q_lora.up.weight",
      "text_encoder.text_model.encoder.layers.0.self_attn.to_out_lora.down.weight",
      "text_encoder.text_model.encoder.layers.0.self_attn.to_out_lora.up.weight",
      "text_encoder.text_model.encoder.layers.0.mlp.fc1.lora_linear_layer.down.weight",
      "text_encoder.text_model.encoder.layers.0.mlp.fc1.lora_linear_layer.up.weight",
    ]);
    expect(plan.unknown).toEqual([]);
    expect(plan.entries.map(({ target, modulePath, downKey }) => [target, modulePath, downKey.endsWith("down.weight")])).toEqual([
      ["unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0", true],
      ["unet", "mid_block.attentions.0.transformer_blocks.0.attn2.to_k", true],
      ["unet", "down_blocks.1.resnets.0.conv2", true],
      ["text_encoder", "text_model.encoder.layers.0.self_attn.q_proj", true],
      ["text_encoder", "text_model.encoder.layers.0.self_attn.out_proj", true],
      ["text_encoder", "text_model.encoder.layers.0.mlp.fc1", true],
    ]);
  });

  it("reports DoRA magnitude vectors, raw PEFT prefixes, non-modules and doubled parts", () => {
    const plan = planLora([
      "unet.conv_in.lora_A.weight",
      "unet.conv_in.lora_B.weight",
      "unet.conv_in.lora_magnitude_vector",
      "base_model.model.down_blocks.0.resnets.0.conv1.lora_A.weight",
      "unet.down_blocks.0.resnets.0.norm1.lora_A.weight",
      "unet.down_blocks.0.resnets.0.norm1.lora_B.weight",
      "unet.conv_out.lora_A.weight",
      "unet.conv_out.lora.down.weight",
      "unet.conv_out.lora_B.weight",
      "unet.lora_A.weight",
    ]);
    expect(plan.entries).toEqual([]);
    expect(plan.unknown).toHaveLength(10);
  });
});

describe("module tensors are checked when read", () => {
  const cases: [string, Record<string, FixtureTensor>, string, RegExp][] = [
    ["rank.safetensors", { "lora_unet_conv_in.lora_down.weight": tensor("F32", [2, 4]), "lora_unet_conv_in.lora_up.weight": tensor("F32", [4, 3]) }, "malformed", /ranks differ/],
    ["rank3.safetensors", { "lora_unet_conv_in.lora_down.weight": tensor("F32", [2, 4, 1]), "lora_unet_conv_in.lora_up.weight": tensor("F32", [4, 2]) }, "malformed", /2-D or 4-D/],
    ["up3x3.safetensors", { "lora_unet_conv_in.lora_down.weight": tensor("F32", [2, 4, 1, 1]), "lora_unet_conv_in.lora_up.weight": tensor("F32", [4, 2, 3, 3]) }, "unsupported", /up must be 1×1/],
    [
      "alpha.safetensors",
      { "lora_unet_conv_in.lora_down.weight": tensor("F32", [2, 4]), "lora_unet_conv_in.lora_up.weight": tensor("F32", [4, 2]), "lora_unet_conv_in.alpha": tensor("F32", [2]) },
      "malformed",
      /alpha has shape \[2\]/,
    ],
    ["ints.safetensors", { "lora_unet_conv_in.lora_down.weight": tensor("I32", [2, 4]), "lora_unet_conv_in.lora_up.weight": tensor("F32", [4, 2]) }, "unsupported", /I32/],
  ];
  for (const [name, tensors, kind, message] of cases) {
    it(`${name.replace(".safetensors", "")}: ${message.source}`, async () => {
      await expect(read(name, tensors)).rejects.toMatchObject({ name: "NetworkFileError", kind, message });
    });
  }
});

/** A module built in memory (loraDelta reads only the fields below). */
function module(down: { shape: number[]; values: number[] }, up: { shape: number[]; values: number[] }, alpha: number | null): LoraModule {
  return {
    target: "unet",
    modulePath: "conv_in",
    naming: "kohya",
    key: "lora_unet_conv_in",
    kind: down.shape.length === 4 ? "conv" : "linear",
    down: { shape: down.shape, data: Float32Array.from(down.values) },
    up: { shape: up.shape, data: Float32Array.from(up.values) },
    alpha,
    rank: down.shape[0]!,
  };
}

describe("loraDelta: multiplier · alpha/rank · up·down in the target weight's layout", () => {
  // Worked by hand: down = [[1, 2, 3], [0, -1, 1]], up = [[1, 0], [2, -1]]
  //   up·down = [[1, 2, 3], [2·1 − 0, 2·2 + 1, 2·3 − 1]] = [[1, 2, 3], [2, 5, 5]].
  const down = { shape: [2, 3], values: [1, 2, 3, 0, -1, 1] };
  const up = { shape: [2, 2], values: [1, 0, 2, -1] };

  it("scales by alpha / rank and the multiplier (alpha 1, rank 2, multiplier 0.8 → 0.4)", () => {
    const linear = module(down, up, 1);
    expect(loraDeltaShape(linear)).toEqual([2, 3]);
    expect([...loraDelta(linear, 0.8)]).toEqual([0.4, 0.8, 1.2, 0.8, 2, 2].map(Math.fround));
  });

  it("uses scale 1 without alpha, and 0 with alpha 0 (A1111's calc_scale)", () => {
    expect([...loraDelta(module(down, up, null), 1)]).toEqual([1, 2, 3, 2, 5, 5]);
    expect([...loraDelta(module(down, up, 0), 1)]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...loraDelta(module(down, up, null), -1)]).toEqual([-1, -2, -3, -2, -5, -5]);
  });

  it("keeps the first dynDim ranks without changing the scale", () => {
    // rank 1 only: up[:, :1]·down[:1] = [[1, 2, 3], [2, 4, 6]], × alpha/rank = 2/2.
    expect([...loraDelta(module(down, up, 2), 1, { dynDim: 1 })]).toEqual([1, 2, 3, 2, 4, 6]);
    expect([...loraDelta(module(down, up, 2), 1, { dynDim: 5 })]).toEqual([1, 2, 3, 2, 5, 5]);
    expect(() => loraDelta(module(down, up, 2), 1, { dynDim: -1 })).toThrow(RangeError);
  });

  it("matches kohya's and A1111's formulas for a 3×3 LoCon down with a 1×1 up", () => {
    // torch 1.13: down = (arange(54).reshape(2, 3, 3, 3) % 7) − 3, up = [[1, −2], [0.5, 3], [−1, 0], [2, 2]] as
    // [4, 2, 1, 1], alpha 1, rank 2, multiplier 0.5. kohya: conv2d(down.permute(1, 0, 2, 3), up).permute(1, 0, 2, 3)
    // · 0.5 · alpha/rank; A1111: (up.reshape(4, −1) @ down.reshape(2, −1)).reshape(4, 3, 3, 3) · alpha/rank · 0.5.
    // Both give this.
    const expected = [
      -2.25, 1, 0.75, 0.5, 0.25, 0, -0.25, -2.25, 1, 0.75, 0.5, 0.25, 0, -0.25, -2.25, 1, 0.75, 0.5, 0.25, 0, -0.25, -2.25, 1, 0.75, 0.5, 0.25,
      0, 1.875, -2.5, -1.625, -0.75, 0.125, 1, 1.875, 1.875, -2.5, -1.625, -0.75, 0.125, 1, 1.875, 1.875, -2.5, -1.625, -0.75, 0.125, 1, 1.875,
      1.875, -2.5, -1.625, -0.75, 0.125, 1, 0.75, 0.5, 0.25, 0, -0.25, -0.5, -0.75, 0.75, 0.5, 0.25, 0, -0.25, -0.5, -0.75, 0.75, 0.5, 0.25, 0,
      -0.25, -0.5, -0.75, 0.75, 0.5, 0.25, 0, -0.25, -0.5, 0, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0, -2.5,
      -1.5, -0.5, 0.5, 1.5, 2.5, 0, -2.5, -1.5, -0.5, 0.5, 1.5,
    ];
    const locon = module(
      { shape: [2, 3, 3, 3], values: Array.from({ length: 54 }, (_, i) => (i % 7) - 3) },
      { shape: [4, 2, 1, 1], values: [1, -2, 0.5, 3, -1, 0, 2, 2] },
      1,
    );
    expect(loraDeltaShape(locon)).toEqual([4, 3, 3, 3]);
    expect([...loraDelta(locon, 0.5)]).toEqual(expected);
  });

  it("gives 1×1 convolutions the [out, in, 1, 1] layout", () => {
    const pointwise = module({ shape: [2, 3, 1, 1], values: down.values }, { shape: [2, 2, 1, 1], values: up.values }, null);
    expect(loraDeltaShape(pointwise)).toEqual([2, 3, 1, 1]);
    expect([...loraDelta(pointwise, 1)]).toEqual([1, 2, 3, 2, 5, 5]);
  });
});

describe("A1111's fused OpenCLIP attention rule", () => {
  const at = (target: LoraModule["target"], modulePath: string): LoraModule => ({ ...module({ shape: [1, 1], values: [1] }, { shape: [1, 1], values: [1] }, null), target, modulePath });
  const layer = (target: LoraModule["target"], n: number, projections: string[]) =>
    projections.map((p) => at(target, `text_model.encoder.layers.${n}.self_attn.${p}_proj`));

  it("keeps a layer's q/k/v/out only when all four are there, in the encoders it is asked about", () => {
    const complete = layer("text_encoder_2", 0, ["q", "k", "v", "out"]);
    const partial = layer("text_encoder_2", 1, ["q", "k"]);
    const mlp = at("text_encoder_2", "text_model.encoder.layers.1.mlp.fc1");
    const otherEncoder = layer("text_encoder", 1, ["q"]);
    const unet = at("unet", "conv_in");
    const { kept, dropped } = a1111FusedAttentionFilter([...complete, ...partial, mlp, ...otherEncoder, unet], ["text_encoder_2"]);
    expect(kept).toEqual([...complete, mlp, ...otherEncoder, unet]);
    expect(dropped).toEqual(partial);
  });
});

describe("LoRA metadata as A1111 lists it", () => {
  it("decodes JSON-looking values and puts kohya's main keys first", () => {
    const listed = a1111LoraMetadata({
      ss_output_name: "mylora",
      ss_tag_frequency: '{"10_sks": {"sks": 12}}',
      ss_sd_model_name: "v1-5-pruned.safetensors",
      broken: "{not json",
      ss_resolution: "(512, 512)",
    });
    expect(Object.keys(listed)).toEqual(["ss_sd_model_name", "ss_resolution", "ss_tag_frequency", "ss_output_name", "broken"]);
    expect(listed.ss_tag_frequency).toEqual({ "10_sks": { sks: 12 } });
    expect(listed.broken).toBe("{not json");
  });
});
