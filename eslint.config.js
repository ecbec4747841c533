import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "coverage/", ".sst/", ".cache/", "bench-results/", ".gpucarry/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": ["error", { allow: ["warn", "error"] }],
      // `import { z } from "zod"` keeps zod's whole namespace (every locale, JSON Schema conversion) in each function's
      // bundle; `import * as z` lets esbuild drop what is unused (docs/engine.md "Cold start of the API functions").
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
          message: 'Write `import * as z from "zod"`: it keeps the bundles small.',
        },
      ],
    },
  },
  {
    files: ["scripts/**", "test/**"],
    rules: { "no-console": "off" },
  },
);
