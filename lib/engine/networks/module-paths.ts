/**
 * Module paths a LoRA can target, in the diffusers (UNet2DConditionModel) and transformers (CLIPTextModel) naming
 * that ONNX exports of Stable Diffusion keep in their initializer names, and the two underscore namings kohya-ss
 * LoRA files use for them:
 *
 * - diffusers-style: kohya networks/lora.py names a module `lora_unet_` + its diffusers path with "." → "_"
 *   (`lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q`), and text-encoder modules `lora_te_`
 *   (SD 1.x/2.x) or `lora_te1_`/`lora_te2_` (SDXL) + the transformers path (`text_model_encoder_layers_0_mlp_fc1`).
 * - CompVis/LDM-style: kohya's SDXL trainer works on the original (sgm) UNet, so its LoRAs name UNet modules by
 *   the LDM layout (`lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q`, `middle_block_1_…`,
 *   `output_blocks_…`); some SD 1.x LoRAs do too. A1111 accepts both (extensions-builtin/Lora/networks.py: it turns
 *   diffusers names into LDM ones with `convert_diffusers_name_to_compvis`, and LDM names by replacing `lora_unet`
 *   with `diffusion_model`). Serena's models are diffusers exports, so it maps the other way: LDM → diffusers, with
 *   the block arithmetic of kohya library/model_util.py (SD 1.x) and library/sdxl_model_util.py
 *   `make_unet_conversion_map` (SDXL):
 *     input_blocks.{1+3i+j}.0 ↔ down_blocks.i.resnets.j      input_blocks.{1+3i+j}.1 ↔ down_blocks.i.attentions.j
 *     input_blocks.{3(i+1)}.0.op ↔ down_blocks.i.downsamplers.0.conv
 *     middle_block.0 / .1 / .2 ↔ mid_block.resnets.0 / attentions.0 / resnets.1
 *     output_blocks.{3i+j}.0 ↔ up_blocks.i.resnets.j        output_blocks.{3i+j}.1 ↔ up_blocks.i.attentions.j
 *     output_blocks.{3i+2}.{1 or 2}.conv ↔ up_blocks.i.upsamplers.0.conv (1 in SD 1.x's attention-less
 *       up_blocks.0, 2 elsewhere; a bare `conv` can only be the upsampler, so both are read without the model)
 *     time_embed.0/.2 ↔ time_embedding.linear_1/_2, label_emb.0.0/.2 ↔ add_embedding.linear_1/_2 (SDXL),
 *     input_blocks.0.0 ↔ conv_in, out.2 ↔ conv_out
 *     resnet parts: in_layers.2 ↔ conv1, out_layers.3 ↔ conv2, emb_layers.1 ↔ time_emb_proj,
 *       skip_connection ↔ conv_shortcut
 *   The layout is the same for SD 1.x, 2.x and SDXL (two resnets per down block, three per up block); whether a
 *   block exists in a given model is for whoever patches that model to check.
 *
 * Text encoders: kohya names them by the transformers CLIPTextModel path for SD 1.x, SD 2.x and both SDXL encoders.
 * A1111 rewrites `lora_te_…` to OpenCLIP names for SD 2.x (`self_attn` → `attn`, `mlp_fc1` → `mlp_c_fc`, `mlp_fc2`
 * → `mlp_c_proj`, q/k/v into the fused `in_proj_weight`) because its SD 2.x encoder is OpenCLIP; diffusers exports
 * keep the transformers layout, so the path stays as named (lora-format.ts `a1111FusedAttentionFilter` keeps the one
 * behavioural consequence).
 *
 * Only Linear and Conv2d modules are targets (the layers LoRA's up·down product applies to); norms, embeddings and
 * anything else are not in the grammar, so names for them come back null and the caller reports them as unknown.
 * The underscore form is parsed against the grammar (module names themselves hold underscores: `to_out`,
 * `transformer_blocks`, `time_emb_proj`), never by guessing where dots were.
 */

