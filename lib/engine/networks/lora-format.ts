/**
 * LoRA files → a normalised list of modules (target model, diffusers/transformers module path, down/up weights,
 * alpha), and the weight delta A1111 adds for each. Nothing here knows a model: whether a module exists in the
 * loaded checkpoint, and which multiplier (te or unet) applies, is the patching step's business.
 *
 * Key families understood (everything else is returned in `unknown`, never guessed at):
 *
 * - kohya-ss (networks/lora.py): `<stem>.lora_down.weight`, `<stem>.lora_up.weight`, optional `<stem>.alpha`, the
 *   stem being `lora_unet_…` (diffusers or LDM naming, see module-paths.ts), `lora_te_…` (SD 1.x/2.x text encoder)
 *   or `lora_te1_…`/`lora_te2_…` (SDXL). A1111 splits a key at its first "." into stem and part
 *   (extensions-builtin/Lora/networks.py `load_network`) and also accepts `lora_A.weight`/`lora_B.weight` as
 *   down/up (network_lora.py `ModuleTypeLora`). LoCon (3×3 conv down, 1×1 up) is the same math.
 * - diffusers/PEFT: `unet.` / `text_encoder.` / `text_encoder_2.` + module path + `.lora_A.weight`/`.lora_B.weight`,
 *   the older `.lora.down.weight`/`.lora.up.weight` and `.lora_linear_layer.down/up.weight`, the attention-processor
 *   form `….processor.to_q_lora.down.weight` (`to_q/k/v_lora` → `to_q/k/v`, `to_out_lora` → `to_out.0` in the
 *   UNet; `q/k/v/out_proj` in text encoders: diffusers utils/state_dict_utils.py UNET_TO_DIFFUSERS and
 *   DIFFUSERS_OLD_TO_PEFT), with or without the `unet.` prefix that `save_attn_procs` files lack; `<path>.alpha`.
 *   A1111 v1.10 itself matches none of these for SD 1.x/2.x/SDXL (it splits at the first "." and looks the stem up
 *   by kohya names); `naming` tells them apart for a caller that wants A1111's exact behaviour.
 * - `bundle_emb.<name>.<vector>`: textual-inversion embeddings bundled in the LoRA (networks.py, `bundle_embeddings`),
 *   read with embedding-format.ts.
 *
 * A stem with any part besides down/up/alpha (LyCORIS `lora_mid` CP decomposition, `hada_*`, `lokr_*`, `oft_*`,
 * DoRA `dora_scale`, `scale`, `diff`, `w_norm`, …), without both down and up, or naming no Linear/Conv module, is
 * unknown in all its keys; so are modules named twice by different stems.
 */
import { embeddingFromData, type EmbeddingValue, type TextualInversion } from "./embedding-format.ts";
import { isTextModulePath, isUnetModulePath, textPathFromKohya, unetPathFromKohya } from "./module-paths.ts";
import { NetworkFileError } from "./network-file-error.ts";
import { withSafetensors, type SafetensorsFile, type Tensor } from "./safetensors.ts";

export type LoraTarget = "unet" | "text_encoder" | "text_encoder_2";

/** Which naming a module came in: kohya with diffusers or LDM UNet names, or a diffusers/PEFT state dict. */
export type LoraNaming = "kohya" | "kohya-ldm" | "diffusers";

/** A module as the file's key names describe it (no tensor read yet). */
export interface LoraEntry {
  target: LoraTarget;
  /** diffusers (UNet) or transformers (text encoder) module path, e.g. "mid_block.attentions.0.proj_in". */
  modulePath: string;
  naming: LoraNaming;
  /** The stem the file uses for it, e.g. "lora_unet_mid_block_attentions_0_proj_in" (for messages). */
  key: string;
  /** Tensor names in the file. */
  downKey: string;
  upKey: string;
  alphaKey: string | null;
}

export interface LoraPlan {
  entries: LoraEntry[];
  /** Tensor names not understood, sorted. */
  unknown: string[];
  /** `bundle_emb` embeddings: name → (vector name → tensor name), as A1111 groups them. */
  bundledEmbeddings: Map<string, Map<string, string>>;
}

