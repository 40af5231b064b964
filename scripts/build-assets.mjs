#!/usr/bin/env node
// Wrangler's [build] step, run before every `wrangler dev` and `wrangler deploy`: writes the static assets that
// are generated rather than kept in git (both git-ignored), which Workers static assets serve:
// - public/docs/vendor/: Swagger UI copied from the installed swagger-ui-dist package, so the API reference at
//   /docs works offline and never loads code from a CDN;
// - public/openapi.json: the OpenAPI document, built from the routes' zod schemas (scripts/openapi-json.mjs).
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { writeOpenApiJson } from "./openapi-json.mjs";

const SWAGGER_UI_FILES = [
  "swagger-ui-bundle.js",
  "swagger-ui-bundle.js.LICENSE.txt",
  "swagger-ui.css",
  "favicon-32x32.png",
  // Apache-2.0: redistributing the files means shipping the licence and notice with them.
  "LICENSE",
  "NOTICE",
];

const root = path.resolve(import.meta.dirname, "..");
const source = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const target = path.join(root, "public", "docs", "vendor");

rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
for (const file of SWAGGER_UI_FILES) copyFileSync(path.join(source, file), path.join(target, file));
console.log(`copied ${SWAGGER_UI_FILES.length} swagger-ui-dist files to ${path.relative(root, target)}/`);
console.log(await writeOpenApiJson());
