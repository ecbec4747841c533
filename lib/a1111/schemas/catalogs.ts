/**
 * Response models of A1111's remaining listing routes (modules/api/models.py, v1.10.1): hypernetworks, face restorers,
 * RealESRGAN models, script info and extensions. Serena has none of these things, so it answers empty lists in these
 * shapes; the schemas say what a client would get from A1111 and keep Serena's answers checked against them.
 */
import * as z from "zod";

/** `HypernetworkItem`: `{name, path}`. */
export const HypernetworkItem = z.object({ name: z.string(), path: z.string().nullable() }).meta({ id: "HypernetworkItem" });

/** `FaceRestorerItem`: `{name, cmd_dir}` (CodeFormer and GFPGAN with their model folders, in A1111). */
export const FaceRestorerItem = z.object({ name: z.string(), cmd_dir: z.string().nullable() }).meta({ id: "FaceRestorerItem" });

/** `RealesrganItem`: `{name, path, scale}`. */
export const RealesrganItem = z
  .object({ name: z.string(), path: z.string().nullable(), scale: z.int().nullable() })
  .meta({ id: "RealesrganItem" });

/** `ScriptArg`: one UI input of a script. */
export const ScriptArg = z
  .object({
    label: z.string().nullable(),
    value: z.unknown(),
    minimum: z.unknown(),
    maximum: z.unknown(),
    step: z.unknown(),
    choices: z.array(z.string()).nullable(),
  })
  .meta({ id: "ScriptArg" });

/** `ScriptInfo`: a script's name, kind and arguments. */
export const ScriptInfo = z
  .object({ name: z.string().nullable(), is_alwayson: z.boolean().nullable(), is_img2img: z.boolean().nullable(), args: z.array(ScriptArg) })
  .meta({ id: "ScriptInfo" });

/** `ExtensionItem`: an installed extension's repository facts. */
export const ExtensionItem = z
  .object({
    name: z.string(),
    remote: z.string(),
    branch: z.string(),
    commit_hash: z.string(),
    version: z.string(),
    commit_date: z.string(),
    enabled: z.boolean(),
  })
  .meta({ id: "ExtensionItem" });

export const HypernetworkList = z.array(HypernetworkItem);
export const FaceRestorerList = z.array(FaceRestorerItem);
export const RealesrganList = z.array(RealesrganItem);
export const ScriptInfoList = z.array(ScriptInfo);
export const ExtensionList = z.array(ExtensionItem);