export interface LoraModule extends Omit<LoraEntry, "downKey" | "upKey" | "alphaKey"> {
  /** Linear when both weights are 2-D; conv when either is 4-D. */
  kind: "linear" | "conv";
  /** [rank, in] or [rank, in, kh, kw]. */
  down: Tensor;
  /** [out, rank] or [out, rank, 1, 1]. */
  up: Tensor;
  alpha: number | null;
  /** down's first dimension (A1111 `NetworkModuleLora.dim`). */
  rank: number;
}

export interface LoraFile {
  modules: LoraModule[];
  unknown: string[];
  metadata: Readonly<Record<string, string>>;
  bundledEmbeddings: Map<string, TextualInversion>;
}

type Role = "down" | "up" | "alpha";

const KOHYA_PREFIXES: readonly (readonly [string, LoraTarget])[] = [
  ["lora_unet_", "unet"],
  ["lora_te_", "text_encoder"],
  ["lora_te1_", "text_encoder"],
  ["lora_te2_", "text_encoder_2"],
];

const KOHYA_PARTS: Readonly<Record<string, Role>> = {
  "lora_down.weight": "down",
  "lora_up.weight": "up",
  "lora_A.weight": "down",
  "lora_B.weight": "up",
  alpha: "alpha",
};

const DIFFUSERS_PARTS: Readonly<Record<string, Role>> = {
  "lora_A.weight": "down",
  "lora_B.weight": "up",
  "lora_A.default.weight": "down",
  "lora_B.default.weight": "up",
  "lora.down.weight": "down",
  "lora.up.weight": "up",
  "lora_linear_layer.down.weight": "down",
  "lora_linear_layer.up.weight": "up",
  alpha: "alpha",
};

const DIFFUSERS_PREFIXES: Readonly<Record<string, LoraTarget>> = {
  unet: "unet",
  text_encoder: "text_encoder",
  text_encoder_2: "text_encoder_2",
};

/** First segments of a UNet path: `save_attn_procs` files have no `unet.` prefix. */
const UNET_ROOTS = new Set(["down_blocks", "mid_block", "up_blocks", "conv_in", "conv_out", "time_embedding", "add_embedding"]);

const OLD_PROCESSOR = /^(.*?)(?:\.processor)?\.to_(q|k|v|out)_lora\.(down|up)\.weight$/;

/** A group of keys that describe one module. */
interface Group {
  target: LoraTarget;
  modulePath: string | null;
  naming: LoraNaming;
  key: string;
  parts: Map<string, string>;
  roles: Map<Role, string>;
  understood: boolean;
}

function kohyaGroup(stem: string): Omit<Group, "parts" | "roles" | "understood"> {
  for (const [prefix, target] of KOHYA_PREFIXES) {
    if (!stem.startsWith(prefix)) continue;
    const name = stem.slice(prefix.length);
    if (target !== "unet") return { target, modulePath: textPathFromKohya(name), naming: "kohya", key: stem };
    const unet = unetPathFromKohya(name);
    return { target, modulePath: unet?.path ?? null, naming: unet?.naming === "ldm" ? "kohya-ldm" : "kohya", key: stem };
  }
  throw new Error(`not a kohya stem: ${stem}`);
}

/** Splits a diffusers key (target prefix removed) into module path and part; null when it has no LoRA part. */
function diffusersSplit(target: LoraTarget, rest: string): { modulePath: string; part: string } | null {
  const old = OLD_PROCESSOR.exec(rest);
  if (old !== null) {
    const [, base, which, direction] = old;
    const module = target === "unet" ? (which === "out" ? "to_out.0" : `to_${which}`) : `${which}_proj`;
    return { modulePath: `${base}.${module}`, part: `lora.${direction}.weight` };
  }
  const segments = rest.split(".");
  const at = segments.findIndex((segment) => segment === "alpha" || segment === "lora" || segment.startsWith("lora_"));
  if (at <= 0) return null;
  return { modulePath: segments.slice(0, at).join("."), part: segments.slice(at).join(".") };
}

