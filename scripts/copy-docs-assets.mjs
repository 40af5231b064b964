#!/usr/bin/env node
// Wrangler's [build] step: copies Swagger UI from the installed swagger-ui-dist package into public/docs/vendor/
// (git-ignored), which Workers static assets serve at /docs/vendor/. The API reference at /docs then works
// offline and never loads code from a CDN.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const FILES = [
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
for (const file of FILES) copyFileSync(path.join(source, file), path.join(target, file));
console.log(`copied ${FILES.length} swagger-ui-dist files to ${path.relative(root, target)}/`);
