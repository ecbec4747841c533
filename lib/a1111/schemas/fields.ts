/**
 * Field builders with pydantic v1's lax coercion, which A1111 clients rely on (docs/a1111-semantics.md §2.1):
 * numeric strings become numbers, floats are truncated for int fields, booleans accept 0/1/"true"/"yes"…,
 * numbers become strings for str fields. Messages are pydantic v1's, so 422 bodies read like FastAPI's.
 *
 * `null` sent to a field whose A1111 default is not null means "use the default" here: pydantic would store
 * None and A1111 would fail later with a 500. Fields A1111 declares non-Optional (`send_images`, `sampler_index`,
 * img2img's `denoising_strength`) reject null with 422, as A1111 does.
 */
import * as z from "zod";
import { LIMITS } from "./limits.ts";

export const MSG = {
  integer: "value is not a valid integer",
  float: "value is not a valid float",
  bool: "value could not be parsed to a boolean",
  str: "str type expected",
  list: "value is not a valid list",
  dict: "value is not a valid dict",
  none: "none is not an allowed value",
} as const;

const INT_STRING = /^\s*[-+]?\d+\s*$/;
const FLOAT_STRING = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
const TRUE_STRINGS = new Set(["1", "on", "t", "true", "y", "yes"]);
const FALSE_STRINGS = new Set(["0", "off", "f", "false", "n", "no"]);

export function coerceInt(v: unknown): unknown {
  if (typeof v === "string" && INT_STRING.test(v)) return Number(v);
  if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  return v;
}

export function coerceFloat(v: unknown): unknown {
  if (typeof v === "string" && FLOAT_STRING.test(v)) return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  return v;
}

export function coerceBool(v: unknown): unknown {
  if (v === 0 || v === 1) return v === 1;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (TRUE_STRINGS.has(s)) return true;
    if (FALSE_STRINGS.has(s)) return false;
  }
  return v;
}

export function coerceStr(v: unknown): unknown {
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  // Python's str(True) is "True".
  if (typeof v === "boolean") return v ? "True" : "False";
  return v;
}

const nullToUndefined = (coerce: (v: unknown) => unknown) => (v: unknown) => (v === null ? undefined : coerce(v));

const lessOrEqual = (issue: { maximum?: unknown }) => `ensure this value is less than or equal to ${String(issue.maximum)}`;
const greaterOrEqual = (issue: { minimum?: unknown }) =>
  `ensure this value is greater than or equal to ${String(issue.minimum)}`;

export interface NumberBounds {
  min?: number;
  max?: number;
}

function bounded<T extends z.ZodNumber>(schema: T, bounds: NumberBounds): T {
  let s = schema;
  if (bounds.min !== undefined) s = s.min(bounds.min, { error: greaterOrEqual }) as T;
  if (bounds.max !== undefined) s = s.max(bounds.max, { error: lessOrEqual }) as T;
  return s;
}

const intCore = (bounds: NumberBounds) =>
  bounded(z.int({ error: MSG.integer }), { min: bounds.min ?? Number.MIN_SAFE_INTEGER, max: bounds.max ?? Number.MAX_SAFE_INTEGER });
const floatCore = (bounds: NumberBounds) => bounded(z.number({ error: MSG.float }), bounds);
const boolCore = () => z.boolean({ error: MSG.bool });
const strCore = (maxLength?: number) => {
  const s = z.string({ error: MSG.str });
  return maxLength === undefined
    ? s
    : s.max(maxLength, { error: (i) => `ensure this value has at most ${String(i.maximum)} characters` });
};

/** An int field whose A1111 default is a number; null means the default. */
/**
 * One schema per distinct set of arguments: zod schemas are immutable (`.describe()`, `.meta()` and the rest return
 * copies) and these fields' messages name no key, so fields declared alike can share one instance. The request and
 * settings schemas declare a few hundred fields, most of them alike; building each once is work every API function
 * saves at its start.
 */
function shared<A extends unknown[], R>(build: (...args: A) => R): (...args: A) => R {
  const made = new Map<string, R>();
  return (...args: A) => {
    const key = JSON.stringify(args);
    let schema = made.get(key);
    if (schema === undefined) {
      schema = build(...args);
      made.set(key, schema);
    }
    return schema;
  };
}

export const intField = shared((def: number, bounds: NumberBounds = {}) =>
  z.preprocess(nullToUndefined(coerceInt), intCore(bounds).default(def)));
/** A float field whose A1111 default is a number; null means the default. */
export const floatField = shared((def: number, bounds: NumberBounds = {}) =>
  z.preprocess(nullToUndefined(coerceFloat), floatCore(bounds).default(def)));
