/**
 * Python's value formatting, which A1111's infotext (`str(v)`) and `info` (`json.dumps`) use. Floats need a marker
 * because JavaScript has one number type: `PyFloat` prints 7 as "7.0" the way Python's float repr does.
 */
export class PyFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
  toJSON() {
    return this.value;
  }
}

export const pyFloat = (value: number) => new PyFloat(value);

/** Python's `repr(float)`: shortest round-trip digits, ".0" for integral values, exponent below 1e-4 and from 1e16. */
export function formatPyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const abs = Math.abs(x);
  if (abs >= 1e16 || abs < 1e-4) {
    const [mantissa, exponent] = x.toExponential().split("e") as [string, string];
    const sign = exponent.startsWith("-") ? "-" : "+";
    const digits = exponent.replace(/^[-+]/, "").padStart(2, "0");
    return `${mantissa}e${sign}${digits}`;
  }
  const s = String(x);
  return Number.isInteger(x) ? `${s}.0` : s;
}

export type PyValue = string | number | boolean | null | PyFloat | PyValue[] | { [key: string]: PyValue };

/** Python's `str(v)` for the values an infotext holds. */
export function pyStr(v: PyValue): string {
  if (v instanceof PyFloat) return formatPyFloat(v.value);
  if (typeof v === "boolean") return v ? "True" : "False";
  if (v === null) return "None";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : formatPyFloat(v);
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

function escapeAscii(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (code < 0x20 || code > 0x7e) {
      if (code > 0xffff) {
        const hi = Math.floor((code - 0x10000) / 0x400) + 0xd800;
        const lo = ((code - 0x10000) % 0x400) + 0xdc00;
        out += `\\u${hi.toString(16).padStart(4, "0")}\\u${lo.toString(16).padStart(4, "0")}`;
      } else out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else out += ch;
  }
  return out + '"';
}

/**
 * Python's `json.dumps(v)` with its defaults: separators ", " and ": ", `ensure_ascii=True`; how A1111 writes
 * `info` (docs/a1111-semantics.md §2.4). `undefined` values become null, as A1111's `default=lambda o: None` does.
 */
export function pyJsonDumps(v: PyValue | undefined): string {
  if (v === undefined || v === null) return "null";
  if (v instanceof PyFloat) return formatPyFloat(v.value).replace(/^inf$/, "Infinity").replace(/^-inf$/, "-Infinity").replace(/^nan$/, "NaN");
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : formatPyFloat(v);
  if (typeof v === "string") return escapeAscii(v);
  if (Array.isArray(v)) return `[${v.map((x) => pyJsonDumps(x)).join(", ")}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${escapeAscii(k)}: ${pyJsonDumps(x)}`)
    .join(", ")}}`;
}

/** `json.dumps(v, ensure_ascii=False)`: how A1111's infotext quotes values that hold "," ":" or newlines. */
export function pyJsonDumpsUnicode(s: string): string {
  return JSON.stringify(s);
}
