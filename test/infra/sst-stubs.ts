/**
 * Evaluates sst.config.ts without AWS or the SST CLI (docs/serverless.md §2, item 3): the globals SST provides at
 * deploy time are replaced by recorders, `run()` is awaited, and what it created comes back as data. This checks
 * the wiring (which routes, functions, secrets, permissions, variables), not that AWS would accept it; the
 * `typecheck:infra` script checks the arguments against SST's and Pulumi's real types.
 *
 * Resource attributes are strings naming their origin ("Worker.arn", "Storage.name"), so a test can tell where a
 * value came from. A secret's value is "secret-<Name>:stub", which parses as SERENA_API_AUTH's user:pass.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export interface Created {
  /** "sst.aws.Bucket", "aws.lambda.Function", "dockerbuild.Image", … */
  type: string;
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- component arguments are checked field by field
  args: any;
  /** What the constructor returned, to find it again where it is passed (links). */
  instance?: object;
}

export interface RegisteredRoute {
  api: string;
  key: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- sst.aws.FunctionArgs as the config passes them
  args: any;
}

export interface Evaluation {
  created: Created[];
  routes: RegisteredRoute[];
  outputs: Record<string, unknown>;
  /** Created resources of one type. */
  all(type: string): Created[];
  /** The one resource of a type and name; throws when missing. */
  one(type: string, name: string): Created;
}

interface SstConfig {
  app(input: { stage: string }): Promise<Record<string, unknown>> | Record<string, unknown>;
  run(): Promise<Record<string, unknown>>;
}

export const secretValue = (name: string) => `secret-${name}:stub`;

/** An object whose attributes read as "<name>.<attribute>", except those given. */
const attributes = (name: string, own: object = {}) =>
  new Proxy(own, {
    get: (target, prop) => (prop in target ? Reflect.get(target, prop) : typeof prop === "string" ? `${name}.${prop}` : undefined),
  });

/** A namespace of Pulumi classes and data-source functions (`aws`, `dockerbuild`), recording what is created. */
function pulumiNamespace(prefix: string, created: Created[]): unknown {
  const node = (segments: string[]): unknown =>
    new Proxy(function () {}, {
      get: (_target, prop) => (typeof prop === "string" ? node([...segments, prop]) : undefined),
      construct: (_target, [name, args]) => {
        created.push({ type: [prefix, ...segments].join("."), name: name as string, args });
        return attributes(name as string);
      },
      apply: (_target, _this, args) => {
        created.push({ type: [prefix, ...segments].join("."), name: "(call)", args: args[0] });
        return attributes(segments.at(-1)!);
      },
    });
  return node([]);
}

function sstNamespace(created: Created[], routes: RegisteredRoute[]) {
  const component = (type: string, extra: (name: string) => object = () => ({})) =>
    function (this: object, name: string, args: unknown) {
      const instance = attributes(name, extra(name));
      created.push({ type, name, args, instance });
      return instance;
    } as unknown as new (name: string, args?: unknown) => object;
  return {
    Secret: function (name: string, placeholder?: string) {
      created.push({ type: "sst.Secret", name, args: { placeholder } });
      return { name, value: secretValue(name) };
    } as unknown as new (name: string) => object,
    aws: {
      Bucket: component("sst.aws.Bucket"),
      Function: component("sst.aws.Function"),
      ApiGatewayV2: component("sst.aws.ApiGatewayV2", (api) => ({
        url: `${api}.url`,
        route: (key: string, args: unknown) => {
          routes.push({ api, key, args });
          return attributes(`${api} ${key}`);
        },
      })),
    },
  };
}

/** Interpolation of attribute strings, as Pulumi's `$interpolate` joins outputs. */
const interpolate = (strings: TemplateStringsArray, ...values: unknown[]) => String.raw({ raw: strings }, ...values);

let loaded: Promise<SstConfig> | undefined;

/** sst.config.ts's default export; `$config` is the identity, as in the SST CLI's evaluation banner. */
function loadConfig(): Promise<SstConfig> {
  Object.assign(globalThis, { $config: (config: SstConfig) => config });
  // A computed specifier: the project's tsconfig must not follow it into SST's global types (tsconfig.infra.json's job).
  const file = pathToFileURL(path.join(ROOT, "sst.config.ts")).href;
  loaded ??= import(file).then((module: { default: SstConfig }) => module.default);
  return loaded;
}

export async function appFor(stage: string): Promise<Record<string, unknown>> {
  return (await loadConfig()).app({ stage });
}

/** Runs sst.config.ts's `run()` for a stage; the deploy's environment is process.env (stub it with vi.stubEnv). */
export async function evaluate(stage: string): Promise<Evaluation> {
  const created: Created[] = [];
  const routes: RegisteredRoute[] = [];
  Object.assign(globalThis, {
    $app: { name: "serena", stage, removal: "remove", protect: false },
    $cli: { command: "deploy", paths: { root: ROOT, home: "/home", work: path.join(ROOT, ".sst"), platform: path.join(ROOT, ".sst/platform") } },
    $dev: false,
    $interpolate: interpolate,
    $jsonStringify: (value: unknown) => JSON.stringify(value),
    $util: { secret: <T>(value: T) => value },
    sst: sstNamespace(created, routes),
    aws: pulumiNamespace("aws", created),
    dockerbuild: pulumiNamespace("dockerbuild", created),
  });
  const outputs = await (await loadConfig()).run();
  const all = (type: string) => created.filter((c) => c.type === type);
  const one = (type: string, name: string) => {
    const found = created.find((c) => c.type === type && c.name === name);
    if (!found) throw new Error(`no ${type} named ${name}; created: ${created.map((c) => `${c.type} ${c.name}`).join(", ")}`);
    return found;
  };
  return { created, routes, outputs, all, one };
}
