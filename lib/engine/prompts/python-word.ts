/**
 * Python's `\w` in str patterns: Unicode letters and numbers and "_" (`str.isalnum()`). A1111's prompt regexes run
 * on Python `re`, where `\w` and `\b` are Unicode-aware; JavaScript's are ASCII-only even with the `u` flag.
 */
export const PYTHON_WORD_CHAR = String.raw`[\p{L}\p{N}_]`;

/** Python's `\b<word>\b` for a word that starts and ends with word characters; use with the `u` flag. */
export function pythonWholeWord(word: string): string {
  return `(?<!${PYTHON_WORD_CHAR})${word}(?!${PYTHON_WORD_CHAR})`;
}
