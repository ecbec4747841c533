/**
 * Command-line flags that stand for configuration variables (docs/configuration.md): a flag sets the same variable
 * lib/platform/config.ts reads, over the environment's value, so the flag and the variable are validated alike and
 * mean the same thing.
 */
import { readConfig, type SettingLabel } from "../server/startup.ts";
import type { Config } from "../config.ts";
import type { OptionSpec, ParsedArgs } from "./args.ts";
import { stringValue } from "./args.ts";

interface SettingFlag extends OptionSpec {
  readonly variable: string;
}

const flag = (name: string, variable: string, value: string, help: string): SettingFlag => ({ name, variable, type: "string", value, help: `${help} (${variable})` });

export const HOST_FLAG = flag("host", "HOST", "ADDRESS", "address to listen on, default 127.0.0.1");
export const PORT_FLAG = flag("port", "PORT", "N", "port to listen on, default 7860; 0 picks a free one");
export const AUTH_FLAG = flag("auth", "SERENA_API_AUTH", "USER:PASS[,USER:PASS]", "HTTP Basic credentials for every route");
export const MODEL_DIR_FLAG = flag("model-dir", "SERENA_MODEL_DIR", "DIR", "an ONNX model folder, see docs/models.md");
export const MODELS_ROOT_FLAG = flag("models-root", "SERENA_MODELS_ROOT", "DIR", "a folder of model folders");
export const BACKEND_FLAG = flag("backend", "SERENA_BACKEND", "NAME", "local, lambda, http or none");
export const THREADS_FLAG = flag("threads", "SERENA_ORT_THREADS", "N", "onnxruntime intra-op threads, 0 for its default");

/** The flags every command that loads a model takes. */
export const MODEL_FLAGS: readonly SettingFlag[] = [MODEL_DIR_FLAG, MODELS_ROOT_FLAG, BACKEND_FLAG, THREADS_FLAG];

/** The environment with the flags' variables set, and a label that names the flag in messages about them. */
export function settingsFromFlags(args: ParsedArgs, flags: readonly OptionSpec[], env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; label: SettingLabel } {
  const merged: NodeJS.ProcessEnv = { ...env };
  const byVariable = new Map<string, string>();
  for (const f of flags) {
    if (!("variable" in f)) continue;
    const value = stringValue(args, f.name);
    if (value === undefined) continue;
    const variable = (f as SettingFlag).variable;
    merged[variable] = value;
    byVariable.set(variable, `--${f.name}`);
  }
  return { env: merged, label: (variable) => byVariable.get(variable) ?? variable };
}

/** The configuration for a command: environment, flags over it; a bad value is a StartupError naming the flag. */
export function commandConfig(args: ParsedArgs, flags: readonly OptionSpec[], env: NodeJS.ProcessEnv): { config: Config; label: SettingLabel } {
  const settings = settingsFromFlags(args, flags, env);
  return { config: readConfig(settings.env, settings.label), label: settings.label };
}
