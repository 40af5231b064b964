#!/usr/bin/env node
// `npm run bench`: load benchmark of calendar-edge against a no-framework baseline Worker (bench/baseline/).
// Not part of the test suite. Everything runs on loopback under `wrangler dev`, in a temp directory:
//
//   1. snapshots the app and the Google emulator into deployable bundles (`wrangler deploy --dry-run`,
//      which also gives the gzip size, a source map and esbuild's metafile), so concurrent edits in the
//      work tree cannot reload them mid-run;
//   2. applies the D1 migrations to a temp persist dir and starts the emulator, the app, the baseline
//      and its variant that mails too, and the app with no mail consumer;
//   3. signs in a pool of accounts (the app's consent flow; the baselines get their own Google grants);
//   4. drives POST and GET /api/events/ on all of them with autocannon, reading workerd CPU time from
//      /proc and profiling the app's isolate through its inspector (bench/profile.mjs);
//   5. checks that D1, the emulator and the outbox agree with every 201 the app gave;
//   6. measures cold starts: fresh isolates of the app and the baseline, one `wrangler dev` each
//      (bench/cold-start.mjs);
//   7. prints the results, the bundle per package (bench/bundle.mjs) and the targets, and stops every
//      process it started.
//
// Options (flag or environment variable; defaults in brackets):
//   --duration=S          BENCH_DURATION          seconds per measured phase [10]
//   --connections=N       BENCH_CONNECTIONS       concurrent clients in the normal phases [16]
//   --high-connections=N  BENCH_HIGH_CONNECTIONS  concurrent clients in the zero-errors phases [64]
//   --accounts=N          BENCH_ACCOUNTS          signed-in accounts whose API tokens are rotated [60]
//   --page=N              BENCH_PAGE              events per GET page (?limit=N); every account is seeded
//                                                 with N events first, so both servers list full pages [3]
//   --participants=N      BENCH_PARTICIPANTS      participants per created event [2]
//   --warmup=S            BENCH_WARMUP            seconds of unmeasured GET load (and POST load on the
//                                                 mail-off copy and the mailing baseline) before
//                                                 measuring, all servers at once [2]
//   --port-base=P         BENCH_PORT_BASE         emulator P, app P+1, baseline P+2, app without mail
//                                                 consumer P+3, baseline with mail P+4, cold starts P+5;
//                                                 the inspector of each is its port + 10 [8891]
//   --no-mail-off         BENCH_MAIL_OFF=0        skip the extra POST phase on a copy of the app whose
//                                                 mail queue has no consumer
//   --no-baseline-mail    BENCH_BASELINE_MAIL=0   skip the extra POST phase on the baseline that mails
//   --no-baseline-rate-limit  BENCH_BASELINE_RATE_LIMIT=0  skip the reference rows "baseline + rate limit"
//                                                 (POST and GET at --connections): the baseline spending
//                                                 one rate-limit call per request, as the app must
//   --profile=MODE        BENCH_PROFILE           separate: profile the app in an extra phase after each
//                                                 measured one (half as long; sampling costs CPU, see
//                                                 docs/benchmark.md); measured: during the measured
//                                                 phases themselves; off [separate]
//   --profile-interval=U  BENCH_PROFILE_INTERVAL  sampling interval of the profiler, µs [500]
//   --cold-samples=N      BENCH_COLD_SAMPLES      fresh isolates started per server for the cold start;
//                                                 0 skips it [5]
//   --phases=LIST         BENCH_PHASES            measured phases to run, comma-separated, of post, get
//                                                 (c = --connections), post-high, get-high (c =
//                                                 --high-connections); none: cold starts only [all]
//   --json=FILE           BENCH_JSON              also write the results as JSON
//   --keep                BENCH_KEEP=1            keep the temp directory (logs, D1 state, bundles)
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { connect } from "node:net";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { bundleBreakdown } from "./bundle.mjs";
import {
  bindingsOf,
  COLD_CONFIG_EXTRA,
  COLD_CONFIG_RULES,
  COLD_ENTRY,
  coldEntrySource,
  measureColdStart,
} from "./cold-start.mjs";
import { connectInspector, createAttributor, startProfiling, stopProfiling } from "./profile.mjs";
import {
  fmt,
  printBundle,
  printColdStart,
  printProfiles,
  printTables,
  printTopFunctions,
  profileSummary,
  SERVERS,
  summarize,
  targets,
  topFunctions,
} from "./report.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const require = createRequire(import.meta.url);
const WRANGLER = path.join(path.dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");

// ---------------------------------------------------------------------------------------------- options

const { values: flags } = parseArgs({
  options: {
    duration: { type: "string" },
    connections: { type: "string" },
    "high-connections": { type: "string" },
    accounts: { type: "string" },
    participants: { type: "string" },
    page: { type: "string" },
    warmup: { type: "string" },
    "port-base": { type: "string" },
    json: { type: "string" },
    keep: { type: "boolean" },
    "mail-off": { type: "boolean", default: process.env.BENCH_MAIL_OFF !== "0" },
    "baseline-mail": { type: "boolean", default: process.env.BENCH_BASELINE_MAIL !== "0" },
    "baseline-rate-limit": { type: "boolean", default: process.env.BENCH_BASELINE_RATE_LIMIT !== "0" },
    profile: { type: "string" },
    "profile-interval": { type: "string" },
    "cold-samples": { type: "string" },
    phases: { type: "string" },
  },
  allowNegative: true,
});

/** The measured phases, in the order they run: method and connections (normal or high). */
const PHASES = ["post", "get", "post-high", "get-high"];

function intOption(flag, env, fallback, min, max) {
  const raw = flags[flag] ?? process.env[env];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`--${flag} / ${env} must be a whole number from ${min} to ${max} (got ${raw})`);
  }
  return value;
}

const OPTIONS = {
  duration: intOption("duration", "BENCH_DURATION", 10, 1, 120),
  connections: intOption("connections", "BENCH_CONNECTIONS", 16, 1, 512),
  highConnections: intOption("high-connections", "BENCH_HIGH_CONNECTIONS", 64, 1, 512),
  accounts: intOption("accounts", "BENCH_ACCOUNTS", 60, 1, 1000),
  page: intOption("page", "BENCH_PAGE", 3, 1, 100),
  participants: intOption("participants", "BENCH_PARTICIPANTS", 2, 1, 50),
  warmup: intOption("warmup", "BENCH_WARMUP", 2, 0, 60),
  portBase: intOption("port-base", "BENCH_PORT_BASE", 8891, 1024, 65000),
  json: flags.json ?? process.env.BENCH_JSON,
  keep: flags.keep ?? process.env.BENCH_KEEP === "1",
  mailOff: flags["mail-off"],
  baselineMail: flags["baseline-mail"],
  baselineRateLimit: flags["baseline-rate-limit"],
  profile: choiceOption("profile", "BENCH_PROFILE", "separate", ["separate", "measured", "off"]),
  profileIntervalUs: intOption("profile-interval", "BENCH_PROFILE_INTERVAL", 500, 50, 10_000),
  coldSamples: intOption("cold-samples", "BENCH_COLD_SAMPLES", 5, 0, 20),
  phases: listOption("phases", "BENCH_PHASES", PHASES),
};

