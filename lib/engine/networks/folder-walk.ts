/**
 * Listing a network folder as A1111 lists its LoRA and embeddings folders: every file below it, symlinked folders
 * followed once each (`os.walk(…, followlinks=True)`), in Python's natural order (`natural_sort_key`).
 */
import { readdir, realpath, stat } from "node:fs/promises";
import { join } from "node:path";

/** Python's natural sort key as A1111's `natural_sort_key`: digit runs compare as numbers, text case-insensitively. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true, sensitivity: "base" }) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Files under `dir` whose names `keep` accepts, a folder's own files before its subfolders' (each level in natural
 * order). A folder that cannot be read, or that was already walked through another link, adds nothing.
 */
export async function walkFolder(dir: string, keep: (name: string) => boolean = () => true, seen = new Set<string>()): Promise<string[]> {
  const real = await realpath(dir).catch(() => null);
  if (real === null || seen.has(real)) return [];
  seen.add(real);
  const entries = (await readdir(dir, { withFileTypes: true }).catch(() => [])).sort((a, b) => naturalCompare(a.name, b.name));
  const files: string[] = [];
  const folders: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(path).then((s) => s.isDirectory(), () => false)));
    if (isDir) folders.push(path);
    else if (keep(entry.name)) files.push(path);
  }
  for (const folder of folders) files.push(...(await walkFolder(folder, keep, seen)));
  return files;
}
