/**
 * `npm run upload-model -- <folder> s3://bucket/prefix/`: uploads a diffusers ONNX model folder for
 * SERENA_MODEL_S3_URI and writes `serena-manifest.json` (sizes and SHA-256 per file) beside it, last. Credentials
 * and region come from the usual AWS environment; SERENA_S3_ENDPOINT points it at an S3-compatible server.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { getConfig } from "../lib/platform/config.ts";
import { parseS3Uri, s3ModelSource } from "../lib/platform/storage/model-download.ts";
import { uploadModelFolder } from "../lib/platform/storage/model-upload.ts";

const [folder, uri] = process.argv.slice(2);
if (!folder || !uri?.startsWith("s3://")) {
  console.error("usage: npm run upload-model -- <model folder> s3://bucket/prefix/");
  process.exit(2);
}
if (!(await stat(path.join(folder, "model_index.json")).catch(() => null))) {
  console.error(`${folder} has no model_index.json; expected a diffusers ONNX export (optimum-cli export onnx)`);
  process.exit(2);
}

const { storage, prefix } = s3ModelSource(uri, getConfig().storage);
const started = Date.now();
const manifest = await uploadModelFolder(storage, prefix, folder, (rel, size) => console.log(`${rel} (${(size / 1e6).toFixed(1)} MB)`));
const total = Object.values(manifest.files).reduce((sum, f) => sum + f.size, 0);
console.log(
  `uploaded ${Object.keys(manifest.files).length} files, ${(total / 1e6).toFixed(1)} MB, to s3://${parseS3Uri(uri).bucket}/${prefix} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
