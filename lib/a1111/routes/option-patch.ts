/**
 * Settings sent by a client, key by key, with each option's own schema (lax coercion as everywhere): shared by
 * POST /options and a request's `override_settings`, which differ only in where errors point and in whether an
 * unknown key is an error. Restricted keys are dropped, as A1111 drops them. A value for a setting whose part Serena
 * does not have (UNIMPLEMENTED_OPTIONS) is refused rather than stored and ignored.
 */
import { RequestValidationError } from "../errors.ts";
import { toValidationIssues } from "../validation.ts";
import type { ValidationIssue } from "../schemas/errors.ts";
import { isOptionKey, parseOption, RESTRICTED_OPTIONS, unimplementedOption, type Options } from "../schemas/options.ts";

export function parseOptionPatch(
  values: Record<string, unknown>,
  loc: readonly string[],
  unknownKeys: "ignore" | "reject",
): Partial<Options> {
  const patch: Partial<Record<keyof Options, unknown>> = {};
  const issues: ValidationIssue[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (!isOptionKey(key)) {
      if (unknownKeys === "reject") issues.push({ loc: ["body", ...loc, key], msg: `unknown option '${key}'`, type: "value_error" });
      continue;
    }
    if (RESTRICTED_OPTIONS.has(key)) continue;
    const parsed = parseOption(key, value);
    if (!parsed.success) {
      issues.push(...toValidationIssues(parsed.error, "body").map((i) => ({ ...i, loc: ["body", ...loc, key, ...i.loc.slice(1)] })));
      continue;
    }
    const refusal = unimplementedOption(key, parsed.data);
    if (refusal === null) patch[key] = parsed.data;
    else issues.push({ loc: ["body", ...loc, key], msg: refusal, type: "value_error.unsupported" });
  }
  if (issues.length > 0) throw new RequestValidationError(issues);
  return patch as Partial<Options>;
}
