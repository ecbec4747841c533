import { open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ExportGraph } from "./export-graph.ts";
import { initializerBytes } from "./weights.ts";

/** optimum's external data file name (onnx.save_model(..., location="model.onnx_data")). */
export const EXTERNAL_DATA_FILE = "model.onnx_data";

export interface WriteProgress {
  readonly file: string;
  readonly writtenBytes: number;
  readonly totalBytes: number;
}

export interface WriteOnnxOptions {
  readonly seed: number;
  readonly producer?: string;
  readonly onProgress?: (progress: WriteProgress) => void;
}

/** Bytes buffered before each write: large enough for few syscalls, small enough to keep memory flat. */
const WRITE_CHUNK_BYTES = 64 * 2 ** 20;

/**
 * Writes `dir/model.onnx` (the graph, a few MB at most) and `dir/model.onnx_data` (every weight, generated here).
 * Weights are generated and written one tensor at a time, so memory stays at the largest single tensor (CLIP's token
 * embedding: 49,408 × 768 floats, 152 MB) whatever the model's size; the protobuf never holds a weight, so it stays far
 * below protobuf's 2 GB limit.
 */
export async function writeOnnxModel(graph: ExportGraph, dir: string, options: WriteOnnxOptions): Promise<{ modelBytes: number; dataBytes: number }> {
  const encoded = graph.encode(EXTERNAL_DATA_FILE, options.producer ?? "serena-model-builder");
  await writeFile(join(dir, "model.onnx"), encoded.model);
  const dataPath = join(dir, EXTERNAL_DATA_FILE);
  const handle = await open(dataPath, "w");
  try {
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let written = 0;
    const flush = async () => {
      for (const chunk of pending) {
        let at = 0;
        while (at < chunk.byteLength) at += (await handle.write(chunk, at, chunk.byteLength - at)).bytesWritten;
      }
      written += pendingBytes;
      pending = [];
      pendingBytes = 0;
      options.onProgress?.({ file: dataPath, writtenBytes: written, totalBytes: encoded.externalDataBytes });
    };
    for (const entry of encoded.externalData) {
      const bytes = initializerBytes(options.seed, entry.parameter, graph.floatType);
      if (bytes.byteLength !== entry.length) throw new Error(`${entry.parameter.name}: ${bytes.byteLength} bytes, expected ${entry.length}`);
      pending.push(bytes);
      pendingBytes += bytes.byteLength;
      if (pendingBytes >= WRITE_CHUNK_BYTES) await flush();
    }
    await flush();
  } finally {
    await handle.close();
  }
  return { modelBytes: encoded.model.byteLength, dataBytes: encoded.externalDataBytes };
}