/** A comma-separated subset of `choices` (all of them by default; "none" for an empty list). */
function listOption(flag, env, choices) {
  const raw = flags[flag] ?? process.env[env];
  if (raw === undefined || raw === "") return choices;
  if (raw === "none") return [];
  const picked = raw.split(",").map((s) => s.trim());
  const unknown = picked.filter((p) => !choices.includes(p));
  if (unknown.length > 0)
    throw new Error(
      `--${flag} / ${env}: unknown ${unknown.join(", ")}; choose from ${choices.join(", ")} or none`,
    );
  return choices.filter((c) => picked.includes(c));
}

function choiceOption(flag, env, fallback, choices) {
  const value = flags[flag] ?? process.env[env] ?? fallback;
  if (!choices.includes(value)) throw new Error(`--${flag} / ${env} must be one of ${choices.join(", ")}`);
  return value;
}

const PORTS = {
  emulator: OPTIONS.portBase,
  app: OPTIONS.portBase + 1,
  baseline: OPTIONS.portBase + 2,
  appMailOff: OPTIONS.portBase + 3,
  baselineMail: OPTIONS.portBase + 4,
  cold: OPTIONS.portBase + 5,
};
/** Each `wrangler dev` gets its inspector at its own port + 10. */
const inspectorPort = (port) => port + 10;
const HOST = "127.0.0.1";
const EMULATOR = `http://${HOST}:${PORTS.emulator}`;
const APP = `http://${HOST}:${PORTS.app}`;
const BASELINE = `http://${HOST}:${PORTS.baseline}`;
const APP_MAIL_OFF = `http://${HOST}:${PORTS.appMailOff}`;
const BASELINE_MAIL = `http://${HOST}:${PORTS.baselineMail}`;

/** The app bundle's module: its file name in `wrangler deploy --outdir`, and its URL in call frames. */
const APP_MODULE = "index.js";

const CLIENT_ID = "calendar-edge-dev.apps.googleusercontent.com";
const CLIENT_SECRET = "emulator-dev-secret";
const APP_REDIRECT_URI = `${APP}/oauth2callback/`;
const BASELINE_REDIRECT_URI = `${BASELINE}/oauth2callback/`;
const APP_MAIL_OFF_REDIRECT_URI = `${APP_MAIL_OFF}/oauth2callback/`;
const CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.events";

/** The app's per-API-token budget (wrangler.toml API_RATE_LIMITER), minus a margin for requests in flight. */
const TOKEN_BUDGET_PER_MINUTE = 110;
/** Hard stop for the whole run, whatever happens. */
const RUN_DEADLINE_MS = 10 * 60_000;
/** After each phase: time for requests still in flight (and queued work) to finish before CPU is read. */
const SETTLE_MS = 2_000;
/** After the load: how long to wait for the mail queue to drain before checking. */
const DRAIN_MS = 20_000;
/** After an app POST phase: at most this long for its mail to be consumed, so its CPU is counted. */
const MAIL_SETTLE_MS = 15_000;

const started = performance.now();
const RUN_ID = randomBytes(3).toString("hex");

function log(message) {
  const t = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[bench ${t}s] ${message}`);
}

// ------------------------------------------------------------------------------------ processes & CPU

const children = [];
const seenPids = new Set();
let tmp;

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

function readStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After "pid (comm) ": state=0 ppid=1 pgrp=2 … utime=11 stime=12 (fields 14 and 15 of proc(5)).
    return {
      state: fields[0],
      ppid: Number(fields[1]),
      pgrp: Number(fields[2]),
      cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK,
    };
  } catch {
    return undefined;
  }
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

/** Every live descendant of a process. */
function descendants(rootPid) {
  const parentOf = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(name);
    if (stat) parentOf.set(Number(name), stat.ppid);
  }
  const found = [];
  let frontier = [rootPid];
  while (frontier.length > 0) {
    const next = [];
    for (const [pid, ppid] of parentOf) if (frontier.includes(ppid)) next.push(pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

/**
 * The processes of one `wrangler dev`: the workerd serving the Worker itself (it has the inspector
 * socket), the workerd of wrangler's proxy in front of it (it owns the public port), and the Node side.
 */
function processesOf(server) {
  const procs = { worker: [], proxy: [], node: [] };
  for (const pid of [server.child.pid, ...descendants(server.child.pid)]) {
    seenPids.add(pid);
    const cmd = cmdline(pid);
    if (cmd.includes("workerd")) {
      if (cmd.includes("--inspector-addr")) procs.worker.push(pid);
      else procs.proxy.push(pid);
    } else if (cmd.includes("node")) procs.node.push(pid);
  }
  return procs;
}

function cpuMs(pids) {
  return pids.reduce((sum, pid) => sum + (readStat(pid)?.cpuMs ?? 0), 0);
}

/** Busy CPU time of the whole machine (all cores), from /proc/stat. */
function machineBusyMs() {
  const ticks = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  return ((total - ticks[3] - ticks[4]) * 1000) / CLK_TCK; // minus idle and iowait
}

/** CPU counters of every server's processes, of this process (autocannon) and of the whole machine. */
function sampleCpu(servers) {
  const self = process.cpuUsage();
  const sample = {
    at: performance.now(),
    machine: machineBusyMs(),
    self: (self.user + self.system) / 1000,
    servers: {},
  };
  for (const server of servers) {
    const procs = processesOf(server);
    sample.servers[server.name] = {
      worker: cpuMs(procs.worker),
      proxy: cpuMs(procs.proxy),
      node: cpuMs(procs.node),
    };
  }
  return sample;
}

/** Live processes in the process groups this script created (each wrangler runs in its own group). */
function ourProcesses() {
  const groups = new Set(children.map((c) => c.child.pid));
  const pids = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(name);
    // A zombie has exited already; it only waits for its parent to reap it.
    if (stat && stat.state !== "Z" && groups.has(stat.pgrp)) pids.push(Number(name));
  }
  return pids;
}

/** Environment for wrangler: non-interactive, no telemetry, and temp files (Miniflare's) inside our dir. */
function childEnv() {
  const childTmp = path.join(tmp, "os-tmp");
  mkdirSync(childTmp, { recursive: true });
  return { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", TMPDIR: childTmp };
}

function startWrangler(name, args, port) {
  const logFile = path.join(tmp, `${name}.log`);
  const fd = openSync(logFile, "a");
  const child = spawn(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    detached: true, // its own process group, so stopping it takes workerd along
    stdio: ["ignore", fd, fd],
    // A dev registry of its own: wrangler's shared one (~/.config/.wrangler/registry) links the queues of
    // every `wrangler dev` on the machine by name, so the app's copies (and any other session running
    // the app) would deliver to each other's consumers.
    env: { ...childEnv(), WRANGLER_REGISTRY_PATH: path.join(tmp, "registry", name) },
  });
  closeSync(fd);
  const server = { name, child, port, logFile, exited: false };
  child.on("exit", (code, signal) => {
    server.exited = true;
    server.exitStatus = code ?? signal;
  });
  children.push(server);
  return server;
}

/** Stops one `wrangler dev` and everything in its process group: SIGTERM, then SIGKILL after 5 s. */
async function stopServer(server) {
  const group = server.child.pid;
  const alive = () => ourProcesses().filter((pid) => readStat(pid)?.pgrp === group);
  for (const pid of alive()) seenPids.add(pid);
  try {
    process.kill(-group, "SIGTERM");
  } catch {}
  const until = Date.now() + 5_000;
  while (Date.now() < until && alive().length > 0) await sleep(100);
  for (const pid of alive()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  const reaped = Date.now() + 3_000;
  while (Date.now() < reaped && alive().length > 0) await sleep(100);
}

let stopping;
/** SIGTERM to every process group started here, then SIGKILL to whatever of them is left. */
function stopAll() {
  stopping ??= (async () => {
    for (const pid of ourProcesses()) seenPids.add(pid);
    const groups = new Set(ourProcesses().map((pid) => readStat(pid)?.pgrp));
    for (const pgid of groups) {
      try {
        process.kill(-pgid, "SIGTERM");
      } catch {}
    }
    const until = Date.now() + 5_000;
    while (Date.now() < until && ourProcesses().length > 0) await sleep(200);
    const stubborn = ourProcesses();
    if (stubborn.length > 0) log(`SIGKILL to ${stubborn.length} processes still running 5 s after SIGTERM`);
    for (const pid of stubborn) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    const reaped = Date.now() + 3_000;
    while (Date.now() < reaped && ourProcesses().length > 0) await sleep(100);
    return ourProcesses();
  })();
  return stopping;
}

function tail(file, lines = 25) {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

async function waitReady(server, probePath) {
  const until = Date.now() + 90_000;
  while (Date.now() < until) {
    if (server.exited) throw new Error(`${server.name} exited during start-up:\n${tail(server.logFile)}`);
    try {
      const res = await fetch(`http://${HOST}:${server.port}${probePath}`, {
        signal: AbortSignal.timeout(2_000),
      });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {}
    await sleep(300);
  }
  throw new Error(`${server.name} not ready within 90 s:\n${tail(server.logFile)}`);
}