/** Classifies a file's tensor names; reads nothing. */
export function planLora(keys: Iterable<string>): LoraPlan {
  const groups = new Map<string, Group>();
  const unknown: string[] = [];
  const bundledEmbeddings = new Map<string, Map<string, string>>();
  const addTo = (id: string, make: () => Omit<Group, "parts" | "roles" | "understood">, part: string, key: string, roles: Readonly<Record<string, Role>>) => {
    let group = groups.get(id);
    if (group === undefined) {
      group = { ...make(), parts: new Map(), roles: new Map(), understood: true };
      groups.set(id, group);
    }
    group.parts.set(part, key);
    const role = Object.hasOwn(roles, part) ? roles[part] : undefined;
    if (role === undefined || group.roles.has(role)) group.understood = false;
    else group.roles.set(role, key);
  };

  for (const key of keys) {
    const dot = key.indexOf(".");
    const head = dot < 0 ? key : key.slice(0, dot);
    const rest = key.slice(dot + 1);
    if (head === "bundle_emb" && dot > 0) {
      // networks.py: `emb_name, vec_name = network_part.split(".", 1)`.
      const split = rest.indexOf(".");
      if (split <= 0) {
        unknown.push(key);
        continue;
      }
      const name = rest.slice(0, split);
      const vectors = bundledEmbeddings.get(name) ?? new Map<string, string>();
      vectors.set(rest.slice(split + 1), key);
      bundledEmbeddings.set(name, vectors);
    } else if (dot > 0 && KOHYA_PREFIXES.some(([prefix]) => head.startsWith(prefix))) {
      addTo(`kohya:${head}`, () => kohyaGroup(head), rest, key, KOHYA_PARTS);
    } else if (dot > 0 && (Object.hasOwn(DIFFUSERS_PREFIXES, head) || UNET_ROOTS.has(head))) {
      const target = Object.hasOwn(DIFFUSERS_PREFIXES, head) ? DIFFUSERS_PREFIXES[head] : "unet";
      const split = diffusersSplit(target, UNET_ROOTS.has(head) ? key : rest);
      if (split === null) {
        unknown.push(key);
        continue;
      }
      const { modulePath, part } = split;
      const valid = target === "unet" ? isUnetModulePath(modulePath) : isTextModulePath(modulePath);
      const make = () => ({ target, modulePath: valid ? modulePath : null, naming: "diffusers" as const, key: `${target}.${modulePath}` });
      addTo(`diffusers:${target}.${modulePath}`, make, part, key, DIFFUSERS_PARTS);
    } else {
      unknown.push(key);
    }
  }

  const complete = [...groups.values()].filter(
    (group) => group.understood && group.modulePath !== null && group.roles.has("down") && group.roles.has("up"),
  );
  // One module named by two stems (lora_te_ and lora_te1_, or diffusers and LDM names): which one A1111 would keep
  // depends on its key order and model; report both rather than pick.
  const byModule = new Map<string, Group[]>();
  for (const group of complete) {
    const id = `${group.target}:${group.modulePath}`;
    byModule.set(id, [...(byModule.get(id) ?? []), group]);
  }
  const entries: LoraEntry[] = [];
  for (const group of groups.values()) {
    const sameModule = byModule.get(`${group.target}:${group.modulePath}`);
    if (sameModule?.length === 1 && sameModule[0] === group) {
      entries.push({
        target: group.target,
        modulePath: group.modulePath!,
        naming: group.naming,
        key: group.key,
        downKey: group.roles.get("down")!,
        upKey: group.roles.get("up")!,
        alphaKey: group.roles.get("alpha") ?? null,
      });
    } else {
      unknown.push(...group.parts.values());
    }
  }
  return { entries, unknown: unknown.sort(), bundledEmbeddings };
}

const malformed = (file: string, entry: LoraEntry, problem: string) =>
  new NetworkFileError(file, "malformed", `LoRA module ${entry.key}: ${problem}`);

