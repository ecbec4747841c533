/**
 * A1111's scripts as Serena has them: none. Selectable scripts (`script_name`, X/Y/Z plot, …) and always-on scripts
 * (`alwayson_scripts`, the extensions ControlNet, ADetailer, …) do not exist here, so `GET /sdapi/v1/scripts` and
 * `/script-info` list nothing, and this module decides which request entries are harmless no-ops and which are a 422.
 *
 * A1111 (modules/api/api.py, `init_script_args`) looks each `alwayson_scripts` key up by title, case-insensitively
 * (`script.title().lower()`), and copies the entry's `args` over the script's UI defaults, ignoring an entry without
 * `args`. Many clients always send extension entries whose args switch the extension off, such as ControlNet's
 * `{"args": []}`; refusing those would stop them generating at all. So an entry is accepted, and does nothing, when its
 * args provably leave the script off:
 *
 * - any title, `args` missing or `[]` (nothing overrides the script's defaults; see docs/api.md for the caveat);
 * - `ControlNet` (Mikubill/sd-webui-controlnet, internal_controlnet/args.py `ControlNetUnit`): `args` is a list of
 *   unit objects; off when every unit says `"enabled": false`. A unit without `enabled` is not provably off: the
 *   default was `True` in the extension's older `external_code.ControlNetUnit` and is `False` in newer ones;
 * - `ADetailer` (Bing-su/adetailer, scripts/!adetailer.py `is_ad_enabled`, adetailer/args.py `need_skip`): `args` is
 *   `[ad_enable, skip_img2img, {unit}, …]` (the two booleans may be left out); off when `ad_enable` is false, when
 *   there is no unit object, or when every unit has `ad_model` "None" (its default) or `"ad_tab_enable": false`.
 *
 * Any other entry (an enabled unit, a script Serena does not know with non-empty args) is a 422 naming
 * `alwayson_scripts.<title>`. "Off" means the JSON value `false`: a string such as "false" is truthy where an
 * extension reads the field without pydantic (ControlNet's older dataclass units, ADetailer's leading `ad_enable`).
 */
import type * as z from "zod";
import type { ScriptInfo as ScriptInfoSchema } from "../schemas/catalogs.ts";

type ScriptInfo = z.output<typeof ScriptInfoSchema>;

/** The scripts Serena runs, as `/sdapi/v1/script-info` describes them (A1111's `ScriptInfo`): none. */
export const SCRIPTS: readonly ScriptInfo[] = [];

/** `/sdapi/v1/scripts`: the names of each tab's scripts, from the same list as `/script-info`. */
export function scriptTitles(): { txt2img: string[]; img2img: string[] } {
  const names = (img2img: boolean) => SCRIPTS.filter((s) => s.is_img2img === img2img && s.name !== null).map((s) => s.name!);
  return { txt2img: names(false), img2img: names(true) };
}

export interface ScriptIssue {
  /** Path under the request body. */
  readonly path: (string | number)[];
  readonly message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Why an extension's args would switch it on, or null when they provably leave it off. */
type OnReason = (args: readonly unknown[]) => string | null;

/** ControlNet: every unit object must say `enabled: false`. */
const controlNet: OnReason = (args) => {
  for (const [i, unit] of args.entries()) {
    if (!isObject(unit)) return `args[${i}] is not a ControlNet unit object`;
    if (unit.enabled !== false) return `args[${i}] is a ControlNet unit that is not "enabled": false`;
  }
  return null;
};

/** ADetailer: `ad_enable` false, no unit, or only units without a model or with their tab switched off. */
const adetailer: OnReason = (args) => {
  if (args[0] === false) return null;
  for (const [i, unit] of args.entries()) {
    if (!isObject(unit)) continue;
    const model = unit.ad_model ?? "None";
    if (model !== "None" && unit.ad_tab_enable !== false) return `args[${i}] is an ADetailer unit with ad_model '${String(model)}'`;
  }
  return null;
};

/** Extensions whose argument shapes Serena knows, by lower-case title (A1111 compares titles case-insensitively). */
const KNOWN_EXTENSIONS: ReadonlyMap<string, OnReason> = new Map([
  ["controlnet", controlNet],
  ["adetailer", adetailer],
]);

/** Problems with `alwayson_scripts`: one per entry that would make a script run. */
export function alwaysOnScriptIssues(scripts: Readonly<Record<string, unknown>> | null | undefined): ScriptIssue[] {
  const issues: ScriptIssue[] = [];
  for (const [title, entry] of Object.entries(scripts ?? {})) {
    const path = ["alwayson_scripts", title];
    if (!isObject(entry)) {
      issues.push({ path, message: `always on script ${title}: the entry must be an object such as {"args": []}` });
      continue;
    }
    const args = entry.args ?? [];
    if (!Array.isArray(args)) {
      issues.push({ path: [...path, "args"], message: "value is not a valid list" });
      continue;
    }
    if (args.length === 0) continue;
    const onReason = KNOWN_EXTENSIONS.get(title.toLowerCase());
    const why = onReason ? onReason(args) : "its args are not empty";
    if (why === null) continue;
    issues.push({
      path,
      message: `always on script ${title} not found: Serena does not have the script ${title} (${why}); send it switched off, with "args": [], or leave it out`,
    });
  }
  return issues;
}

/** `script_name` names a selectable script; Serena has none, so any non-empty name is A1111's 422 for an unknown script. */
export function scriptNameIssue(name: string | null | undefined): ScriptIssue | null {
  if (name === null || name === undefined || name === "") return null;
  return { path: ["script_name"], message: `Script '${name}' not found` };
}