function portInUse(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Runs wrangler to completion (bounded), returning its output. */
function runWrangler(args, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: childEnv(),
    });
    children.push({ name: args[0], child, exited: false });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
    });
    child.stderr.on("data", (d) => {
      output += d;
    });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else
        reject(new Error(`wrangler ${args.slice(0, 3).join(" ")} failed (${code}):\n${output.slice(-3000)}`));
    });
  });
}

// ------------------------------------------------------------------------------------------- snapshot

/** A copy of wrangler.toml for a config file in the temp dir: absolute paths, no [build] step. */
function appConfig(main, assetsDir, extra = "", { mailConsumer = true } = {}) {
  let toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const replace = (pattern, value, what) => {
    if (!pattern.test(toml)) throw new Error(`wrangler.toml: cannot find ${what}`);
    toml = toml.replace(pattern, value);
  };
  replace(/^main = .*$/m, `main = ${JSON.stringify(main)}${extra}`, "main");
  replace(
    /^migrations_dir = .*$/m,
    `migrations_dir = ${JSON.stringify(path.join(ROOT, "migrations"))}`,
    "migrations_dir",
  );
  replace(/^directory = .*$/m, `directory = ${JSON.stringify(assetsDir)}`, "[assets] directory");
  // The [build] step only writes static assets into public/ (not the script); running it here would
  // rewrite files under other wrangler dev sessions' feet.
  toml = toml.replace(/^\[build\]\n(?:[^[\n].*\n|\n)*/m, "");
  if (!mailConsumer) {
    if (!/^\[\[queues\.consumers\]\]$/m.test(toml))
      throw new Error("wrangler.toml: cannot find [[queues.consumers]]");
    toml = toml.replace(/^\[\[queues\.consumers\]\]\n(?:[^[\n].*\n|\n)*/gm, "");
  }
  return toml;
}

function emulatorConfig(main, extra = "") {
  const toml = readFileSync(path.join(ROOT, "emulator", "wrangler.toml"), "utf8");
  if (!/^main = .*$/m.test(toml)) throw new Error("emulator/wrangler.toml: cannot find main");
  return toml.replace(/^main = .*$/m, `main = ${JSON.stringify(main)}${extra}`);
}

/** bench/baseline/wrangler.toml for `main`; `mail` adds the consumer of its mail queue (the variant that mails). */
function baselineConfig(main, extra = "", { mail = false } = {}) {
  let toml = readFileSync(path.join(ROOT, "bench", "baseline", "wrangler.toml"), "utf8");
  if (!/^main = .*$/m.test(toml)) throw new Error("bench/baseline/wrangler.toml: cannot find main");
  toml = toml.replace(/^main = .*$/m, `main = ${JSON.stringify(main)}${extra}`);
  const queue = /^queue = "(.*)"$/m.exec(toml)?.[1];
  if (!queue) throw new Error("bench/baseline/wrangler.toml: cannot find the mail queue");
  // Batching as the app's mail consumer (wrangler.toml).
  if (mail)
    toml += `\n[[queues.consumers]]\nqueue = "${queue}"\nmax_batch_size = 10\nmax_batch_timeout = 1\n`;
  return toml;
}

function parseUpload(output) {
  const match = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output);
  if (!match) throw new Error(`no "Total Upload" line in wrangler's output:\n${output.slice(-2000)}`);
  return { totalKiB: Number(match[1]), gzipKiB: Number(match[2]) };
}

/**
 * Bundles the app (with its source map and esbuild's metafile) and the emulator as `wrangler deploy
 * --dry-run` does (giving the upload size) and applies the migrations, all at once; then writes configs
 * that serve those bundles, and a copy of the baseline, unchanged (`no_bundle`). Each config sits in its
 * own folder, so that wrangler's .wrangler/ scratch directory lands in the temp dir too.
 */
async function snapshot({ state, mailOffState }) {
  const publicCopy = path.join(tmp, "public");
  // Swagger UI (public/docs/vendor) is a copied build artefact that other sessions rewrite; it is assets,
  // not script, and the benchmark never requests it.
  cpSync(path.join(ROOT, "public"), publicCopy, {
    recursive: true,
    filter: (src) => !src.includes(`${path.sep}docs${path.sep}vendor`),
  });
  for (const dir of ["app", "emulator", "baseline", "baseline-worker", "cold-app", "cold-baseline"]) {
    mkdirSync(path.join(tmp, dir), { recursive: true });
  }
  const appBuild = path.join(tmp, "app", "build.toml");
  const emuBuild = path.join(tmp, "emulator", "build.toml");
  const bundleDir = path.join(tmp, "app", "bundle");
  const metafile = path.join(tmp, "app", "bundle-meta.json");
  writeFileSync(appBuild, appConfig(path.join(ROOT, "src", "index.ts"), publicCopy));
  writeFileSync(emuBuild, emulatorConfig(path.join(ROOT, "emulator", "src", "worker.ts")));
  const migrate = (persist) =>
    runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist, "-c", appBuild]);
  const [appOut, emuOut] = await Promise.all([
    runWrangler([
      "deploy",
      "--dry-run",
      "-c",
      appBuild,
      "--outdir",
      bundleDir,
      "--upload-source-maps",
      "--metafile",
      metafile,
    ]),
    runWrangler(["deploy", "--dry-run", "-c", emuBuild, "--outdir", path.join(tmp, "emulator", "bundle")]),
    migrate(state),
    OPTIONS.mailOff && migrate(mailOffState),
  ]);
  const appBundle = path.join(bundleDir, APP_MODULE);
  const sourceMap = `${appBundle}.map`;
  const breakdown = bundleBreakdown({
    metafileFile: metafile,
    bundleFile: appBundle,
    sourceMapFile: sourceMap,
    root: ROOT,
    dependencies: JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).dependencies,
  });
  const write = (file, text) => {
    writeFileSync(file, text);
    return file;
  };
  const noBundle = "\nno_bundle = true";
  // A folder holding only the baseline's module and its cold-start wrapper, as the app's bundle folder
  // holds only the bundle (and its map): the wrapper's config attaches every .js file beside it.
  const baselineWorker = path.join(tmp, "baseline-worker", "worker.js");
  cpSync(path.join(ROOT, "bench", "baseline", "worker.js"), baselineWorker);
  const bindings = (toml) => ({
    d1: bindingsOf(toml, "d1_databases"),
    kv: bindingsOf(toml, "kv_namespaces"),
    ratelimits: bindingsOf(toml, "ratelimits", "name"),
  });
  const appToml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const baselineToml = readFileSync(path.join(ROOT, "bench", "baseline", "wrangler.toml"), "utf8");
  writeFileSync(path.join(bundleDir, COLD_ENTRY), coldEntrySource(APP_MODULE, bindings(appToml)));
  writeFileSync(
    path.join(tmp, "baseline-worker", COLD_ENTRY),
    coldEntrySource("worker.js", bindings(baselineToml)),
  );
  return {
    appDev: write(path.join(tmp, "app", "dev.toml"), appConfig(appBundle, publicCopy, noBundle)),
    appMailOffDev: write(
      path.join(tmp, "app", "dev-mail-off.toml"),
      appConfig(appBundle, publicCopy, noBundle, { mailConsumer: false }),
    ),
    appColdDev: write(
      path.join(tmp, "cold-app", "dev.toml"),
      appConfig(path.join(bundleDir, COLD_ENTRY), publicCopy, COLD_CONFIG_EXTRA, { mailConsumer: false }) +
        COLD_CONFIG_RULES,
    ),
    emuDev: write(
      path.join(tmp, "emulator", "dev.toml"),
      emulatorConfig(path.join(tmp, "emulator", "bundle", "worker.js"), noBundle),
    ),
    // The baseline is served unbundled too: bundling for dev would wrap it in wrangler's dev middleware,
    // which the app's snapshot does not have.
    baselineDev: write(path.join(tmp, "baseline", "dev.toml"), baselineConfig(baselineWorker, noBundle)),
    baselineMailDev: write(
      path.join(tmp, "baseline", "dev-mail.toml"),
      baselineConfig(baselineWorker, noBundle, { mail: true }),
    ),
    baselineColdDev: write(
      path.join(tmp, "cold-baseline", "dev.toml"),
      baselineConfig(path.join(tmp, "baseline-worker", COLD_ENTRY), COLD_CONFIG_EXTRA) + COLD_CONFIG_RULES,
    ),
    sourceMap,
    breakdown,
    bundle: parseUpload(appOut),
    emulatorBundle: parseUpload(emuOut),
  };
}

