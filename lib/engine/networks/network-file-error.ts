/**
 * A LoRA or textual-inversion file Serena will not use: unreadable, malformed, of a kind it refuses (pickles), or
 * holding data in a form it does not decode. `file` is the path, `kind` says which of these, and the message names
 * the file and what is wrong with it.
 */
export type NetworkFileProblem =
  /** A pickle (`torch.save` zip or bare pickle stream): never executed, never read. */
  | "pickle"
  /** Not a safetensors file, or one that breaks the format (header, offsets, byte counts). */
  | "malformed"
  /** A valid file whose content this reader does not decode (dtype, layout, embedding form). */
  | "unsupported"
  /** The file could not be read (missing, a directory, shorter than when it was opened). */
  | "io";

export class NetworkFileError extends Error {
  readonly file: string;
  readonly kind: NetworkFileProblem;

  constructor(file: string, kind: NetworkFileProblem, problem: string, options?: ErrorOptions) {
    super(`${file}: ${problem}`, options);
    this.name = "NetworkFileError";
    this.file = file;
    this.kind = kind;
  }
}