/** Reads and checks one module's tensors. */
export async function loadLoraModule(file: SafetensorsFile, entry: LoraEntry): Promise<LoraModule> {
  const down = await file.readTensor(entry.downKey);
  const up = await file.readTensor(entry.upKey);
  const shapes = `down ${JSON.stringify(down.shape)}, up ${JSON.stringify(up.shape)}`;
  if ((down.shape.length !== 2 && down.shape.length !== 4) || (up.shape.length !== 2 && up.shape.length !== 4)) {
    throw malformed(file.path, entry, `weights must be 2-D or 4-D (${shapes})`);
  }
  const rank = down.shape[0];
  if (rank === 0 || up.shape[1] !== rank) throw malformed(file.path, entry, `down and up ranks differ or are 0 (${shapes})`);
  if (up.shape.length === 4 && (up.shape[2] !== 1 || up.shape[3] !== 1)) {
    // A1111 builds the up projection as a 1×1 Conv2d (network_lora.py `create_module`): a k×k up is not LoRA math.
    throw new NetworkFileError(file.path, "unsupported", `LoRA module ${entry.key}: up must be 1×1 (${shapes})`);
  }
  let alpha: number | null = null;
  if (entry.alphaKey !== null) {
    const tensor = await file.readTensor(entry.alphaKey);
    if (tensor.data.length !== 1) throw malformed(file.path, entry, `alpha has shape ${JSON.stringify(tensor.shape)}, not one value`);
    alpha = tensor.data[0];
  }
  const { target, modulePath, naming, key } = entry;
  const kind = down.shape.length === 4 || up.shape.length === 4 ? "conv" : "linear";
  return { target, modulePath, naming, key, kind, down, up, alpha, rank };
}

/**
 * Reads a LoRA file whole: every module it understands, the keys it does not, its metadata and bundled embeddings.
 * Weights become float32, so a large float16 SDXL LoRA takes twice its file size in memory; to stream, plan with
 * {@link planLora} on an open {@link SafetensorsFile} and {@link loadLoraModule} one entry at a time.
 */
export async function readLoraFile(path: string): Promise<LoraFile> {
  return withSafetensors(path, async (file) => {
    const plan = planLora(file.tensors.keys());
    const modules: LoraModule[] = [];
    for (const entry of plan.entries) modules.push(await loadLoraModule(file, entry));
    const bundledEmbeddings = new Map<string, TextualInversion>();
    for (const [name, vectors] of plan.bundledEmbeddings) {
      const data = new Map<string, EmbeddingValue>();
      for (const [vector, key] of vectors) {
        const tensor = await file.readTensor(key);
        // networks.py: a "string_to_param.<k>" vector replaces the whole string_to_param dict with {k: tensor}.
        const [head, ...term] = vector.split(".");
        if (head === "string_to_param") data.set("string_to_param", new Map([[term.join("."), tensor]]));
        else data.set(vector, tensor);
      }
      bundledEmbeddings.set(name, embeddingFromData(data, `${path}/${name}`));
    }
    return { modules, unknown: plan.unknown, metadata: file.metadata, bundledEmbeddings };
  });
}

/** The shape of the weight a module's delta is added to: Linear [out, in], Conv [out, in, kh, kw]. */
export function loraDeltaShape(module: LoraModule): number[] {
  const [out] = module.up.shape;
  const [, input, kh = 1, kw = 1] = module.down.shape;
  return module.kind === "linear" ? [out, input] : [out, input, kh, kw];
}

/**
 * `multiplier · scale · up·down` in the target weight's layout (see {@link loraDeltaShape}), scale being
 * alpha / rank, or 1 without alpha (A1111 network.py `calc_scale`; an alpha of 0 gives 0 there, unlike kohya's
 * trainer, which reads 0 as "rank"). up is flattened to [out, rank] and down to [rank, in·kh·kw]
 * (lyco_helpers.py `rebuild_conventional`), which for a 3×3 LoCon down and 1×1 up equals kohya's
 * `conv2d(down.permute(1, 0, 2, 3), up).permute(1, 0, 2, 3)`. `dynDim` keeps the first dynDim ranks only (A1111's
 * `<lora:name:te:unet:dyn>`), leaving the scale as it is. Sums run in float64 and are rounded to float32 once;
 * A1111 computes in the weights' dtype (float16 on GPU), so the two agree to that dtype's precision.
 */
