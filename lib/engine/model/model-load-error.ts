/**
 * A model folder that cannot be used: a file is missing, unreadable or inconsistent with the others. `file` is the
 * path of the offending file (or folder); the message names it and says what is wrong.
 */
export class ModelLoadError extends Error {
  readonly file: string;

  constructor(file: string, problem: string, options?: ErrorOptions) {
    super(`${file}: ${problem}`, options);
    this.name = "ModelLoadError";
    this.file = file;
  }
}
