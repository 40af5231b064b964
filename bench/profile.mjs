// CPU profiles of a Worker under `wrangler dev`, taken through its inspector, and attributed to the
// Worker's own bundle (mapped back to the original functions with the bundle's source map) versus
// everything else that runs in the same isolate. Used by bench/run.mjs; see docs/benchmark.md.
//
// How workerd samples: `Profiler.*` commands create a V8 CpuProfiler for the Worker's isolate. V8's
// sampler thread ticks every `interval` µs, but a tick only becomes a sample when the isolate is in use
// (locked by its thread). Between requests, and while workerd runs other isolates (Miniflare's binding
// services) or C++ I/O, ticks are dropped, and the next sample's `timeDelta` then spans the whole gap.
// Summing `timeDeltas` would therefore count that gap as the function's time (4x too much when checked
// against a Worker spinning a known number of milliseconds). Each sample stands instead for one tick
// of the sampler: the median of the short deltas (under 2x the interval, i.e. back-to-back ticks).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { originalPositionFor, sourceContentFor, TraceMap } from "@jridgewell/trace-mapping";

/** A Chrome DevTools protocol session with the Worker of one `wrangler dev`, over its --inspector-port. */
export async function connectInspector(host, port, { timeoutMs = 10_000 } = {}) {
  const url = await debuggerUrl(host, port, timeoutMs);
  // wrangler's inspector proxy takes DevTools connections only from a local Origin.
  const socket = new WebSocket(url, { headers: { origin: "http://localhost" } });
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", () => reject(new Error(`inspector ${url}: connection failed`)), {
      once: true,
    });
  });
  let nextId = 0;
  const pending = new Map();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data));
    const waiter = pending.get(message.id);
    if (!waiter) return; // events, and replies to wrangler's own commands
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${waiter.method}: ${JSON.stringify(message.error)}`));
    else waiter.resolve(message.result ?? {});
  });
  socket.addEventListener("close", () => {
    for (const waiter of pending.values()) waiter.reject(new Error(`${waiter.method}: inspector closed`));
    pending.clear();
  });
  return {
    send(method, params = {}, ms = timeoutMs) {
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${method}: no answer from the inspector within ${ms} ms`));
        }, ms);
        pending.set(id, {
          method,
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        socket.send(JSON.stringify({ id, method, params }));
      });
    },
    close() {
      socket.close();
    },
  };
}

/** The WebSocket URL the inspector lists; it may answer a moment after the Worker does. */
async function debuggerUrl(host, port, timeoutMs) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const targets = await (await fetch(`http://${host}:${port}/json`)).json();
      if (targets[0]?.webSocketDebuggerUrl) return targets[0].webSocketDebuggerUrl;
    } catch (error) {
      if (Date.now() > until) throw new Error(`inspector on port ${port}: ${error.message}`);
    }
    if (Date.now() > until) throw new Error(`inspector on port ${port} lists no target`);
    await sleep(200);
  }
}

/** Starts sampling the Worker's isolate every `intervalUs` µs (workerd: the interval must be set first). */
export async function startProfiling(session, intervalUs) {
  await session.send("Profiler.enable");
  await session.send("Profiler.setSamplingInterval", { interval: intervalUs });
  await session.send("Profiler.start");
}

/** Stops sampling and returns the V8 CPU profile (nodes, samples, timeDeltas). */
export async function stopProfiling(session) {
  const { profile } = await session.send("Profiler.stop", {}, 60_000);
  if (!profile) throw new Error("Profiler.stop returned no profile");
  return profile;
}

/** Where self time goes. "app" is the Worker's bundle; the rest is documented in docs/benchmark.md. */
export const CATEGORIES = ["app", "appNative", "runtime", "gc", "program", "idle"];

const VIRTUAL = new Map([
  ["(garbage collector)", "gc"],
  ["(program)", "program"],
  ["(root)", "program"],
  ["(idle)", "idle"],
]);

/**
 * Attributes profiles of one Worker: `scriptUrl` is how workerd names the bundle's module in call
 * frames (the module's path relative to the entry's directory), `sourceMapFile` its source map.
 */
