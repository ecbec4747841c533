/**
 * Extra-network tags (`<lora:name:0.8>`, `<hypernet:name:1>`) as A1111 v1.10 treats them (modules/extra_networks.py,
 * processing.py `parse_extra_network_prompts`, extensions-builtin/Lora/extra_networks_lora.py): they are removed from
 * the positive prompts (and the hires prompts) before tokenising, and applied unless `disable_extra_networks` is set;
 * negative prompts keep them as text.
 *
 * - `lora` (and its alias `lyco`) tags name LoRA files of the LoRA folder (SERENA_LORA_DIR) by file name or alias.
 *   Arguments: `<lora:name:te:unet:dyn>`, each also named (`te=`, `unet=`, `dyn=`; a named one wins); te defaults to
 *   1.0, unet to te, dyn (keep the first dyn ranks) to all. They are read from the batch's first prompt, grouped by
 *   kind in order of first appearance (`parse_prompts`, `lookup_extra_networks`).
 * - The hires pass activates the networks of the hires prompt (`hr_prompt`, or the prompt when empty) for its own
 *   conds and sampling (`sample_hr_pass`); a hires prompt without tags runs without LoRAs.
 * - Where A1111 logs and carries on (a LoRA it cannot find, a multiplier that is not a number, a file it cannot
 *   load), Serena answers 422 naming the prompt field and the tag: the image asked for cannot be made. Pickles
 *   (.pt/.ckpt, or any pickle by content) are refused the same way: Serena never runs them.
 * - `hypernet` tags are a 422 (Serena has no hypernetworks); tags of kinds A1111 does not know are skipped, as A1111
 *   skips them ("Skipping unknown extra network").
 *
 * The infotext gets `Lora hashes` ("name: shorthash", names as written in the prompt, 12 hex digits) as A1111's
 * `activate` writes it; the hires pass's networks replace the first pass's when they have any.
 */
import { basename } from "node:path";
import type { EmbeddingFolder, LibraryEmbedding } from "../../engine/networks/embedding-library.ts";
import type { LoraCatalog, LoraOnDisk } from "../../engine/networks/lora-catalog.ts";
import { formatLoraHashes, formatTiHashes, networkShortHash } from "../../engine/networks/hashes.ts";
import { planLora } from "../../engine/networks/lora-format.ts";
import { NetworkFileError } from "../../engine/networks/network-file-error.ts";
import { SafetensorsFile } from "../../engine/networks/safetensors.ts";
import type { GenerationPlan, GenerationResult, LoraSpec } from "../../engine/plan.ts";
import { parseExtraNetworks, type ExtraNetworkTag } from "../../engine/prompts/extra-networks.ts";
import { pythonDecimalFloat, pythonStrip } from "../../engine/prompts/python-text.ts";
import { invalidField } from "../errors.ts";
import type { PyValue } from "../infotext/python-format.ts";
import type { EmbeddingsResponse } from "../schemas/catalog-items.ts";
import type { Img2ImgRequest, Txt2ImgRequest } from "../schemas/generation.ts";
import type { RequestPlan } from "./plan.ts";

/** Where LoRA names are looked up (the engine's LoraCatalog over SERENA_LORA_DIR). */
export type LoraLookup = Pick<LoraCatalog, "find" | "hash">;

/** A `<lora:…>` tag's arguments as A1111 reads them. */
export interface LoraTag {
  /** The name as written (A1111's `mentioned_name`). */
  readonly name: string;
  readonly te: number;
  readonly unet: number;
  readonly dynDim: number | null;
  /** The tag as written, for messages. */
  readonly written: string;
}

const LORA_KINDS = new Set(["lora", "lyco"]);

