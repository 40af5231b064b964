// Cold start: the time to the first response of a fresh isolate, script evaluation included. Used by
// bench/run.mjs; see docs/benchmark.md.
//
// workerd evaluates a Worker's modules when it loads its config, before the port answers, so timing the
// first request after start-up would leave evaluation out. Each sample therefore starts a new
// `wrangler dev` (a new workerd, so a new isolate) whose entry is a small wrapper, as `wrangler check
// startup` does: the wrapper answers a readiness probe itself, and imports the Worker's module only on
// the first real request. That request's latency is the cold start: evaluating the bundle, then serving
// the request with nothing compiled or cached yet. The probe also touches the KV, D1 and rate-limit
// bindings once (a key of its own), so that Miniflare's own first-use costs stay out: each is a
// simulator object that Miniflare creates on first use (the rate limiter a Durable Object with its own
// SQLite table), where on Cloudflare they are services that are always up.
import { setTimeout as sleep } from "node:timers/promises";

/** File name of the wrapper, written beside the Worker's module. */
export const COLD_ENTRY = "cold-entry.js";
/** Path of the readiness probe the wrapper answers without loading the Worker. */
const PROBE_PATH = "/__cold/ready";
/** Requests after the first, for the warm latency of the same request in the same isolate. */
const WARM_REQUESTS = 5;

/**
 * Config lines (after `main`) for serving the wrapper unbundled with the Worker's module beside it; and
 * the module rule that makes wrangler attach every `.js` file of that folder as an ES module.
 */
export const COLD_CONFIG_EXTRA = "\nno_bundle = true\nfind_additional_modules = true";
export const COLD_CONFIG_RULES = '\n[[rules]]\ntype = "ESModule"\nglobs = ["**/*.js"]\n';

/**
 * Names of the config's bindings of one kind (`d1_databases`, `kv_namespaces`; `ratelimits`, whose
 * binding is its `name`).
 */
export function bindingsOf(toml, table, key = "binding") {
  const pattern = new RegExp(`^\\[\\[${table}\\]\\]\\n(?:[^[\\n].*\\n)*?${key} = "([^"]+)"`, "gm");
  return [...toml.matchAll(pattern)].map((m) => m[1]);
}

/**
 * The wrapper's source: `moduleName` is imported on the first request that is not the probe; the probe
 * uses the `d1`, `kv` and `ratelimits` bindings once.
 */
export function coldEntrySource(moduleName, { d1 = [], kv = [], ratelimits = [] } = {}) {
  return `// Written by bench/run.mjs (bench/cold-start.mjs): loads ${moduleName} on the first real request.
let worker;
async function warmBindings(env) {
  for (const name of ${JSON.stringify(d1)}) await env[name].prepare("SELECT 1").first();
  for (const name of ${JSON.stringify(kv)}) await env[name].get("__cold-start");
  for (const name of ${JSON.stringify(ratelimits)}) await env[name].limit({ key: "__cold-start" });
}
export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === ${JSON.stringify(PROBE_PATH)}) {
      await warmBindings(env);
      return new Response("ready");
    }
    worker ??= (await import(${JSON.stringify(`./${moduleName}`)})).default;
    return worker.fetch(request, env, ctx);
  },
};
`;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * `samples` cold starts of one Worker. `start()` starts its `wrangler dev` (the wrapper as entry) and
 * returns the server; `stop(server)` stops it; `request()` gives the URL and init of the request to
 * time. With `profile`, one more start is profiled from the probe to the first response (not timed).
 */
export async function measureColdStart({ name, base, samples, start, stop, request, log, profile }) {
  const runs = [];
  let profiled;
  for (let i = 0; i < samples + (profile ? 1 : 0); i++) {
    const profiling = i === samples;
    const server = start();
    try {
      await waitForProbe(server, base);
      const session = profiling ? await profile.start(server) : undefined;
      const { url, init } = request();
      const t0 = performance.now();
      const res = await fetch(url, init);
      await res.arrayBuffer();
      const firstMs = performance.now() - t0;
      if (res.status !== 200) throw new Error(`${name}: the first request answered ${res.status}`);
      if (profiling) {
        profiled = { firstMs, ...(await profile.stop(session)) };
        continue;
      }
      const warm = [];
      for (let k = 0; k < WARM_REQUESTS; k++) {
        const again = request();
        const t1 = performance.now();
        const r = await fetch(again.url, again.init);
        await r.arrayBuffer();
        warm.push(performance.now() - t1);
      }
      runs.push({ firstMs, warmMs: median(warm) });
      log(
        `cold start ${name} #${i + 1}: first response ${firstMs.toFixed(1)} ms, then ${median(warm).toFixed(1)} ms`,
      );
    } finally {
      await stop(server);
    }
  }
  return {
    samples: runs.map(({ firstMs, warmMs }) => ({ firstMs, warmMs })),
    firstMs: median(runs.map((r) => r.firstMs)),
    warmMs: median(runs.map((r) => r.warmMs)),
    profile: profiled,
  };
}

async function waitForProbe(server, base) {
  const until = Date.now() + 90_000;
  while (Date.now() < until) {
    if (server.exited) {
      throw new Error(
        `${server.name} exited (${server.exitStatus}) during start-up (log: ${server.logFile})`,
      );
    }
    try {
      const res = await fetch(`${base}${PROBE_PATH}`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error(`${server.name} not ready within 90 s (log: ${server.logFile})`);
}