export function loraDelta(module: LoraModule, multiplier: number, options: { dynDim?: number | null } = {}): Float32Array {
  const { dynDim = null } = options;
  if (dynDim !== null && !(Number.isInteger(dynDim) && dynDim >= 0)) throw new RangeError(`dynDim must be a non-negative integer, got ${dynDim}`);
  const { rank } = module;
  const outputs = module.up.shape[0];
  const columns = module.down.data.length / rank;
  const used = dynDim === null ? rank : Math.min(rank, dynDim);
  const factor = (module.alpha === null ? 1 : module.alpha / rank) * multiplier;
  const up = module.up.data;
  const down = module.down.data;
  const delta = new Float32Array(outputs * columns);
  const row = new Float64Array(columns);
  for (let o = 0; o < outputs; o++) {
    row.fill(0);
    for (let k = 0; k < used; k++) {
      const weight = up[o * rank + k];
      if (weight === 0) continue;
      const base = k * columns;
      for (let c = 0; c < columns; c++) row[c] += weight * down[base + c];
    }
    const offset = o * columns;
    for (let c = 0; c < columns; c++) delta[offset + c] = row[c] * factor;
  }
  return delta;
}

const ATTENTION_PROJECTION = /^text_model\.encoder\.layers\.(\d+)\.self_attn\.(q|k|v|out)_proj$/;

/**
 * A1111's text encoders for SD 2.x and SDXL's second encoder are OpenCLIP models whose self-attention is one
 * nn.MultiheadAttention (q, k, v fused in `in_proj_weight`). networks.py `network_apply_weights` applies a layer's
 * q/k/v/out LoRA there only when all four are present, and none of them otherwise. Serena's exports keep q/k/v
 * separate, so a patcher that wants A1111's result for those encoders drops incomplete sets with this.
 */
export function a1111FusedAttentionFilter(
  modules: readonly LoraModule[],
  encoders: readonly LoraTarget[],
): { kept: LoraModule[]; dropped: LoraModule[] } {
  const sets = new Map<string, Set<string>>();
  const layerOf = (module: LoraModule) => {
    const match = encoders.includes(module.target) ? ATTENTION_PROJECTION.exec(module.modulePath) : null;
    return match === null ? null : { id: `${module.target}:${match[1]}`, projection: match[2] };
  };
  for (const module of modules) {
    const layer = layerOf(module);
    if (layer !== null) sets.set(layer.id, (sets.get(layer.id) ?? new Set()).add(layer.projection));
  }
  const kept: LoraModule[] = [];
  const dropped: LoraModule[] = [];
  for (const module of modules) {
    const layer = layerOf(module);
    (layer === null || sets.get(layer.id)!.size === 4 ? kept : dropped).push(module);
  }
  return { kept, dropped };
}

/** network.py `metadata_tags_order`: these keys first, in this order, the rest after in file order. */
const METADATA_ORDER: Readonly<Record<string, number>> = {
  ss_sd_model_name: 1,
  ss_resolution: 2,
  ss_clip_skip: 3,
  ss_num_train_images: 10,
  ss_tag_frequency: 20,
};

/**
 * A LoRA's metadata as A1111 shows it (`/sdapi/v1/loras` "metadata"): sd_models.py
 * `read_metadata_from_safetensors` decodes values that start with "{" as JSON (keeping the string when that fails),
 * and network.py `NetworkOnDisk` orders the keys by `metadata_tags_order`.
 */
export function a1111LoraMetadata(metadata: Readonly<Record<string, string>>): Record<string, unknown> {
  const rank = (key: string) => (Object.hasOwn(METADATA_ORDER, key) ? METADATA_ORDER[key] : 999);
  const decoded = Object.entries(metadata).map(([key, value]): [string, unknown] => {
    if (!value.startsWith("{")) return [key, value];
    try {
      return [key, JSON.parse(value)];
    } catch {
      return [key, value];
    }
  });
  return Object.fromEntries(decoded.sort(([a], [b]) => rank(a) - rank(b)));
}