/** Python's `float()` of an ASCII string (after `strip()`): sign, digits with single underscores, exponent, inf, nan. */
const PY_FLOAT = /^[+-]?(?:(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?|inf(?:inity)?|nan)$/i;
/** Python's `int()` of an ASCII string (after `strip()`). */
const PY_INT = /^[+-]?\d(?:_?\d)*$/;

/** Python's `float(text)`, or null where it raises ValueError (Unicode digits through pythonDecimalFloat). */
function pythonFloat(text: string): number | null {
  const stripped = pythonStrip(text);
  if (!PY_FLOAT.test(stripped)) return pythonDecimalFloat(stripped);
  if (/nan$/i.test(stripped)) return Number.NaN;
  return Number(stripped.replaceAll("_", "").replace(/inf(inity)?$/i, "Infinity"));
}

function pythonInt(text: string): number | null {
  const stripped = pythonStrip(text);
  return PY_INT.test(stripped) ? Number(stripped.replaceAll("_", "")) : null;
}

const writtenTag = (tag: ExtraNetworkTag) => `<${tag.name}:${tag.items.join(":")}>`;

/** A1111 extra_networks_lora.py `activate`: name, te, unet and dyn of one tag; a 422 at `field` when unreadable. */
function loraTag(tag: ExtraNetworkTag, field: string): LoraTag {
  const written = writtenTag(tag);
  const fail = (problem: string) => invalidField([field], `${written}: ${problem}`);
  const [name, te = "1.0", unet, dyn] = tag.positional;
  if (name === undefined) throw fail("the LoRA's name is missing (write <lora:name:multiplier>)");
  const number = (text: string, what: string) => {
    const value = pythonFloat(text);
    if (value === null || !Number.isFinite(value)) throw fail(`${what} ${JSON.stringify(text)} is not a finite number`);
    return value;
  };
  const teMultiplier = number(Object.hasOwn(tag.named, "te") ? tag.named.te! : te, "the text-encoder multiplier");
  const unetText = Object.hasOwn(tag.named, "unet") ? tag.named.unet! : unet;
  const unetMultiplier = unetText === undefined ? teMultiplier : number(unetText, "the UNet multiplier");
  const dynText = Object.hasOwn(tag.named, "dyn") ? tag.named.dyn! : dyn;
  let dynDim: number | null = null;
  if (dynText !== undefined) {
    dynDim = pythonInt(dynText);
    if (dynDim === null || dynDim < 0) throw fail(`dyn ${JSON.stringify(dynText)} is not a non-negative integer`);
  }
  return { name, te: teMultiplier, unet: unetMultiplier, dynDim, written };
}

/** The LoRA tags of a prompt, in A1111's order (kinds grouped by first appearance); 422s for hypernetworks. */
export function loraTags(prompt: string, field: string): LoraTag[] {
  const byKind = new Map<string, ExtraNetworkTag[]>();
  for (const tag of parseExtraNetworks(prompt).tags) byKind.set(tag.name, [...(byKind.get(tag.name) ?? []), tag]);
  const tags: LoraTag[] = [];
  for (const [kind, list] of byKind) {
    if (kind === "hypernet") {
      throw invalidField([field], `${writtenTag(list[0]!)}: Serena has no hypernetworks; remove the tag, or set disable_extra_networks to true to have it ignored`);
    }
    if (LORA_KINDS.has(kind)) tags.push(...list.map((tag) => loraTag(tag, field)));
  }
  return tags;
}

/** The prompt fields whose tags apply, with their text: the prompt, and the hires prompt when hires fix runs. */
function taggedFields(request: Txt2ImgRequest | Img2ImgRequest): [string, string][] {
  const fields: [string, string][] = [["prompt", request.prompt]];
  if ("enable_hr" in request && request.enable_hr && request.hr_prompt) fields.push(["hr_prompt", request.hr_prompt]);
  return fields;
}

/** Checks the tags that would be applied can be read (names, numbers); finding the files comes with the plan. */
export function checkExtraNetworks(request: Txt2ImgRequest | Img2ImgRequest): void {
  if (request.disable_extra_networks) return;
  for (const [field, text] of taggedFields(request)) loraTags(text, field);
}

/** Prompts as the text encoder sees them: extra-network tags removed (positive prompts only, as A1111 does). */
export const withoutNetworks = (prompts: readonly string[]) => prompts.map((p) => parseExtraNetworks(p).prompt);

export interface ResolvedNetworks {
  readonly loras: LoraSpec[];
  /** The hires pass's, or null without hires fix. */
  readonly hiresLoras: LoraSpec[] | null;
  /** The `Lora hashes` infotext value, or null. */
  readonly loraHashes: string | null;
}

async function resolveTags(tags: readonly LoraTag[], field: string, lookup: LoraLookup | undefined): Promise<{ specs: LoraSpec[]; files: { tag: LoraTag; entry: LoraOnDisk }[] }> {
  const specs: LoraSpec[] = [];
  const files: { tag: LoraTag; entry: LoraOnDisk }[] = [];
  for (const tag of tags) {
    if (lookup === undefined) {
      throw invalidField([field], `${tag.written}: LoRA not found: no LoRA folder is configured (SERENA_LORA_DIR)`);
    }
    const entry = await lookup.find(tag.name);
    if (entry === null) throw invalidField([field], `${tag.written}: LoRA not found in the LoRA folder (GET /sdapi/v1/loras lists them)`);
    let unknown: string[];
    try {
      const file = await SafetensorsFile.open(entry.path);
      await file.close();
      const plan = planLora(file.tensors.keys());
      unknown = plan.entries.length === 0 && plan.unknown.length === 0 ? ["(no tensors)"] : plan.unknown;
    } catch (error) {
      if (!(error instanceof NetworkFileError)) throw error;
      // The file's name, not its path on the server.
      throw invalidField([field], `${tag.written}: ${basename(error.file)}${error.message.slice(error.file.length)}`);
    }
    // Key families Serena does not apply (LoHa, LoKr, IA3, …) are refused rather than skipped: A1111 would apply them.
    if (unknown.length > 0) {
      const shown = unknown.slice(0, 3).join(", ") + (unknown.length > 3 ? `, … (${unknown.length} in all)` : "");
      throw invalidField(
        [field],
        `${tag.written}: ${basename(entry.path)} has tensors Serena cannot apply: ${shown}; Serena applies LoRA and LoCon files (kohya-ss, diffusers/PEFT naming)`,
      );
    }
    specs.push({ path: entry.path, te: tag.te, unet: tag.unet, dynDim: tag.dynDim });
    files.push({ tag, entry });
  }
  return { specs, files };
}

/** The LoRA files a request's tags name, for both passes, and their `Lora hashes`. */
export async function resolveNetworks(plan: RequestPlan, lookup: LoraLookup | undefined): Promise<ResolvedNetworks> {
  const request = plan.request;
  if (request.disable_extra_networks) return { loras: [], hiresLoras: plan.hires ? [] : null, loraHashes: null };
  const first = await resolveTags(loraTags(request.prompt, "prompt"), "prompt", lookup);
  let hires: Awaited<ReturnType<typeof resolveTags>> | null = null;
  if (plan.hires) {
    const field = "hr_prompt" in request && request.hr_prompt ? "hr_prompt" : "prompt";
    hires = await resolveTags(loraTags(plan.hires.prompt, field), field, lookup);
  }
  const hashesOf = async (files: { tag: LoraTag; entry: LoraOnDisk }[]) =>
    formatLoraHashes(await Promise.all(files.map(async ({ tag, entry }) => ({ name: tag.name, shorthash: networkShortHash(await lookup!.hash(entry)) }))));
  // sample_hr_pass activates the hires networks after the first pass; their hashes replace the entry when there are any.
  const loraHashes = (hires && hires.files.length > 0 ? await hashesOf(hires.files) : null) ?? (await hashesOf(first.files));
  return { loras: first.specs, hiresLoras: hires?.specs ?? null, loraHashes };
}

/** The engine plan with the resolved LoRAs of both passes. */
export function withLoras(plan: GenerationPlan, networks: ResolvedNetworks): GenerationPlan {
  return {
    ...plan,
    loras: networks.loras,
    hires: plan.hires === null ? null : { ...plan.hires, loras: networks.hiresLoras ?? [] },
  };
}

/**
 * `TI hashes` as A1111 writes it (modules/sd_hijack_clip.py `forward`): each text-encoder call's embeddings, short
 * hashes of 12 digits, put before the value an earlier call left; null when no embedding was used.
 */
export function tiHashes(result: GenerationResult): string | null {
  let value: string | null = null;
  for (const call of result.textualInversions ?? []) {
    value = formatTiHashes(call.map((e) => ({ name: e.name, shorthash: networkShortHash(e.hash) })), value);
  }
  return value;
}

/** The plan with extra-network infotext entries (those not null) at A1111's place in `extra`. */
export function withNetworkExtras(plan: RequestPlan, entries: Record<string, PyValue | null>): RequestPlan {
  const added = Object.entries(entries).filter((entry): entry is [string, PyValue] => entry[1] !== null);
  if (added.length === 0) return plan;
  const existing = Object.entries(plan.extra).filter(([key]) => !added.some(([k]) => k === key));
  const at = Math.min(plan.networkExtrasAt, existing.length);
  return { ...plan, extra: Object.fromEntries([...existing.slice(0, at), ...added, ...existing.slice(at)]) };
}

/**
 * An embeddings folder in `/sdapi/v1/embeddings` shape (A1111 api.py `get_embeddings`, `convert_embedding`): loaded
 * embeddings in the database's order (sorted by lower-cased name), skipped ones in load order. Pickles Serena refuses
 * are in neither: they cannot be used.
 */
export function embeddingsListing(folder: EmbeddingFolder): EmbeddingsResponse {
  const item = (e: LibraryEmbedding) => ({
    step: e.step,
    sd_checkpoint: e.sd_checkpoint,
    sd_checkpoint_name: e.sd_checkpoint_name,
    shape: e.shape,
    vectors: e.vectorCount,
  });
  const listing = (map: ReadonlyMap<string, LibraryEmbedding>) => Object.fromEntries([...map].map(([name, e]) => [name, item(e)]));
  return { loaded: listing(folder.loaded), skipped: listing(folder.skipped) };
}