export function createAttributor({ scriptUrl, sourceMapFile, root, bundledFiles = [] }) {
  const map = new TraceMap(readFileSync(sourceMapFile, "utf8"), sourceMapFile);
  const nameSource = createSourceNamer(root, bundledFiles);
  const generated = readFileSync(path.join(path.dirname(sourceMapFile), scriptUrl), "utf8").split("\n");
  const lines = new Map();
  const sourceLines = (source) => {
    if (!lines.has(source)) lines.set(source, (sourceContentFor(map, source) ?? "").split("\n"));
    return lines.get(source);
  };
  const frames = new Map();

  /**
   * The original function of a bundle call frame. V8 gives the position where the function starts (its
   * parameter list); the source map takes it to the original file and line, and to the name when the
   * minifier renamed it. Otherwise the name is read from the original text (methods, constructors,
   * `function f(`); arrows stay "(anonymous)", and the report shows their line instead.
   */
  function originalFrame(callFrame) {
    const key = `${callFrame.lineNumber}:${callFrame.columnNumber}`;
    let frame = frames.get(key);
    if (frame) return frame;
    if (callFrame.lineNumber < 0) {
      // The module's own body: every bundled file's top-level statements, evaluated once at start-up.
      frame = { name: "(module top level)", file: scriptUrl, line: 1, module: "(bundler)", snippet: "" };
      frames.set(key, frame);
      return frame;
    }
    const pos = originalPositionFor(map, { line: callFrame.lineNumber + 1, column: callFrame.columnNumber });
    if (pos.source == null || pos.line == null) {
      // Code the bundler wrote itself (its helpers), with no original file.
      const text = generated[callFrame.lineNumber] ?? "";
      frame = {
        name: `(bundler) ${callFrame.functionName || "(anonymous)"}`,
        file: scriptUrl,
        line: `${callFrame.lineNumber + 1}:${callFrame.columnNumber}`,
        module: "(bundler)",
        snippet: text.slice(Math.max(0, callFrame.columnNumber - 30), callFrame.columnNumber + 50),
      };
    } else {
      const text = sourceLines(pos.source)[pos.line - 1] ?? "";
      const file = nameSource(pos.source);
      frame = {
        name: nameInText(sourceLines(pos.source), pos.line - 1, pos.column) ?? "(anonymous)",
        file,
        line: pos.line,
        module: moduleOf(file),
        snippet: text.trim().slice(0, 80),
      };
    }
    frames.set(key, frame);
    return frame;
  }

  return function attribute(profile, intervalUs) {
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map();
    for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
    // Per node: its category, and for "runtime" the script it belongs to (its own, or its caller's).
    const categoryOf = new Map();
    const category = (id) => {
      if (categoryOf.has(id)) return categoryOf.get(id);
      const { callFrame } = nodes.get(id);
      let c;
      if (VIRTUAL.has(callFrame.functionName)) c = { name: VIRTUAL.get(callFrame.functionName) };
      else if (callFrame.url === scriptUrl) c = { name: "app" };
      else if (callFrame.url) c = { name: "runtime", script: callFrame.url };
      else {
        // A builtin or a workerd API (no script): it counts for whoever called it.
        let up = parent.get(id);
        while (up !== undefined && !nodes.get(up).callFrame.url) up = parent.get(up);
        const caller = up === undefined ? undefined : nodes.get(up).callFrame;
        if (caller?.url === scriptUrl) c = { name: "appNative" };
        else c = { name: "runtime", script: caller?.url ? caller.url : "(workerd, no JS caller)" };
      }
      categoryOf.set(id, c);
      return c;
    };

    const deltas = profile.timeDeltas ?? [];
    const ticks = deltas.filter((d) => d > 0 && d < 2 * intervalUs).sort((a, b) => a - b);
    const periodUs = ticks.length >= 20 ? ticks[Math.floor(ticks.length / 2)] : intervalUs;
    const samples = Object.fromEntries(CATEGORIES.map((c) => [c, 0]));
    const functions = new Map();
    const scripts = new Map();
    for (const id of profile.samples ?? []) {
      const c = category(id);
      samples[c.name]++;
      if (c.script) scripts.set(c.script, (scripts.get(c.script) ?? 0) + 1);
      if (c.name !== "app") continue;
      const frame = originalFrame(nodes.get(id).callFrame);
      const key = `${frame.name}\0${frame.file}:${frame.line}`;
      const f = functions.get(key) ?? { ...frame, samples: 0 };
      f.samples++;
      functions.set(key, f);
    }
    const toMs = (n) => (n * periodUs) / 1000;
    for (const f of functions.values()) f.ms = toMs(f.samples);
    return {
      samples: (profile.samples ?? []).length,
      periodUs,
      windowMs: (profile.endTime - profile.startTime) / 1000,
      ms: Object.fromEntries(CATEGORIES.map((c) => [c, toMs(samples[c])])),
      functions: [...functions.values()].sort((a, b) => b.ms - a.ms),
      // "runtime" by script: workerd's internal modules (cloudflare-internal:…, node:…) and the like.
      runtimeScripts: [...scripts]
        .map(([script, n]) => ({ script, ms: toMs(n) }))
        .sort((a, b) => b.ms - a.ms),
    };
  };
}