const NUMBER = "#";
type Grammar = { readonly [segment: string]: Grammar | true };

const ATTENTION: Grammar = { to_q: true, to_k: true, to_v: true, to_out: { "0": true } };
/** diffusers BasicTransformerBlock: two attentions and the GEGLU feed-forward (ff.net.0.proj, ff.net.2). */
const TRANSFORMER_BLOCK: Grammar = { attn1: ATTENTION, attn2: ATTENTION, ff: { net: { "0": { proj: true }, "2": true } } };
/** diffusers Transformer2DModel (a UNet "attentions.N"): proj_in/proj_out are Conv2d 1×1 in SD 1.x, Linear later. */
const TRANSFORMER_2D: Grammar = { proj_in: true, proj_out: true, transformer_blocks: { [NUMBER]: TRANSFORMER_BLOCK } };
const RESNET: Grammar = { conv1: true, conv2: true, time_emb_proj: true, conv_shortcut: true };
const BLOCK: Grammar = { resnets: { [NUMBER]: RESNET }, attentions: { [NUMBER]: TRANSFORMER_2D } };

const UNET: Grammar = {
  conv_in: true,
  conv_out: true,
  time_embedding: { linear_1: true, linear_2: true },
  add_embedding: { linear_1: true, linear_2: true },
  down_blocks: { [NUMBER]: { ...BLOCK, downsamplers: { "0": { conv: true } } } },
  mid_block: BLOCK,
  up_blocks: { [NUMBER]: { ...BLOCK, upsamplers: { "0": { conv: true } } } },
};

/** transformers CLIPTextModel / CLIPTextModelWithProjection: the layers kohya trains (CLIPAttention, CLIPMLP). */
const CLIP_TEXT: Grammar = {
  text_model: {
    encoder: {
      layers: { [NUMBER]: { self_attn: { q_proj: true, k_proj: true, v_proj: true, out_proj: true }, mlp: { fc1: true, fc2: true } } },
    },
  },
};

// No leading zeros: "01" and "1" must not name the same module twice.
const DIGITS = /^(0|[1-9][0-9]*)$/;

/** Every way `tokens[at..]` spells a module of `node`, as dotted-path segments. */
function* spellings(tokens: readonly string[], at: number, node: Grammar | true): Generator<string[]> {
  if (node === true) {
    if (at === tokens.length) yield [];
    return;
  }
  for (const [name, child] of Object.entries(node)) {
    if (name === NUMBER) {
      const token = tokens[at];
      if (token !== undefined && DIGITS.test(token)) for (const rest of spellings(tokens, at + 1, child)) yield [token, ...rest];
      continue;
    }
    const parts = name.split("_");
    if (parts.every((part, k) => tokens[at + k] === part)) {
      for (const rest of spellings(tokens, at + parts.length, child)) yield [name, ...rest];
    }
  }
}

/** The dotted path an underscore name spells in `grammar`, or null when it spells none (or, defensively, several). */
function fromUnderscored(tokens: readonly string[], grammar: Grammar): string | null {
  const found = [...spellings(tokens, 0, grammar)];
  return found.length === 1 ? found[0].join(".") : null;
}

function isPathIn(path: string, grammar: Grammar): boolean {
  let node: Grammar | true = grammar;
  for (const segment of path.split(".")) {
    if (node === true) return false;
    const child: Grammar | true | undefined = segment !== NUMBER && Object.hasOwn(node, segment)
      ? node[segment]
      : DIGITS.test(segment)
        ? node[NUMBER]
        : undefined;
    if (child === undefined) return false;
    node = child;
  }
  return node === true;
}

/** Whether `path` names a Linear/Conv module of a diffusers SD UNet (e.g. "mid_block.attentions.0.proj_in"). */
export const isUnetModulePath = (path: string): boolean => isPathIn(path, UNET);