/** A bool field whose A1111 default is a boolean; null means the default. */
export const boolField = shared((def: boolean) => z.preprocess(nullToUndefined(coerceBool), boolCore().default(def)));
/** A str field whose A1111 default is a string; null means the default. */
export const strField = shared((def: string, maxLength?: number) =>
  z.preprocess(nullToUndefined(coerceStr), strCore(maxLength).default(def)));

/** Optional[...] = None fields: null and absence both give null. */
export const optionalInt = (bounds: NumberBounds = {}) =>
  z.preprocess(coerceInt, intCore(bounds).nullable().default(null));
export const optionalFloat = (bounds: NumberBounds = {}) =>
  z.preprocess(coerceFloat, floatCore(bounds).nullable().default(null));
export const optionalBool = () => z.preprocess(coerceBool, boolCore().nullable().default(null));
export const optionalStr = shared((maxLength?: number) => z.preprocess(coerceStr, strCore(maxLength).nullable().default(null)));

/** Fields A1111 declares without Optional: null is a 422 "none is not an allowed value". */
const rejectNull =
  (coerce: (v: unknown) => unknown) =>
  (v: unknown, ctx: { addIssue: (issue: { code: "custom"; message: string; input: unknown }) => void }) => {
    if (v !== null) return coerce(v);
    ctx.addIssue({ code: "custom", message: MSG.none, input: v });
    return z.NEVER;
  };

export const requiredBool = (def: boolean) => z.preprocess(rejectNull(coerceBool), boolCore().default(def));
export const requiredStr = (def: string, maxLength?: number) =>
  z.preprocess(rejectNull(coerceStr), strCore(maxLength).default(def));
export const requiredFloat = (def: number, bounds: NumberBounds = {}) =>
  z.preprocess(rejectNull(coerceFloat), floatCore(bounds).default(def));

export const strList = (maxItems: number, maxLength?: number) =>
  z
    .array(z.preprocess(coerceStr, strCore(maxLength)), { error: MSG.list })
    .max(maxItems, { error: (i) => `ensure this value has at most ${String(i.maximum)} items` });

/**
 * What is wrong with the shape of a free-form JSON value, or null: nesting deeper than LIMITS.maxJsonDepth
 * (`{"a": {"b": 1}}` is 2 deep; scalars add nothing) or more than LIMITS.maxJsonValues values in all. Walked
 * with an explicit stack that stops at the first problem, so a value nested 100,000 deep costs nothing and
 * overflows nothing; pydantic has no such bound (A1111 fails later, in `json.dumps` or `copy.deepcopy`).
 */
export function jsonShapeProblem(value: unknown, maxDepth: number = LIMITS.maxJsonDepth, maxValues: number = LIMITS.maxJsonValues): string | null {
  const pending: Array<[value: unknown, depth: number]> = [[value, 0]];
  let values = 1;
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (typeof item !== "object" || item === null) continue;
    if (depth + 1 > maxDepth) return `JSON nested deeper than ${maxDepth} levels`;
    const children = Array.isArray(item) ? item : Object.values(item);
    values += children.length;
    if (values > maxValues) return `JSON value with more than ${maxValues} values`;
    for (const child of children) pending.push([child, depth + 1]);
  }
  return null;
}

const checkJsonShape = (value: unknown, ctx: z.RefinementCtx) => {
  const problem = jsonShapeProblem(value);
  if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
};

/** A free-form JSON object field (`Dict[str, Any]`), bounded in depth and size (jsonShapeProblem). */
export const dict = () => z.record(z.string(), z.unknown(), { error: MSG.dict }).superRefine(checkJsonShape);

/** A free-form JSON list field (`List[Any]`), bounded like dict(). */
export const jsonList = () => z.array(z.unknown(), { error: MSG.list }).superRefine(checkJsonShape);

/**
 * A request body that is a free-form JSON object (POST /options): each value bounded like dict(), the issue naming
 * its key, and the whole body bounded in size.
 */
export const jsonBody = () =>
  z.record(z.string(), z.unknown(), { error: MSG.dict }).superRefine((body, ctx) => {
    for (const [key, value] of Object.entries(body)) {
      const problem = jsonShapeProblem(value);
      if (problem !== null) return ctx.addIssue({ code: "custom", path: [key], message: problem });
    }
    // Depth was checked per key above; the body adds one level.
    const problem = jsonShapeProblem(body, LIMITS.maxJsonDepth + 1);
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
  });
