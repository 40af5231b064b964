// What the app's bundle is made of: bytes per package from esbuild's metafile (written by
// `wrangler deploy --dry-run --metafile`), and how much each package gzips to on its own, from the
// bundle's source map. Used by bench/run.mjs; see docs/benchmark.md.
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { decodedMappings, TraceMap } from "@jridgewell/trace-mapping";
import { createSourceNamer, displayPath, moduleOf } from "./profile.mjs";

/**
 * Per package (`src` for the app's own files): minified bytes in the bundle and their share, and the
 * gzip size of the package's part of the bundle compressed alone. Parts compress worse alone than
 * together, so those add up to more than the bundle's gzip size; they rank the packages.
 */
export function bundleBreakdown({ metafileFile, bundleFile, sourceMapFile, root, dependencies }) {
  const metafile = JSON.parse(readFileSync(metafileFile, "utf8"));
  // esbuild names files relative to its working directory, which wrangler sets to the config's.
  const baseDir = path.dirname(metafileFile);
  const output = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint)?.[1];
  if (!output) throw new Error(`${metafileFile}: no output with an entry point`);
  const packages = new Map();
  const row = (name) => {
    if (!packages.has(name)) packages.set(name, { name, files: 0, bytes: 0, gzipAlone: 0 });
    return packages.get(name);
  };
  const files = [];
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    if (bytesInOutput === 0) continue;
    const file = displayPath(path.resolve(baseDir, input), root);
    files.push(file);
    const r = row(moduleOf(file));
    r.files++;
    r.bytes += bytesInOutput;
  }
  const inputBytes = [...packages.values()].reduce((sum, r) => sum + r.bytes, 0);
  if (output.bytes > inputBytes) row("(bundler)").bytes = output.bytes - inputBytes;

  // Split the generated text by the package each source-map segment comes from.
  const code = readFileSync(bundleFile, "utf8").split("\n");
  const map = new TraceMap(readFileSync(sourceMapFile, "utf8"), sourceMapFile);
  const nameSource = createSourceNamer(root, files);
  const sourceModule = (map.resolvedSources ?? map.sources).map((s) => moduleOf(nameSource(s)));
  const parts = new Map();
  const add = (owner, text) => {
    if (!parts.has(owner)) parts.set(owner, []);
    parts.get(owner).push(text);
  };
  decodedMappings(map).forEach((segments, line) => {
    const text = code[line] ?? "";
    let owner = "(bundler)";
    let from = 0;
    for (const segment of segments) {
      const next = segment.length > 1 ? sourceModule[segment[1]] : "(bundler)";
      if (next === owner) continue;
      if (segment[0] > from) add(owner, text.slice(from, segment[0]));
      owner = next;
      from = segment[0];
    }
    add(owner, `${text.slice(from)}\n`);
  });
  for (const [name, chunks] of parts) row(name).gzipAlone = gzipSync(chunks.join("")).length;

  const rows = [...packages.values()].sort((a, b) => b.bytes - a.bytes);
  for (const r of rows) r.share = r.bytes / output.bytes;
  return {
    bytes: output.bytes,
    files,
    packages: rows,
    // Declared runtime dependencies that contribute nothing to the bundle.
    unusedDependencies: Object.keys(dependencies ?? {}).filter((d) => !packages.has(d)),
  };
}