// -------------------------------------------------------------------------------------------- sign-in

const b64url = (buf) => Buffer.from(buf).toString("base64url");

/** The app's own flow: consent start, the emulator's consent form, the callback as JSON → API token. */
async function signInApp(base, i) {
  // A distinct client address per consent (RFC 2544 benchmarking range): the consent start is limited
  // to 30 per minute per client IP, and wrangler dev passes a client-sent CF-Connecting-IP through.
  const ip = `198.18.${(i >> 8) & 255}.${i & 255}`;
  const start = await fetch(`${base}/api/google-auth/`, {
    headers: { accept: "application/json", "cf-connecting-ip": ip },
  });
  if (start.status !== 200)
    throw new Error(`GET /api/google-auth/ answered ${start.status}: ${await start.text()}`);
  const cookie = (start.headers.get("set-cookie") ?? "").split(";")[0];
  const authorizationUrl = new URL((await start.json()).authorization_url);
  const email = `bench-${RUN_ID}-${base === APP ? "app" : "mail-off"}-${i}@example.com`;
  const form = new URLSearchParams(authorizationUrl.searchParams);
  form.set("email", email);
  form.set("decision", "allow");
  form.append("granted_scope", CALENDAR_SCOPE);
  const approve = await fetch(`${EMULATOR}/o/oauth2/v2/auth/approve`, {
    method: "POST",
    body: form,
    redirect: "manual",
  });
  const location = approve.headers.get("location");
  if (approve.status !== 302 || !location)
    throw new Error(`consent answered ${approve.status}: ${await approve.text()}`);
  const back = new URL(location);
  const callback = await fetch(`${base}${back.pathname}${back.search}`, {
    headers: { cookie, accept: "application/json" },
  });
  if (callback.status !== 200)
    throw new Error(`callback answered ${callback.status}: ${await callback.text()}`);
  const body = await callback.json();
  return { email, token: body.api_token };
}

