#!/usr/bin/env node
// Writes public/openapi.json, the OpenAPI 3.1 document built by src/openapi/document.ts from the routes' own
// zod schemas: the TypeScript is bundled for Node in memory with esbuild, imported and run. Workers static
// assets serve the file, so the document's code and zod's JSON Schema converter stay out of the Worker.
// Run by the [build] step (scripts/build-assets.mjs) and by vitest.config.ts before the tests.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
const SOURCE = path.join(root, "src", "openapi", "document.ts");
const TARGET = path.join(root, "public", "openapi.json");

/**
 * Builds the document and writes it, leaving the file alone when nothing changed (file watchers stay quiet).
 * Returns a line for the log.
 */
export async function writeOpenApiJson() {
  const { outputFiles } = await build({
    entryPoints: [SOURCE],
    bundle: true,
    platform: "node",
    format: "esm",
    write: false,
    logLevel: "warning",
  });
  const code = Buffer.from(outputFiles[0].contents).toString("base64");
  const { buildOpenApiDocument } = await import(`data:text/javascript;base64,${code}`);
  const json = JSON.stringify(buildOpenApiDocument());
  const changed = readText(TARGET) !== json;
  if (changed) writeFileSync(TARGET, json);
  return `${path.relative(root, TARGET)} ${changed ? "written" : "up to date"}`;
}

function readText(file) {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(await writeOpenApiJson());
}