const KEYWORDS = new Set(["function", "async", "if", "for", "while", "switch", "return", "catch", "new"]);

/**
 * The name of the function whose original text starts at `lines[line][column]`: `name(` (a method or
 * `function name(`), a constructor (named after its class), or the variable or property an expression
 * is assigned to (`name = (…) =>`, `name: function (`). Arrows passed as arguments have none.
 */
function nameInText(lines, line, column) {
  const text = lines[line] ?? "";
  const own =
    /^(?:(?:static|async|get|set)\s+)*(?:function\s*\*?\s*)?(#?[A-Za-z_$][\w$]*)\s*(?:<[^()]*>)?\s*\(/.exec(
      text.slice(column),
    )?.[1];
  if (own === "constructor") {
    const before = `${lines.slice(Math.max(0, line - 200), line).join("\n")}\n${text.slice(0, column)}`;
    const classes = [...before.matchAll(/\bclass\s+([A-Za-z_$][\w$]*)|([A-Za-z_$][\w$]*)\s*=\s*class\b/g)];
    const last = classes.at(-1);
    return last ? `new ${last[1] ?? last[2]}` : "constructor";
  }
  if (own && !KEYWORDS.has(own)) return own;
  // An expression: the name it is assigned to, if the text just before it says so.
  const assigned =
    /(#?[A-Za-z_$][\w$]*)\s*(?::\s*[^=(){}]*)?(?:=|:)\s*(?:async\s*)?(?:function\s*\*?\s*)?$/.exec(
      text.slice(0, column),
    )?.[1];
  return assigned && !KEYWORDS.has(assigned) ? assigned : undefined;
}

/** `src/…` for the app's own files, `node_modules/<pkg>/…` for packages, whatever it is otherwise. */
export function displayPath(source, root) {
  const n = source.replaceAll("\\", "/");
  const i = n.lastIndexOf("/node_modules/");
  if (i >= 0) return n.slice(i + 1);
  const relative = path.relative(root, n.startsWith("file://") ? new URL(n).pathname : n);
  return relative.replaceAll("\\", "/");
}

/**
 * Names the sources of a source map for display. Some packages ship source maps whose `sources` point
 * at TypeScript files they do not ship, outside their own folder (drizzle-orm: `../../src/…`, which
 * resolves to node_modules/src/…). Such a source is given to the package whose bundled file has the
 * same path below the package (`sqlite-core/db.ts` → node_modules/drizzle-orm/sqlite-core/db.js).
 */
export function createSourceNamer(root, bundledFiles) {
  const stems = new Map();
  for (const file of bundledFiles) {
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)\/(.+)\.[cm]?js$/.exec(file);
    if (m && !stems.has(m[2])) stems.set(m[2], m[1]);
  }
  return (source) => {
    const shown = displayPath(source, root);
    if (!shown.startsWith("node_modules/") || existsSync(path.join(root, shown)) || existsSync(source))
      return shown;
    const stem = shown.replace(/^node_modules\/(?:src\/)?/, "").replace(/\.[cm]?[jt]sx?$/, "");
    const pkg = stems.get(stem);
    return pkg ? `node_modules/${pkg}/src/${shown.replace(/^node_modules\/(?:src\/)?/, "")}` : shown;
  };
}

/** The package a bundled file comes from (`src` for the app's own code). */
export function moduleOf(file) {
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
  if (m) return m[1];
  return file.split("/")[0] || file;
}
