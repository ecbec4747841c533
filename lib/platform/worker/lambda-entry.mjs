// The Lambda runtime finds a handler module by trying the extensions "", .js, .mjs and .cjs and reads the text
// before the first dot as the module name, so it cannot name a .ts file; this file hands it the TypeScript
// handler, which Node 24 runs with its built-in type stripping.
export { handler } from "./lambda-handler.ts";
