/**
 * The LoRA folder as A1111 v1.10's Lora extension lists it (extensions-builtin/Lora/networks.py
 * `list_available_networks`, network.py `NetworkOnDisk`):
 *
 * - files ending in .pt, .ckpt or .safetensors anywhere under the folder (`walk_files`, natural sort order);
 * - named after the file without its extension; the alias is the metadata's `ss_output_name` (kohya's trainer writes
 *   it), else the name; an alias that two files share, and "none", can only be used by file name
 *   (`forbidden_network_aliases`, which networks.py also seeds with "Addams", never matched as lookups lower-case);
 * - metadata is the safetensors header's `__metadata__` (read for .safetensors files only), shown JSON-decoded and
 *   ordered (lora-format.ts `a1111LoraMetadata`);
 * - a name is looked up among names and aliases (`available_network_aliases`), or only among file names when its
 *   lower case is a forbidden alias (networks.py `load_networks`); a name not found makes A1111 rescan the folder
 *   once before giving up, so a file added since the last scan is found without a refresh.
 *
 * Serena reads only safetensors: a .pt/.ckpt file, or any pickle whatever its name, is listed as A1111 lists it but
 * refused when a prompt names it (safetensors.ts refuses pickles by content).
 */
import { stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import { walkFolder } from "./folder-walk.ts";
import { loraHash } from "./hashes.ts";
import { a1111LoraMetadata } from "./lora-format.ts";
import { SafetensorsFile } from "./safetensors.ts";

const EXTENSIONS = new Set([".pt", ".ckpt", ".safetensors"]);

export interface LoraOnDisk {
  /** The file name without its extension. */
  readonly name: string;
  readonly alias: string;
  readonly path: string;
  /** `__metadata__` as stored (strings); {} for files that are not safetensors. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** What `/sdapi/v1/loras` lists for one file. */
export interface LoraListing {
  readonly name: string;
  readonly alias: string;
  readonly path: string;
  readonly metadata: Record<string, unknown>;
}

async function readMetadata(path: string): Promise<Readonly<Record<string, string>>> {
  if (extname(path).toLowerCase() !== ".safetensors") return {};
  try {
    const file = await SafetensorsFile.open(path);
    await file.close();
    return file.metadata;
  } catch {
    // A1111 shows the error and lists the file without metadata.
    return {};
  }
}

interface Scan {
  readonly byName: Map<string, LoraOnDisk>;
  readonly byAlias: Map<string, LoraOnDisk>;
  readonly forbidden: Set<string>;
  readonly all: LoraOnDisk[];
}

export class LoraCatalog {
  readonly dir: string | null;
  #scan: Promise<Scan> | null = null;
  readonly #hashes = new Map<string, { key: string; hash: Promise<string> }>();

  constructor(dir: string | null) {
    this.dir = dir;
  }

  /** Rescans the folder (`/sdapi/v1/refresh-loras`). */
  async refresh(): Promise<void> {
    this.#scan = this.#read();
    await this.#scan;
  }

  async #read(): Promise<Scan> {
    const byName = new Map<string, LoraOnDisk>();
    const byAlias = new Map<string, LoraOnDisk>();
    // As networks.py seeds it: lookups compare the lower-cased name, so its "Addams" never matches anything.
    const forbidden = new Set(["none", "Addams"]);
    for (const path of this.dir === null ? [] : await walkFolder(this.dir, (name) => EXTENSIONS.has(extname(name).toLowerCase()))) {
      const name = basename(path, extname(path));
      const metadata = await readMetadata(path);
      const alias = Object.hasOwn(metadata, "ss_output_name") ? metadata.ss_output_name! : name;
      const entry: LoraOnDisk = { name, alias, path, metadata };
      byName.set(name, entry);
      if (byAlias.has(alias)) forbidden.add(alias.toLowerCase());
      byAlias.set(name, entry);
      byAlias.set(alias, entry);
    }
    return { byName, byAlias, forbidden, all: [...byName.values()] };
  }

  async #current() {
    this.#scan ??= this.#read();
    return this.#scan;
  }

  /** Every file, in `/sdapi/v1/loras` shape. */
  async list(): Promise<LoraListing[]> {
    return (await this.#current()).all.map(({ name, alias, path, metadata }) => ({ name, alias, path, metadata: a1111LoraMetadata(metadata) }));
  }

  /** The file a prompt's `<lora:name:…>` means, rescanning once when it is not known; null when there is none. */
  async find(name: string): Promise<LoraOnDisk | null> {
    const lookup = (scan: Scan) =>
      (scan.forbidden.has(name.toLowerCase()) ? scan.byName.get(name) : scan.byAlias.get(name)) ?? null;
    const found = lookup(await this.#current());
    if (found !== null) return found;
    await this.refresh();
    return lookup(await this.#current());
  }

  /** The hash A1111 shows for the file (hashes.ts `loraHash`), cached by path, size and modification time. */
  async hash(entry: LoraOnDisk): Promise<string> {
    const info = await stat(entry.path);
    const key = `${info.size}:${info.mtimeMs}`;
    const cached = this.#hashes.get(entry.path);
    if (cached?.key === key) return cached.hash;
    const hash = loraHash(entry.path, entry.metadata);
    this.#hashes.set(entry.path, { key, hash });
    hash.catch(() => this.#hashes.delete(entry.path));
    return hash;
  }
}
