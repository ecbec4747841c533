/** Checkpoint lookup by any of the aliases A1111 accepts (title, name, hash, sha256, file name). */
import type { InferenceBackend } from "../backend.ts";
import type { SDModelItem } from "../schemas/catalog-items.ts";

export async function findModel(backend: InferenceBackend, name: string): Promise<SDModelItem | undefined> {
  const models = await backend.listModels();
  return models.find((m) => [m.title, m.model_name, m.hash, m.sha256, m.filename].includes(name));
}
