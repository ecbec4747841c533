/**
 * Derived models: a component's model.onnx changed by a transform (outputs added, initializers replaced), written to
 * the cache folder and opened by path.
 *
 * Why files, and why this layout (docs/engine.md "Derived models"): onnxruntime-node 1.30 resolves external data
 * relative to the model file and refuses any location that resolves outside the model's folder — a symlink to the
 * original weights included ("External data path escapes model directory"). So each source component gets one
 * folder in the cache, `derived/<source id>/`, holding
 * - `source/…`: the original model.onnx and its external data files, hard-linked (no copy) or, where the cache is on
 *   another file system, copied once (a reflink where the file system supports it);
 * - `<transform>.onnx`: the derived graph; initializers it does not change point into `source/…` (tensors stored
 *   inline in the original point into `source/model.onnx` at their byte offset, which onnxruntime reads as
 *   external data);
 * - `<transform>.data`: the tensors the transform added or replaced, and nothing else;
 * - `<transform>.json`: what the transform reported (e.g. the vocabulary size before added token rows).
 * Weights never pass through JavaScript memory except the tensors a transform reads or writes, one at a time.
 *
 * The source id hashes the identity (path, device, inode, size, mtime) of every file in the component's folder, so
 * an edited model gets a new folder; the transform id hashes the caller's description of the change. A derived model
 * that exists is reused: the second request for it costs a stat and a file-existence check.
 */
import { createHash } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { copyFile, link, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import onnxProto from "onnx-proto";
import { ModelEditor } from "./model-editor.ts";
import { readModelSkeleton } from "./read-model.ts";

const { onnx } = onnxProto;

export interface DeriveRequest {
  /** The component's model.onnx. */
  readonly source: string;
  /** Where derived models are kept (SERENA_CACHE_DIR). */
  readonly cacheDir: string;
  /** A stable description of the change: equal descriptions must mean equal results. */
  readonly transform: string;
  /** Makes the change; what it returns (plain JSON) is kept beside the derived model and returned on every reuse. */
  readonly edit: (model: ModelEditor) => Promise<unknown>;
}

export interface DerivedModel {
  readonly path: string;
  /** False when an earlier call (in any process) had already written it. */
  readonly created: boolean;
  /** Bytes written to the derived data file. */
  readonly dataBytes: number;
  /** What the edit returned. */
  readonly info: unknown;
}

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

/** The identity of the component's folder: every regular file's path, device, inode, size and modification time. */
export async function sourceIdentity(modelPath: string): Promise<string> {
  const dir = dirname(modelPath);
  const names = (await readdir(dir)).sort();
  const parts = [modelPath];
  for (const name of names) {
    const info = await stat(join(dir, name)).catch(() => null);
    if (info?.isFile()) parts.push(`${name}:${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`);
  }
  return sha(parts.join("\n")).slice(0, 20);
}

/** `source` made available as `target`: a hard link, or a copy (reflink when possible) across file systems. */
async function mirror(source: string, target: string): Promise<void> {
  const [from, to] = await Promise.all([stat(source), stat(target).catch(() => null)]);
  if (to !== null && to.size === from.size && (to.ino === from.ino || to.mtimeMs >= from.mtimeMs)) return;
  await mkdir(dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}.${Date.now()}.tmp`;
  try {
    await link(source, temporary);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EXDEV" && code !== "EPERM" && code !== "EMLINK" && code !== "ENOTSUP") throw error;
    await copyFile(source, temporary, fsConstants.COPYFILE_FICLONE);
  }
  await rename(temporary, target);
}

/** The name a source file has inside the derived folder. */
const mirrorName = (modelDir: string, file: string) => `source/${relative(modelDir, file).split(/[\\/]/).join("__")}`;

/** Where `request`'s derived model is (or would be) written, without deriving it. */
export async function derivedModelPath(source: string, cacheDir: string, transform: string): Promise<string> {
  return join(cacheDir, "derived", await sourceIdentity(source), `${sha(transform).slice(0, 24)}.onnx`);
}

/**
 * Returns the derived model for `request`, writing it first when it does not exist. Files are written under
 * temporary names and renamed into place, the graph last, so a model file that exists is complete.
 */
export async function deriveModel(request: DeriveRequest): Promise<DerivedModel> {
  const path = await derivedModelPath(request.source, request.cacheDir, request.transform);
  const infoPath = path.replace(/\.onnx$/, ".json");
  if (await stat(path).then(() => true, () => false)) {
    const info = JSON.parse(await readFile(infoPath, "utf8")) as { value: unknown };
    return { path, created: false, dataBytes: 0, info: info.value };
  }
  const dir = dirname(path);
  const id = basename(path, ".onnx");
  await mkdir(dir, { recursive: true });
  const skeleton = await readModelSkeleton(request.source);
  const modelDir = dirname(request.source);
  const suffix = `${process.pid}.${Date.now()}.tmp`;
  const dataTemporary = join(dir, `${id}.data.${suffix}`);
  const handle = await open(dataTemporary, "w+");
  const editor = new ModelEditor(skeleton, handle);
  let dataBytes: number;
  let info: unknown;
  try {
    info = await request.edit(editor);
    dataBytes = (await handle.stat()).size;
  } catch (error) {
    await rm(dataTemporary, { force: true });
    throw error;
  } finally {
    await handle.close();
  }

  const files = new Set<string>();
  for (const tensor of editor.graph.initializer) {
    const name = tensor.name ?? "";
    const written = editor.written.get(name);
    const stored = skeleton.stored.get(name);
    let location: string;
    let offset: number;
    let length: number;
    if (written !== undefined) {
      ({ offset, length } = written);
      location = `${id}.data`;
    } else if (stored !== undefined) {
      ({ offset, length } = stored);
      location = mirrorName(modelDir, stored.file);
      files.add(stored.file);
    } else {
      continue;
    }
    tensor.rawData = new Uint8Array(0);
    tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    tensor.externalData = [
      { key: "location", value: location },
      { key: "offset", value: String(offset) },
      { key: "length", value: String(length) },
    ];
  }
  for (const file of files) await mirror(file, join(dir, mirrorName(modelDir, file)));
  const modelTemporary = join(dir, `${id}.onnx.${suffix}`);
  await writeFile(modelTemporary, onnx.ModelProto.encode(skeleton.model).finish());
  if (dataBytes > 0) await rename(dataTemporary, join(dir, `${id}.data`));
  else await rm(dataTemporary, { force: true });
  await writeFile(`${infoPath}.${suffix}`, JSON.stringify({ value: info ?? null }));
  await rename(`${infoPath}.${suffix}`, infoPath);
  await rename(modelTemporary, path);
  return { path, created: true, dataBytes, info: info ?? null };
}

/** Removes a derived model and its data file (best effort: another process may be reading it). */
export async function removeDerivedModel(path: string): Promise<void> {
  await rm(path, { force: true });
  await rm(path.replace(/\.onnx$/, ".data"), { force: true });
  await rm(path.replace(/\.onnx$/, ".json"), { force: true });
}