/** A Google grant straight from the emulator (consent + code exchange with PKCE) for a baseline account. */
async function googleGrant(i) {
  const email = `bench-${RUN_ID}-base-${i}@example.com`;
  const verifier = b64url(randomBytes(32));
  const form = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: BASELINE_REDIRECT_URI,
    response_type: "code",
    scope: `openid email ${CALENDAR_SCOPE}`,
    state: b64url(randomBytes(16)),
    code_challenge: b64url(createHash("sha256").update(verifier).digest()),
    code_challenge_method: "S256",
    access_type: "offline",
    prompt: "consent",
    email,
    decision: "allow",
    granted_scope: CALENDAR_SCOPE,
  });
  const approve = await fetch(`${EMULATOR}/o/oauth2/v2/auth/approve`, {
    method: "POST",
    body: form,
    redirect: "manual",
  });
  const code = new URL(approve.headers.get("location") ?? "http://x/").searchParams.get("code");
  if (!code) throw new Error(`baseline consent answered ${approve.status}: ${await approve.text()}`);
  const token = await fetch(`${EMULATOR}/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: BASELINE_REDIRECT_URI,
      code_verifier: verifier,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    }),
  });
  if (token.status !== 200)
    throw new Error(`baseline token exchange answered ${token.status}: ${await token.text()}`);
  const { access_token } = await token.json();
  return { email, key: `bl_${b64url(randomBytes(24))}`, access_token };
}

async function inPool(count, concurrency, task) {
  const results = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

// ----------------------------------------------------------------------------------------------- load

/**
 * Hands out API tokens round-robin, keeping each under the app's per-token budget for the current
 * wall-clock minute (the local rate limiter's windows are aligned to the clock).
 */
function tokenPicker(accounts) {
  let epoch = -1;
  let counts = [];
  let next = 0;
  const picker = () => {
    const now = Math.floor(Date.now() / 60_000);
    if (now !== epoch) {
      epoch = now;
      counts = new Array(accounts.length).fill(0);
    }
    for (let k = 0; k < accounts.length; k++) {
      const i = (next + k) % accounts.length;
      if (counts[i] < TOKEN_BUDGET_PER_MINUTE) {
        counts[i]++;
        next = i + 1;
        return accounts[i];
      }
    }
    picker.overBudget++;
    return accounts[next++ % accounts.length];
  };
  picker.overBudget = 0;
  return picker;
}

let sequence = 0;
const SUMMARY_PREFIX = `bench ${RUN_ID} #`;
/** A unique create body: its own summary (so each request is recognisable at Google and in D1). */
function eventBody(i) {
  const start = Date.UTC(2027, 0, 4, 8) + (i % 50_000) * 15 * 60_000;
  const participants = Array.from(
    { length: OPTIONS.participants },
    (_, p) => `guest-${(i + p * 7) % 211}-${p}@example.com`,
  );
  return JSON.stringify({
    participants,
    start_time: new Date(start).toISOString(),
    end_time: new Date(start + 30 * 60_000).toISOString(),
    time_zone: "Europe/Berlin",
    summary: `${SUMMARY_PREFIX}${i}`,
  });
}

/**
 * One autocannon run. With `track`, every create is recorded by its number: the status it got, or none
 * if it was still in flight when autocannon stopped (the server finishes it anyway).
 */
function runLoad({ base, method, connections, duration, pick, track, headers: extra = {} }) {
  return new Promise((resolve, reject) => {
    const request = {
      method,
      path: method === "GET" ? `/api/events/?limit=${OPTIONS.page}` : "/api/events/",
      // autocannon keeps one context per connection and sends one request at a time on it (no
      // pipelining), so the context links a response to the request it answers.
      setupRequest: (req, context) => {
        const headers = { ...req.headers, ...extra, authorization: `Bearer ${pick().token}` };
        if (method !== "POST") return { ...req, headers };
        const i = sequence++;
        context.i = i;
        track?.sent.set(i, null);
        headers["content-type"] = "application/json";
        return { ...req, headers, body: eventBody(i) };
      },
    };
    if (method === "POST" && track) {
      request.onResponse = (status, body, context) => {
        if (context.i === undefined) return;
        track.sent.set(context.i, status);
        if (status === 201) {
          const event = JSON.parse(body);
          track.created.set(context.i, { id: event.id, google_event_id: event.google_event_id });
        }
      };
    }
    const instance = autocannon(
      { url: base, connections, duration, pipelining: 1, timeout: 10, requests: [request] },
      (err, result) => {
        clearTimeout(guard);
        if (err) reject(err);
        else resolve(result);
      },
    );
    const guard = setTimeout(() => instance.stop(), (duration + 30) * 1000);
  });
}

/**
 * Unmeasured: creates `page` events for every account (round-robin), so that each GET in the measured
 * phases lists a full page on both servers. Also warms the create path up.
 */
async function seed({ base, pick, track }, count) {
  let failed = 0;
  await inPool(count, OPTIONS.connections, async () => {
    const i = sequence++;
    track?.sent.set(i, null);
    const res = await fetch(`${base}/api/events/`, {
      method: "POST",
      headers: { authorization: `Bearer ${pick().token}`, "content-type": "application/json" },
      body: eventBody(i),
    });
    const body = await res.text();
    track?.sent.set(i, res.status);
    if (res.status !== 201) failed++;
    else if (track) {
      const event = JSON.parse(body);
      track.created.set(i, { id: event.id, google_event_id: event.google_event_id });
    }
  });
  return failed;
}

// ---------------------------------------------------------------------------------------- consistency

async function openD1(stateDir) {
  const dir = path.join(stateDir, "v3", "d1", "miniflare-D1DatabaseObject");
  const file = readdirSync(dir).find((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  if (!file) throw new Error(`no D1 database under ${dir}`);
  // node:sqlite still prints an ExperimentalWarning on Node 24; the harness does not need it.
  process.removeAllListeners("warning");
  const { DatabaseSync } = await import("node:sqlite");
  return new DatabaseSync(path.join(dir, file), { readOnly: true });
}

/** Mail not sent yet: the app's outbox, and the mailing baseline's `mail` table. */
const PENDING_MAIL = {
  app: "SELECT count(*) AS n FROM outbox WHERE status = 'queued'",
  "baseline-mail": "SELECT count(*) AS n FROM mail WHERE status != 'sent'",
};

/** Waits (at most `ms`) until `db` has no mail left to send; returns how much is left. */
async function drainMail(db, server = "app", ms = DRAIN_MS) {
  const until = Date.now() + ms;
  const pending = db.prepare(PENDING_MAIL[server]);
  while (Date.now() < until && pending.get().n > 0) await sleep(500);
  return pending.get().n;
}

async function checkConsistency(db, track, accounts, participantsPerEvent) {
  const problems = [];
  let discrepancies = 0;
  const problem = (text) => {
    discrepancies++;
    if (problems.length < 40) problems.push(text);
    else if (problems.length === 40) problems.push("… (more discrepancies left out)");
  };

  const rows = db
    .prepare("SELECT id, organizer_email, google_event_id, summary, status, pending_op FROM events")
    .all();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const seenIds = new Set();
  for (const [i, event] of track.created) {
    if (seenIds.has(event.id)) problem(`201 for event ${event.id} given twice`);
    seenIds.add(event.id);
    const row = byId.get(event.id);
    if (!row) problem(`201 event ${event.id} (request #${i}) is not in D1`);
    else if (row.summary !== `${SUMMARY_PREFIX}${i}`)
      problem(`event ${event.id}: D1 holds another request's data`);
    else if (row.google_event_id !== event.google_event_id)
      problem(`event ${event.id}: D1 google_event_id differs from the 201`);
    else if (row.status !== "confirmed" || row.pending_op !== null)
      problem(`event ${event.id}: D1 status ${row.status}, pending ${row.pending_op}`);
  }
  // Rows no client saw a 201 for: fine if the request was still in flight when the load stopped (the
  // Worker finished it), wrong if the client was told it failed.
  let inFlightCompleted = 0;
  const rowsPerRequest = new Map();
  for (const r of rows) {
    const i = r.summary.startsWith(SUMMARY_PREFIX)
      ? Number(r.summary.slice(SUMMARY_PREFIX.length))
      : Number.NaN;
    rowsPerRequest.set(i, (rowsPerRequest.get(i) ?? 0) + 1);
    if (track.created.get(i)?.id === r.id) continue;
    const status = track.sent.get(i);
    if (status === undefined) problem(`D1 event ${r.id} matches no request sent`);
    else if (status === null && r.pending_op === null) inFlightCompleted++;
    else if (status === null)
      problem(`D1 event ${r.id} (request #${i}, in flight at stop) is left pending (${r.pending_op})`);
    else if (r.pending_op !== "abandon")
      problem(`D1 event ${r.id}: request #${i} was answered ${status} but the event exists`);
  }
  for (const [i, n] of rowsPerRequest) if (n > 1) problem(`request #${i} has ${n} D1 rows`);
  const settled = rows.filter((r) => r.status === "confirmed" && r.pending_op === null);
  const pendingRows = rows.filter((r) => r.pending_op !== null);
  const errorsAnswered = [...track.sent.values()].filter((s) => s !== null && s !== 201).length;

  // Google (the emulator): one live event per settled D1 row, none twice, none without a row.
  const rowsByAccount = new Map();
  for (const r of settled) {
    const list = rowsByAccount.get(r.organizer_email) ?? [];
    list.push(r);
    rowsByAccount.set(r.organizer_email, list);
  }
  let googleLive = 0;
  let googleCancelled = 0;
  const summaries = new Map();
  await inPool(accounts.length, 4, async (i) => {
    const { email } = accounts[i];
    const res = await fetch(`${EMULATOR}/__emulator/accounts/${encodeURIComponent(email)}/events`);
    if (res.status !== 200) {
      problem(`emulator answered ${res.status} for ${email}'s events`);
      return;
    }
    const events = await res.json();
    const live = events.filter((e) => e.status !== "cancelled");
    googleLive += live.length;
    googleCancelled += events.length - live.length;
    const liveIds = new Map();
    for (const e of live) {
      liveIds.set(e.id, (liveIds.get(e.id) ?? 0) + 1);
      summaries.set(e.summary, (summaries.get(e.summary) ?? 0) + 1);
    }
    const mine = rowsByAccount.get(email) ?? [];
    for (const r of mine) {
      const n = liveIds.get(r.google_event_id) ?? 0;
      if (n !== 1) problem(`D1 event ${r.id}: ${n} live Google events with id ${r.google_event_id}`);
    }
    const known = new Set(mine.map((r) => r.google_event_id));
    for (const e of live) if (!known.has(e.id)) problem(`Google event ${e.id} (${email}) has no D1 row`);
  });
  for (const [summary, n] of summaries)
    if (n > 1) problem(`${n} Google events for one request ("${summary}")`);

  // Outbox: exactly one "created" mail per participant of every created event.
  const participants = new Map();
  for (const p of db.prepare("SELECT event_id, email FROM participants").all()) {
    const list = participants.get(p.event_id) ?? [];
    list.push(p.email);
    participants.set(p.event_id, list);
  }
  const mails = new Map();
  const mailStatus = {};
  for (const m of db.prepare("SELECT event_id, recipient, kind, status FROM outbox").all()) {
    mailStatus[m.status] = (mailStatus[m.status] ?? 0) + 1;
    if (m.kind !== "created") continue;
    const list = mails.get(m.event_id) ?? [];
    list.push(m.recipient);
    mails.set(m.event_id, list);
  }
  let outboxRows = 0;
  for (const r of settled) {
    const want = (participants.get(r.id) ?? []).slice().sort();
    const got = (mails.get(r.id) ?? []).slice().sort();
    outboxRows += got.length;
    if (want.length !== participantsPerEvent) problem(`event ${r.id}: ${want.length} participants stored`);
    if (want.join(",") !== got.join(",")) problem(`event ${r.id}: outbox [${got}] vs participants [${want}]`);
  }

  return {
    ok: discrepancies === 0,
    discrepancies,
    problems,
    requestsSent: track.sent.size,
    responses201: track.created.size,
    errorsAnswered,
    inFlightCompleted,
    d1Rows: rows.length,
    d1Settled: settled.length,
    d1Pending: pendingRows.length,
    googleLive,
    googleCancelled,
    outboxCreatedRows: outboxRows,
    mailStatus,
  };
}

// ---------------------------------------------------------------------------------------------- main

async function main() {
  log(`options ${JSON.stringify(OPTIONS)}; ${cpus().length} CPUs, Node ${process.version}`);
  const serverPorts = [PORTS.emulator, PORTS.app, PORTS.baseline];
  if (OPTIONS.mailOff) serverPorts.push(PORTS.appMailOff);
  if (OPTIONS.baselineMail) serverPorts.push(PORTS.baselineMail);
  if (OPTIONS.coldSamples > 0) serverPorts.push(PORTS.cold);
  for (const port of serverPorts.flatMap((p) => [p, inspectorPort(p)])) {
    if (await portInUse(port)) throw new Error(`port ${port} is in use; pick another --port-base`);
  }
  tmp = mkdtempSync(path.join(tmpdir(), "calendar-edge-bench-"));
  const state = path.join(tmp, "state");
  const mailOffState = path.join(tmp, "state-mail-off");
  const baselineState = path.join(tmp, "baseline-state");
  const baselineMailState = path.join(tmp, "baseline-mail-state");
  log(`temp dir ${tmp}; bundling the app and the emulator (wrangler deploy --dry-run), migrating D1`);
  const snap = await snapshot({ state, mailOffState });
  const { bundle, emulatorBundle, breakdown } = snap;
  log(
    `app bundle: ${bundle.totalKiB} KiB / gzip ${bundle.gzipKiB} KiB (emulator ${emulatorBundle.gzipKiB} KiB gzip)`,
  );
  log("migrations applied; starting the emulator, the app and the baselines (wrangler dev)");

  const clients = JSON.stringify([
    {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      name: "calendar-edge (bench)",
      redirectUris: [APP_REDIRECT_URI, BASELINE_REDIRECT_URI, APP_MAIL_OFF_REDIRECT_URI],
    },
  ]);
  const dev = (port, persist, config) => [
    "dev",
    "-c",
    config,
    "--ip",
    HOST,
    "--port",
    String(port),
    "--inspector-port",
    String(inspectorPort(port)),
    "--persist-to",
    persist,
    "--log-level",
    "warn",
  ];
  const appVars = (redirectUri, encryptionKey) => {
    const vars = {
      GOOGLE_CLIENT_ID: CLIENT_ID,
      GOOGLE_CLIENT_SECRET: CLIENT_SECRET,
      TOKEN_ENCRYPTION_KEY: encryptionKey,
      GOOGLE_AUTH_URL: `${EMULATOR}/o/oauth2/v2/auth`,
      GOOGLE_TOKEN_URL: `${EMULATOR}/token`,
      GOOGLE_REVOKE_URL: `${EMULATOR}/revoke`,
      GOOGLE_JWKS_URL: `${EMULATOR}/oauth2/v3/certs`,
      GOOGLE_CALENDAR_API_URL: `${EMULATOR}/calendar/v3`,
      OAUTH_REDIRECT_URI: redirectUri,
      MAIL_FROM: "calendar@example.com",
      MAIL_FROM_NAME: "calendar-edge bench",
      GOOGLE_TIMEOUT_MS: "10000",
    };
    return Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  };
  // The app's settings (its encryption key with them) are kept: the cold-start copies read its state.
  const appVarArgs = appVars(APP_REDIRECT_URI, randomBytes(32).toString("base64"));
  const baselineVars = ["--var", `CALENDAR_API_URL:${EMULATOR}/calendar/v3`];
  const emulator = startWrangler(
    "emulator",
    [
      ...dev(PORTS.emulator, path.join(tmp, "emulator-state"), snap.emuDev),
      "--var",
      `EMULATOR_CLIENTS:${clients}`,
    ],
    PORTS.emulator,
  );
  const app = startWrangler("app", [...dev(PORTS.app, state, snap.appDev), ...appVarArgs], PORTS.app);
  const baseline = startWrangler(
    "baseline",
    [...dev(PORTS.baseline, baselineState, snap.baselineDev), ...baselineVars],
    PORTS.baseline,
  );
  const appMailOff = OPTIONS.mailOff
    ? startWrangler(
        "app-mail-off",
        [
          ...dev(PORTS.appMailOff, mailOffState, snap.appMailOffDev),
          ...appVars(APP_MAIL_OFF_REDIRECT_URI, randomBytes(32).toString("base64")),
        ],
        PORTS.appMailOff,
      )
    : undefined;
  const baselineMail = OPTIONS.baselineMail
    ? startWrangler(
        "baseline-mail",
        [
          ...dev(PORTS.baselineMail, baselineMailState, snap.baselineMailDev),
          ...baselineVars,
          "--var",
          "BASELINE_MAIL:1",
        ],
        PORTS.baselineMail,
      )
    : undefined;
  await Promise.all([
    waitReady(emulator, "/oauth2/v3/certs"),
    waitReady(app, "/health"),
    waitReady(baseline, "/health"),
    appMailOff && waitReady(appMailOff, "/health"),
    baselineMail && waitReady(baselineMail, "/health"),
  ]);
  for (const server of children) processesOf(server); // remember every PID, to stop them all later
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  log(`all servers ready (load average ${load})`);

  // The app's isolates are profiled through their inspectors (bench/profile.mjs).
  const attribute = createAttributor({
    scriptUrl: APP_MODULE,
    sourceMapFile: snap.sourceMap,
    root: ROOT,
    bundledFiles: breakdown.files,
  });
  const sessions = {};
  if (OPTIONS.profile !== "off") {
    sessions.app = await connectInspector(HOST, inspectorPort(PORTS.app));
    if (appMailOff) sessions["app-mail-off"] = await connectInspector(HOST, inspectorPort(PORTS.appMailOff));
  }

  const appAccounts = await inPool(OPTIONS.accounts, 4, (i) => signInApp(APP, i));
  log(`signed in ${appAccounts.length} app accounts (consent start → consent form → callback → API token)`);
  const mailOffAccounts = appMailOff
    ? await inPool(Math.ceil(OPTIONS.accounts / 3), 4, (i) => signInApp(APP_MAIL_OFF, i))
    : [];
  const baseAccounts = await inPool(OPTIONS.accounts, 4, googleGrant);
  // Both baselines keep the same Google grants, each in its own KV.
  for (const base of [BASELINE, ...(baselineMail ? [BASELINE_MAIL] : [])]) {
    const setup = await fetch(`${base}/__setup`, {
      method: "POST",
      body: JSON.stringify({ accounts: baseAccounts }),
    });
    if (setup.status !== 204)
      throw new Error(`baseline setup answered ${setup.status}: ${await setup.text()}`);
  }
  log(
    `baselines have ${baseAccounts.length} Google grants${appMailOff ? `; mail-off app has ${mailOffAccounts.length} accounts` : ""}`,
  );

  const db = await openD1(state);
  const mailDb = { app: db, "baseline-mail": baselineMail ? await openD1(baselineMailState) : undefined };
  const servers = [emulator, app, baseline, appMailOff, baselineMail].filter(Boolean);
  const track = { sent: new Map(), created: new Map() };
  const baseKeys = baseAccounts.map((a) => ({ ...a, token: a.key }));
  const target = {
    app: { base: APP, pick: tokenPicker(appAccounts), track },
    baseline: { base: BASELINE, pick: tokenPicker(baseKeys) },
    // The same baseline server, each request also spending from a rate limit (see bench/baseline/worker.js).
    "baseline-rate-limit": OPTIONS.baselineRateLimit && {
      base: BASELINE,
      pick: tokenPicker(baseKeys),
      headers: { "x-bench-rate-limit": "1" },
      server: "baseline",
    },
    "app-mail-off": appMailOff && { base: APP_MAIL_OFF, pick: tokenPicker(mailOffAccounts) },
    "baseline-mail": baselineMail && { base: BASELINE_MAIL, pick: tokenPicker(baseKeys) },
  };

  const seeds = OPTIONS.page * OPTIONS.accounts;
  const warmPost = (name) =>
    target[name] &&
    runLoad({ ...target[name], method: "POST", connections: OPTIONS.connections, duration: OPTIONS.warmup });
  const [appSeedFailures, baseSeedFailures] = await Promise.all([
    seed(target.app, seeds),
    seed(target.baseline, seeds),
    OPTIONS.warmup > 0 && warmPost("app-mail-off"),
    OPTIONS.warmup > 0 && warmPost("baseline-mail"),
  ]);
  if (appSeedFailures + baseSeedFailures > 0) {
    log(
      `WARNING: ${appSeedFailures} app and ${baseSeedFailures} baseline seed creates failed; some GET pages are short`,
    );
  }
  if (OPTIONS.warmup > 0) {
    await Promise.all(
      ["app", "baseline"].map((name) =>
        runLoad({
          ...target[name],
          method: "GET",
          connections: OPTIONS.connections,
          duration: OPTIONS.warmup,
        }),
      ),
    );
  }
  await sleep(SETTLE_MS);
  const pageSize = async ({ base, pick }) => {
    const res = await fetch(`${base}/api/events/?limit=${OPTIONS.page}`, {
      headers: { authorization: `Bearer ${pick().token}` },
    });
    return (await res.json()).events?.length;
  };
  log(
    `seeded ${OPTIONS.page} events per account on app and baseline (${seeds} creates each); warm-up done; a GET page lists ${await pageSize(target.app)} (app) and ${await pageSize(target.baseline)} (baseline) events`,
  );

  /** Stops the profiler of `name` and attributes its samples per request (keeps the raw profile with --keep). */
  const profileOf = async (name, requests, label) => {
    const profile = await stopProfiling(sessions[name]);
    if (OPTIONS.keep) {
      mkdirSync(path.join(tmp, "profiles"), { recursive: true });
      const file = `${label.replace(/\W+/g, "-")}-${name}.cpuprofile`;
      writeFileSync(path.join(tmp, "profiles", file), JSON.stringify(profile));
    }
    return profileSummary(attribute(profile, OPTIONS.profileIntervalUs), requests);
  };
  const plan = OPTIONS.phases.map((name) => [
    name.startsWith("post") ? "POST" : "GET",
    name.endsWith("-high") ? OPTIONS.highConnections : OPTIONS.connections,
  ]);
  const phases = [];
  for (const [method, connections] of plan) {
    const phase = { label: `${method} c=${connections}`, method, connections };
    const names = ["app", "baseline"];
    if (connections === OPTIONS.connections && target["baseline-rate-limit"])
      names.push("baseline-rate-limit");
    if (method === "POST" && connections === OPTIONS.connections) {
      if (appMailOff) names.splice(1, 0, "app-mail-off");
      if (baselineMail) names.push("baseline-mail");
    }
    for (const name of names) {
      const mails = method === "POST" ? mailDb[name] : undefined;
      // Mail left from earlier load is not this phase's.
      if (mails) await drainMail(mails, name, MAIL_SETTLE_MS);
      const profiling = sessions[name] !== undefined && OPTIONS.profile === "measured";
      if (profiling) await startProfiling(sessions[name], OPTIONS.profileIntervalUs);
      const before = sampleCpu(servers);
      const result = await runLoad({ ...target[name], method, connections, duration: OPTIONS.duration });
      await sleep(SETTLE_MS);
      // A mailing server's CPU per create includes its mail: wait (bounded) for the consumer to catch up.
      const mailWait = mails ? await drainMail(mails, name, MAIL_SETTLE_MS) : 0;
      const after = sampleCpu(servers);
      const s = summarize(result, before, after, "emulator", target[name].server ?? name);
      if (mails) s.mailQueuedAfterSettle = mailWait;
      if (profiling) s.profile = await profileOf(name, s.sent, phase.label);
      else if (sessions[name] !== undefined && OPTIONS.profile === "separate") {
        // A shorter phase of its own, so that sampling cannot weigh on the measured figures; its own
        // p50 and CPU show what sampling costs.
        await startProfiling(sessions[name], OPTIONS.profileIntervalUs);
        const from = sampleCpu(servers);
        const duration = Math.max(2, Math.ceil(OPTIONS.duration / 2));
        const profiled = await runLoad({ ...target[name], method, connections, duration });
        await sleep(SETTLE_MS);
        if (mails) await drainMail(mails, name, MAIL_SETTLE_MS);
        const to = sampleCpu(servers);
        s.profile = await profileOf(name, profiled.requests.sent, phase.label);
        const p = summarize(profiled, from, to, "emulator", name);
        s.profile.profiledPhase = { rps: p.rps, p50: p.p50, cpuMsPerReq: p.cpuMsPerReq };
      }
      phase[name] = s;
      log(
        `${phase.label} ${name}: ${fmt(s.rps)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms, ${s.errors} errors, ${fmt(s.cpuMsPerReq, 2)} CPU ms/req${s.profile ? `, app JS ${fmt(s.profile.appMsPerReq, 3)} ms/req` : ""}${s.mailQueuedAfterSettle ? `, ${s.mailQueuedAfterSettle} mails still queued (not counted)` : ""}`,
      );
    }
    phases.push(phase);
  }
  for (const name of ["app", "app-mail-off"]) {
    if (target[name]?.pick.overBudget > 0) {
      log(
        `WARNING: ${target[name].pick.overBudget} ${name} requests exceeded a token's budget (use more --accounts)`,
      );
    }
  }

  const stillQueued = await drainMail(db);
  log(
    `mail queue ${stillQueued === 0 ? "drained" : `still has ${stillQueued} queued rows after ${DRAIN_MS / 1000} s`}`,
  );
  const consistency = await checkConsistency(db, track, appAccounts, OPTIONS.participants);
  db.close();
  mailDb["baseline-mail"]?.close();
  for (const session of Object.values(sessions)) session.close();

  // Cold starts last, on a machine the load has left: every server is stopped first (the fresh app
  // isolates read the app's D1 and KV state, which two workerd processes must not share).
  const cold = {};
  if (OPTIONS.coldSamples > 0) {
    for (const server of servers) await stopServer(server);
    log(`servers stopped; ${OPTIONS.coldSamples} cold starts each of the app and the baseline`);
    const coldBase = `http://${HOST}:${PORTS.cold}`;
    const coldOf = (name, config, persist, vars, pick) =>
      measureColdStart({
        name,
        base: coldBase,
        samples: OPTIONS.coldSamples,
        start: () =>
          startWrangler(`cold-${name}`, [...dev(PORTS.cold, persist, config), ...vars], PORTS.cold),
        stop: stopServer,
        request: () => ({
          url: `${coldBase}/api/events/?limit=${OPTIONS.page}`,
          init: { headers: { authorization: `Bearer ${pick().token}` } },
        }),
        log,
        profile:
          name === "app" && OPTIONS.profile !== "off"
            ? {
                start: async () => {
                  const session = await connectInspector(HOST, inspectorPort(PORTS.cold));
                  await startProfiling(session, OPTIONS.profileIntervalUs);
                  return session;
                },
                stop: async (session) => {
                  const profile = await stopProfiling(session);
                  session.close();
                  if (OPTIONS.keep) {
                    mkdirSync(path.join(tmp, "profiles"), { recursive: true });
                    writeFileSync(
                      path.join(tmp, "profiles", "cold-start-app.cpuprofile"),
                      JSON.stringify(profile),
                    );
                  }
                  return attribute(profile, OPTIONS.profileIntervalUs);
                },
              }
            : undefined,
      });
    cold.app = await coldOf("app", snap.appColdDev, state, appVarArgs, target.app.pick);
    cold.baseline = await coldOf(
      "baseline",
      snap.baselineColdDev,
      baselineState,
      baselineVars,
      target.baseline.pick,
    );
  }

  printTables(phases, bundle);
  console.log(
    `consistency: ${consistency.ok ? "OK" : "DISCREPANCIES"} — ${consistency.requestsSent} creates sent, ${consistency.responses201} answered 201, ${consistency.errorsAnswered} answered with an error, ${consistency.inFlightCompleted} finished after the client stopped waiting; ${consistency.d1Rows} D1 rows (${consistency.d1Pending} pending), ${consistency.googleLive} live Google events (${consistency.googleCancelled} cancelled), ${consistency.outboxCreatedRows} outbox rows, mail ${JSON.stringify(consistency.mailStatus)}`,
  );
  for (const p of consistency.problems) console.log(`  - ${p}`);
  console.log("");
  const top = topFunctions(phases);
  if (OPTIONS.profile !== "off") {
    printProfiles(phases, OPTIONS.profile);
    printTopFunctions("top app functions by self time (POST and GET phases of the app together):", top, [
      ["self ms", (f) => fmt(f.ms, 1)],
      ["share of app JS", (f) => `${fmt(f.share * 100)}%`],
      ["µs per POST", (f) => fmt(f.postUsPerReq, 1)],
      ["µs per GET", (f) => fmt(f.getUsPerReq, 1)],
    ]);
  }
  printBundle(breakdown, bundle);
  if (OPTIONS.coldSamples > 0) printColdStart(cold);
  const targetList = targets({
    phases,
    bundle,
    consistency,
    cold,
    connections: OPTIONS.connections,
    highConnections: OPTIONS.highConnections,
  });
  const runs = phases.flatMap((p) => SERVERS.map((n) => p[n]).filter(Boolean));
  const foreign = runs.reduce((sum, r) => sum + r.foreignCores, 0) / runs.length;
  if (foreign > 0.25) {
    console.log(
      `WARNING: other processes on this machine kept ${fmt(foreign, 2)} of ${cpus().length} cores busy on average during the measured phases; latency and throughput are pessimistic and noisy, CPU ms/request less so.`,
    );
  }
  console.log(
    `notes: the app's API tokens rotate over ${appAccounts.length} accounts (at most ${TOKEN_BUDGET_PER_MINUTE} requests per token per clock minute, under its limit of 120/60 s); its mail queue consumer runs in the same workerd and is counted in its CPU ("app-mail-off" is the same bundle with no consumer; "baseline with mail" is the baseline with a consumer that mails too); CPU = utime+stime of the workerd running the Worker, from /proc, per request sent, including ${SETTLE_MS / 1000} s of settling after each phase; app JS = V8 samples in the app's bundle × the sampler's tick, per request sent.`,
  );

  if (OPTIONS.json) {
    const trim = (s) =>
      s && { ...s, profile: s.profile && { ...s.profile, functions: s.profile.functions.slice(0, 30) } };
    writeFileSync(
      path.resolve(OPTIONS.json),
      JSON.stringify(
        {
          options: OPTIONS,
          bundle,
          emulatorBundle,
          bundleByPackage: { ...breakdown, files: undefined },
          phases: phases.map((p) =>
            Object.fromEntries(Object.entries(p).map(([k, v]) => [k, SERVERS.includes(k) ? trim(v) : v])),
          ),
          topFunctions: top,
          coldStart: Object.fromEntries(
            Object.entries(cold).map(([k, c]) => [
              k,
              { ...c, profile: c.profile && { ...c.profile, functions: c.profile.functions.slice(0, 30) } },
            ]),
          ),
          consistency,
          targets: targetList,
        },
        null,
        2,
      ),
    );
    log(`results written to ${OPTIONS.json}`);
  }
  return consistency.ok;
}

const deadline = setTimeout(() => {
  console.error(`[bench] run exceeded ${RUN_DEADLINE_MS / 1000} s; stopping`);
  finish(1);
}, RUN_DEADLINE_MS);

let finishing = false;
async function finish(code) {
  if (finishing) return;
  finishing = true;
  clearTimeout(deadline);
  const left = await stopAll();
  if (left.length > 0) console.error(`[bench] processes still alive after SIGKILL: ${left.join(", ")}`);
  else log(`stopped all ${seenPids.size} processes it started`);
  if (tmp && !OPTIONS.keep) rmSync(tmp, { recursive: true, force: true });
  else if (tmp) log(`kept ${tmp}`);
  process.exit(code);
}

for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
]) {
  process.on(signal, () => {
    if (!finishing) console.error(`[bench] ${signal}: stopping`);
    finish(code);
  });
}

main().then(
  (consistent) => finish(consistent ? 0 : 2),
  (err) => {
    if (!finishing) console.error(`[bench] failed: ${err?.stack ?? err}`);
    finish(1);
  },
);
