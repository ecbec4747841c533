/**
 * onnxruntime sessions for derived versions of one component (graph/derive.ts), kept by transform and bounded: a
 * request that needs a version already open pays nothing; one whose derived files exist pays the session creation;
 * only a new transform pays the derivation. The least recently used session beyond the bound is released (a patched
 * full-size UNet session holds as much memory as the base one).
 */
import type { InferenceSession } from "onnxruntime-node";
import type { ModelEditor } from "./graph/model-editor.ts";
import { deriveModel, removeDerivedModel } from "./graph/derive.ts";

export interface Variant<I> {
  readonly session: InferenceSession;
  readonly info: I;
  readonly path: string;
}

export interface VariantTimings {
  /** Milliseconds spent deriving (0 when the files existed) and creating the session. */
  derive: number;
  createSession: number;
}

export class VariantCache<I> {
  readonly #source: string;
  readonly #cacheDir: string;
  readonly #limit: number;
  readonly #open: (path: string) => Promise<InferenceSession>;
  readonly #entries = new Map<string, Promise<Variant<I> & { removeOnEvict: boolean }>>();
  /** Timings of the last variant created (for the benchmark and docs/engine.md's figures). */
  last: VariantTimings | null = null;

  constructor(source: string, cacheDir: string, limit: number, open: (path: string) => Promise<InferenceSession>) {
    this.#source = source;
    this.#cacheDir = cacheDir;
    this.#limit = Math.max(1, limit);
    this.#open = open;
  }

  /**
   * The session for `transform` (a stable description), derived with `edit` when needed. `removeOnEvict` deletes the
   * derived files with the session (for large patched weights that are cheap to rebuild relative to their size).
   */
  async get(transform: string, edit: (model: ModelEditor) => Promise<I>, options: { removeOnEvict?: boolean } = {}): Promise<Variant<I>> {
    const existing = this.#entries.get(transform);
    if (existing !== undefined) {
      this.#entries.delete(transform);
      this.#entries.set(transform, existing);
      return existing;
    }
    const created = (async () => {
      const started = performance.now();
      const derived = await deriveModel({ source: this.#source, cacheDir: this.#cacheDir, transform, edit });
      const derivedAt = performance.now();
      const session = await this.#open(derived.path);
      this.last = { derive: derivedAt - started, createSession: performance.now() - derivedAt };
      return { session, info: derived.info as I, path: derived.path, removeOnEvict: options.removeOnEvict ?? false };
    })();
    this.#entries.set(transform, created);
    created.catch(() => this.#entries.delete(transform));
    await this.#evict(transform);
    return created;
  }

  async #evict(keep: string): Promise<void> {
    while (this.#entries.size > this.#limit) {
      const oldest = [...this.#entries.keys()].find((key) => key !== keep);
      if (oldest === undefined) return;
      const entry = this.#entries.get(oldest)!;
      this.#entries.delete(oldest);
      await entry.then(
        async (variant) => {
          await variant.session.release();
          if (variant.removeOnEvict) await removeDerivedModel(variant.path);
        },
        () => undefined,
      );
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  async release(): Promise<void> {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(
      entries.map((entry) =>
        entry.then(
          async (variant) => {
            await variant.session.release();
            if (variant.removeOnEvict) await removeDerivedModel(variant.path);
          },
          () => undefined,
        ),
      ),
    );
  }
}