/** Whether `path` names a Linear module of a CLIP text encoder (e.g. "text_model.encoder.layers.3.mlp.fc2"). */
export const isTextModulePath = (path: string): boolean => isPathIn(path, CLIP_TEXT);

const LDM_RESNET: Readonly<Record<string, string>> = {
  in_layers_2: "conv1",
  out_layers_3: "conv2",
  emb_layers_1: "time_emb_proj",
  skip_connection: "conv_shortcut",
};

const index = (token: string | undefined): number | null =>
  token !== undefined && DIGITS.test(token) ? Number(token) : null;

/** The diffusers path of an LDM UNet name (tokens after `lora_unet_`), or null. */
function fromLdm(tokens: readonly string[]): string | null {
  const [a, b, c, d] = tokens;
  const rest = (from: number) => tokens.slice(from);
  const resnet = (prefix: string, from: number) => {
    const part = LDM_RESNET[rest(from).join("_")];
    return part === undefined ? null : `${prefix}.${part}`;
  };
  const transformer = (prefix: string, from: number) => {
    const path = fromUnderscored(rest(from), TRANSFORMER_2D);
    return path === null ? null : `${prefix}.${path}`;
  };
  const isConv = (from: number) => tokens.length === from + 1 && tokens[from] === "conv";

  if (a === "input" && b === "blocks") {
    const n = index(c);
    const sub = index(d);
    if (n === null || sub === null) return null;
    if (n === 0) return sub === 0 && tokens.length === 4 ? "conv_in" : null;
    const i = Math.floor((n - 1) / 3);
    const j = (n - 1) % 3;
    if (j === 2) return sub === 0 && tokens.length === 5 && tokens[4] === "op" ? `down_blocks.${i}.downsamplers.0.conv` : null;
    if (sub === 0) return resnet(`down_blocks.${i}.resnets.${j}`, 4);
    return sub === 1 ? transformer(`down_blocks.${i}.attentions.${j}`, 4) : null;
  }
  if (a === "middle" && b === "block") {
    const k = index(c);
    if (k === 1) return transformer("mid_block.attentions.0", 3);
    return k === 0 || k === 2 ? resnet(`mid_block.resnets.${k / 2}`, 3) : null;
  }
  if (a === "output" && b === "blocks") {
    const n = index(c);
    const sub = index(d);
    if (n === null || sub === null) return null;
    const i = Math.floor(n / 3);
    const j = n % 3;
    if (sub === 0) return resnet(`up_blocks.${i}.resnets.${j}`, 4);
    if ((sub === 1 || sub === 2) && j === 2 && isConv(4)) return `up_blocks.${i}.upsamplers.0.conv`;
    return sub === 1 ? transformer(`up_blocks.${i}.attentions.${j}`, 4) : null;
  }
  const whole = tokens.join("_");
  const linear = /^(time_embed|label_emb_0)_([02])$/.exec(whole);
  if (linear !== null) {
    return `${linear[1] === "time_embed" ? "time_embedding" : "add_embedding"}.linear_${Number(linear[2]) / 2 + 1}`;
  }
  return whole === "out_2" ? "conv_out" : null;
}

export type UnetNaming = "diffusers" | "ldm";

/**
 * The diffusers UNet path a kohya name spells (`name` without its `lora_unet_` prefix), in either naming; null when
 * it names no Linear/Conv module.
 */
export function unetPathFromKohya(name: string): { path: string; naming: UnetNaming } | null {
  const tokens = name.split("_");
  const diffusers = fromUnderscored(tokens, UNET);
  if (diffusers !== null) return { path: diffusers, naming: "diffusers" };
  const ldm = fromLdm(tokens);
  return ldm === null ? null : { path: ldm, naming: "ldm" };
}

/** The transformers text-encoder path a kohya name spells (`name` without `lora_te_`/`lora_te1_`/`lora_te2_`). */
export const textPathFromKohya = (name: string): string | null => fromUnderscored(name.split("_"), CLIP_TEXT);
