#!/usr/bin/env node
// `npm run bench`: load benchmark of calendar-edge against a no-framework baseline Worker (bench/baseline/).
// Not part of the test suite. Everything runs on loopback under `wrangler dev`, in a temp directory:
//
//   1. snapshots the app and the Google emulator into deployable bundles (`wrangler deploy --dry-run`,
//      which also gives the gzip size), so concurrent edits in the work tree cannot reload them mid-run;
//   2. applies the D1 migrations to a temp persist dir and starts the emulator, the app and the baseline;
//   3. signs in a pool of accounts (the app's consent flow; the baseline gets its own Google grants);
//   4. drives POST and GET /api/events/ on both with autocannon, reading workerd CPU time from /proc;
//   5. checks that D1, the emulator and the outbox agree with every 201 the app gave;
//   6. prints the results and stops every process it started.
//
// Options (flag or environment variable; defaults in brackets):
//   --duration=S          BENCH_DURATION          seconds per measured phase [10]
//   --connections=N       BENCH_CONNECTIONS       concurrent clients in the normal phases [16]
//   --high-connections=N  BENCH_HIGH_CONNECTIONS  concurrent clients in the zero-errors phases [64]
//   --accounts=N          BENCH_ACCOUNTS          signed-in accounts whose API tokens are rotated [40]
//   --page=N              BENCH_PAGE              events per GET page (?limit=N); every account is seeded
//                                                 with N events first, so both servers list full pages [3]
//   --participants=N      BENCH_PARTICIPANTS      participants per created event [2]
//   --warmup=S            BENCH_WARMUP            seconds of unmeasured GET load (and POST load on the
//                                                 mail-off copy) before measuring, all servers at once [2]
//   --port-base=P         BENCH_PORT_BASE         emulator P, app P+1, baseline P+2, app without mail
//                                                 consumer P+3, inspectors P+4..P+7 [8891]
//   --no-mail-off         BENCH_MAIL_OFF=0        skip the extra POST phase on a copy of the app whose
//                                                 mail queue has no consumer
//   --json=FILE           BENCH_JSON              also write the results as JSON
//   --keep                BENCH_KEEP=1            keep the temp directory (logs, D1 state)
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
  },
  allowNegative: true,
});

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
  accounts: intOption("accounts", "BENCH_ACCOUNTS", 40, 1, 1000),
  page: intOption("page", "BENCH_PAGE", 3, 1, 100),
  participants: intOption("participants", "BENCH_PARTICIPANTS", 2, 1, 50),
  warmup: intOption("warmup", "BENCH_WARMUP", 2, 0, 60),
  portBase: intOption("port-base", "BENCH_PORT_BASE", 8891, 1024, 65000),
  json: flags.json ?? process.env.BENCH_JSON,
  keep: flags.keep ?? process.env.BENCH_KEEP === "1",
  mailOff: flags["mail-off"],
};

const PORTS = {
  emulator: OPTIONS.portBase,
  app: OPTIONS.portBase + 1,
  baseline: OPTIONS.portBase + 2,
  appMailOff: OPTIONS.portBase + 3,
  inspector: [OPTIONS.portBase + 4, OPTIONS.portBase + 5, OPTIONS.portBase + 6, OPTIONS.portBase + 7],
};
const HOST = "127.0.0.1";
const EMULATOR = `http://${HOST}:${PORTS.emulator}`;
const APP = `http://${HOST}:${PORTS.app}`;
const BASELINE = `http://${HOST}:${PORTS.baseline}`;
const APP_MAIL_OFF = `http://${HOST}:${PORTS.appMailOff}`;

const CLIENT_ID = "calendar-edge-dev.apps.googleusercontent.com";
const CLIENT_SECRET = "emulator-dev-secret";
const APP_REDIRECT_URI = `${APP}/oauth2callback/`;
const BASELINE_REDIRECT_URI = `${BASELINE}/oauth2callback/`;
const APP_MAIL_OFF_REDIRECT_URI = `${APP_MAIL_OFF}/oauth2callback/`;
const CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.events";

/** The app's per-API-token budget (wrangler.toml API_RATE_LIMITER), minus a margin for requests in flight. */
const TOKEN_BUDGET_PER_MINUTE = 110;
/** Hard stop for the whole run, whatever happens. */
const RUN_DEADLINE_MS = 6 * 60_000;
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
    env: childEnv(),
  });
  closeSync(fd);
  const server = { name, child, port, logFile, exited: false };
  child.on("exit", () => {
    server.exited = true;
  });
  children.push(server);
  return server;
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
  // The [build] step only copies Swagger UI into public/ (assets, not the script); running it here would
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

function parseUpload(output) {
  const match = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output);
  if (!match) throw new Error(`no "Total Upload" line in wrangler's output:\n${output.slice(-2000)}`);
  return { totalKiB: Number(match[1]), gzipKiB: Number(match[2]) };
}

/**
 * Bundles the app and the emulator as `wrangler deploy --dry-run` does (giving the upload size) and
 * applies the migrations, all at once; then writes configs that serve those bundles unchanged.
 */
async function snapshot({ state, mailOffState }) {
  const publicCopy = path.join(tmp, "public");
  // Swagger UI (public/docs/vendor) is a copied build artefact that other sessions rewrite; it is assets,
  // not script, and the benchmark never requests it.
  cpSync(path.join(ROOT, "public"), publicCopy, {
    recursive: true,
    filter: (src) => !src.includes(`${path.sep}docs${path.sep}vendor`),
  });
  mkdirSync(path.join(tmp, "app"), { recursive: true });
  mkdirSync(path.join(tmp, "emulator"), { recursive: true });
  const appBuild = path.join(tmp, "app", "build.toml");
  const emuBuild = path.join(tmp, "emulator", "build.toml");
  writeFileSync(appBuild, appConfig(path.join(ROOT, "src", "index.ts"), publicCopy));
  writeFileSync(emuBuild, emulatorConfig(path.join(ROOT, "emulator", "src", "worker.ts")));
  const migrate = (persist) =>
    runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist, "-c", appBuild]);
  const [appOut, emuOut] = await Promise.all([
    runWrangler(["deploy", "--dry-run", "-c", appBuild, "--outdir", path.join(tmp, "app", "bundle")]),
    runWrangler(["deploy", "--dry-run", "-c", emuBuild, "--outdir", path.join(tmp, "emulator", "bundle")]),
    migrate(state),
    OPTIONS.mailOff && migrate(mailOffState),
  ]);
  const appDev = path.join(tmp, "app", "dev.toml");
  const emuDev = path.join(tmp, "emulator", "dev.toml");
  const appBundle = path.join(tmp, "app", "bundle", "index.js");
  writeFileSync(appDev, appConfig(appBundle, publicCopy, "\nno_bundle = true"));
  const appMailOffDev = path.join(tmp, "app", "dev-mail-off.toml");
  writeFileSync(
    appMailOffDev,
    appConfig(appBundle, publicCopy, "\nno_bundle = true", { mailConsumer: false }),
  );
  writeFileSync(
    emuDev,
    emulatorConfig(path.join(tmp, "emulator", "bundle", "worker.js"), "\nno_bundle = true"),
  );
  // The baseline's config, copied so that wrangler's .wrangler/ scratch directory lands in the temp dir too.
  const baselineToml = readFileSync(path.join(ROOT, "bench", "baseline", "wrangler.toml"), "utf8");
  const baselineDev = path.join(tmp, "baseline", "dev.toml");
  mkdirSync(path.dirname(baselineDev), { recursive: true });
  writeFileSync(
    baselineDev,
    baselineToml.replace(
      /^main = .*$/m,
      `main = ${JSON.stringify(path.join(ROOT, "bench", "baseline", "worker.js"))}`,
    ),
  );
  return {
    appDev,
    appMailOffDev,
    emuDev,
    baselineDev,
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
function runLoad({ base, method, connections, duration, pick, track }) {
  return new Promise((resolve, reject) => {
    const request = {
      method,
      path: method === "GET" ? `/api/events/?limit=${OPTIONS.page}` : "/api/events/",
      // autocannon keeps one context per connection and sends one request at a time on it (no
      // pipelining), so the context links a response to the request it answers.
      setupRequest: (req, context) => {
        const headers = { ...req.headers, authorization: `Bearer ${pick().token}` };
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

async function drainMail(db, ms = DRAIN_MS) {
  const until = Date.now() + ms;
  const pending = db.prepare("SELECT count(*) AS n FROM outbox WHERE status = 'queued'");
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

// -------------------------------------------------------------------------------------------- report

const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(2)}x` : "–");

function summarize(result, cpuBefore, cpuAfter, emulatorName, server) {
  // Every request sent is served to the end (the settle period lets the last ones finish), so CPU is
  // divided by requests sent, not by the responses autocannon waited for.
  const sent = result.requests.sent;
  const per = (ms) => (sent > 0 ? ms / sent : Number.NaN);
  const before = cpuBefore.servers;
  const after = cpuAfter.servers;
  const d = (key) => after[server][key] - before[server][key];
  const emu =
    after[emulatorName].worker +
    after[emulatorName].proxy -
    before[emulatorName].worker -
    before[emulatorName].proxy;
  // CPU used on the machine by processes that are not part of the benchmark (other sessions), in cores.
  let ours = cpuAfter.self - cpuBefore.self;
  for (const name of Object.keys(after)) {
    for (const key of ["worker", "proxy", "node"]) ours += after[name][key] - before[name][key];
  }
  const wall = cpuAfter.at - cpuBefore.at;
  const machine = cpuAfter.machine - cpuBefore.machine;
  const codes = Object.fromEntries(
    Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]),
  );
  return {
    sent,
    completed: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    socketErrors: result.errors,
    timeouts: result.timeouts,
    errors: result.non2xx + result.errors,
    statusCodes: codes,
    cpuMsPerReq: per(d("worker")),
    proxyCpuMsPerReq: per(d("proxy")),
    wranglerNodeCpuMsPerReq: per(d("node")),
    emulatorCpuMsPerReq: per(emu),
    clientCpuMsPerReq: per(cpuAfter.self - cpuBefore.self),
    machineCores: machine / wall,
    foreignCores: Math.max(0, machine - ours) / wall,
  };
}

const SERVER_LABELS = { app: "app", "app-mail-off": "app, mail consumer off", baseline: "baseline" };

function printTables(phases, bundle) {
  const lines = [];
  const row = (label, name, s) =>
    `| ${label} | ${SERVER_LABELS[name]} | ${fmt(s.rps)} | ${s.p50} | ${s.p99} | ${s.errors} | ${fmt(s.cpuMsPerReq, 2)} |`;
  const ratioRow = (label, name, a, b) =>
    `| ${label} | ${name} | ${ratio(a.rps, b.rps)} | ${ratio(a.p50, b.p50)} | ${ratio(a.p99, b.p99)} | | ${ratio(a.cpuMsPerReq, b.cpuMsPerReq)} |`;
  lines.push("| phase | server | req/s | p50 ms | p99 ms | errors | CPU ms/req |");
  lines.push("|---|---|---:|---:|---:|---:|---:|");
  for (const p of phases) {
    lines.push(row(p.label, "app", p.app));
    if (p["app-mail-off"]) lines.push(row(p.label, "app-mail-off", p["app-mail-off"]));
    lines.push(row(p.label, "baseline", p.baseline));
    lines.push(ratioRow(p.label, "**app/baseline**", p.app, p.baseline));
    if (p["app-mail-off"])
      lines.push(ratioRow(p.label, "app (mail off)/baseline", p["app-mail-off"], p.baseline));
  }
  lines.push("");
  lines.push(
    `bundle (wrangler deploy --dry-run): Total Upload ${bundle.totalKiB} KiB / gzip ${bundle.gzipKiB} KiB`,
  );
  lines.push("");
  lines.push(
    "| phase | server | sent | answered | status codes | socket errors (timeouts) | proxy workerd ms/req | wrangler node ms/req | emulator ms/req | autocannon ms/req | machine busy (cores) | other processes (cores) |",
  );
  lines.push("|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const p of phases) {
    for (const name of ["app", "app-mail-off", "baseline"]) {
      const s = p[name];
      if (!s) continue;
      const codes = Object.entries(s.statusCodes)
        .map(([c, n]) => `${c}: ${n}`)
        .join(", ");
      lines.push(
        `| ${p.label} | ${SERVER_LABELS[name]} | ${s.sent} | ${s.completed} | ${codes} | ${s.socketErrors} (${s.timeouts}) | ${fmt(s.proxyCpuMsPerReq, 2)} | ${fmt(s.wranglerNodeCpuMsPerReq, 2)} | ${fmt(s.emulatorCpuMsPerReq, 2)} | ${fmt(s.clientCpuMsPerReq, 2)} | ${fmt(s.machineCores, 2)} | ${fmt(s.foreignCores, 2)} |`,
      );
    }
  }
  console.log(`\n${lines.join("\n")}\n`);
}

function targets(phases, bundle, consistency) {
  const normal = phases.filter((p) => p.connections === OPTIONS.connections);
  const high = phases.filter((p) => p.connections === OPTIONS.highConnections);
  const within = (key) => normal.every((p) => p.app[key] <= 1.3 * p.baseline[key]);
  const list = [
    {
      target: `p50 latency within 1.3x of baseline (c=${OPTIONS.connections})`,
      met: within("p50"),
      detail: normal.map((p) => `${p.label}: ${ratio(p.app.p50, p.baseline.p50)}`).join(", "),
    },
    {
      target: `CPU/request within 1.3x of baseline (c=${OPTIONS.connections})`,
      met: within("cpuMsPerReq"),
      detail: normal.map((p) => `${p.label}: ${ratio(p.app.cpuMsPerReq, p.baseline.cpuMsPerReq)}`).join(", "),
    },
    {
      target: `zero errors at ${OPTIONS.highConnections} concurrent clients (app)`,
      met: high.every((p) => p.app.errors === 0),
      detail: high.map((p) => `${p.label}: ${p.app.errors} errors`).join(", "),
    },
    { target: "bundle under 100 KiB gzip", met: bundle.gzipKiB < 100, detail: `${bundle.gzipKiB} KiB` },
    {
      target: "D1, Google and outbox agree with the responses",
      met: consistency.ok,
      detail: consistency.ok ? "consistency: OK" : `${consistency.discrepancies} discrepancies`,
    },
  ];
  console.log("targets:");
  for (const t of list) console.log(`  ${t.met ? "MET    " : "NOT MET"}  ${t.target} — ${t.detail}`);
  return list;
}

// ---------------------------------------------------------------------------------------------- main

async function main() {
  log(`options ${JSON.stringify(OPTIONS)}; ${cpus().length} CPUs, Node ${process.version}`);
  const ports = [PORTS.emulator, PORTS.app, PORTS.baseline, ...PORTS.inspector];
  if (OPTIONS.mailOff) ports.push(PORTS.appMailOff);
  for (const port of ports) {
    if (await portInUse(port)) throw new Error(`port ${port} is in use; pick another --port-base`);
  }
  tmp = mkdtempSync(path.join(tmpdir(), "calendar-edge-bench-"));
  const state = path.join(tmp, "state");
  const mailOffState = path.join(tmp, "state-mail-off");
  log(`temp dir ${tmp}; bundling the app and the emulator (wrangler deploy --dry-run), migrating D1`);
  const { appDev, appMailOffDev, emuDev, baselineDev, bundle, emulatorBundle } = await snapshot({
    state,
    mailOffState,
  });
  log(
    `app bundle: ${bundle.totalKiB} KiB / gzip ${bundle.gzipKiB} KiB (emulator ${emulatorBundle.gzipKiB} KiB gzip)`,
  );
  log("migrations applied; starting the emulator, the app and the baseline (wrangler dev)");

  const clients = JSON.stringify([
    {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      name: "calendar-edge (bench)",
      redirectUris: [APP_REDIRECT_URI, BASELINE_REDIRECT_URI, APP_MAIL_OFF_REDIRECT_URI],
    },
  ]);
  const dev = (port, inspector, persist, config) => [
    "dev",
    "-c",
    config,
    "--ip",
    HOST,
    "--port",
    String(port),
    "--inspector-port",
    String(inspector),
    "--persist-to",
    persist,
    "--log-level",
    "warn",
  ];
  const appVars = (redirectUri) => {
    const vars = {
      GOOGLE_CLIENT_ID: CLIENT_ID,
      GOOGLE_CLIENT_SECRET: CLIENT_SECRET,
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
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
  const emulator = startWrangler(
    "emulator",
    [
      ...dev(PORTS.emulator, PORTS.inspector[0], path.join(tmp, "emulator-state"), emuDev),
      "--var",
      `EMULATOR_CLIENTS:${clients}`,
    ],
    PORTS.emulator,
  );
  const app = startWrangler(
    "app",
    [...dev(PORTS.app, PORTS.inspector[1], state, appDev), ...appVars(APP_REDIRECT_URI)],
    PORTS.app,
  );
  const baseline = startWrangler(
    "baseline",
    [
      ...dev(PORTS.baseline, PORTS.inspector[2], path.join(tmp, "baseline-state"), baselineDev),
      "--var",
      `CALENDAR_API_URL:${EMULATOR}/calendar/v3`,
    ],
    PORTS.baseline,
  );
  const appMailOff = OPTIONS.mailOff
    ? startWrangler(
        "app-mail-off",
        [
          ...dev(PORTS.appMailOff, PORTS.inspector[3], mailOffState, appMailOffDev),
          ...appVars(APP_MAIL_OFF_REDIRECT_URI),
        ],
        PORTS.appMailOff,
      )
    : undefined;
  await Promise.all([
    waitReady(emulator, "/oauth2/v3/certs"),
    waitReady(app, "/health"),
    waitReady(baseline, "/health"),
    appMailOff && waitReady(appMailOff, "/health"),
  ]);
  for (const server of children) processesOf(server); // remember every PID, to stop them all later
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  log(`all servers ready (load average ${load})`);

  const appAccounts = await inPool(OPTIONS.accounts, 4, (i) => signInApp(APP, i));
  log(`signed in ${appAccounts.length} app accounts (consent start → consent form → callback → API token)`);
  const mailOffAccounts = appMailOff
    ? await inPool(Math.ceil(OPTIONS.accounts / 3), 4, (i) => signInApp(APP_MAIL_OFF, i))
    : [];
  const baseAccounts = await inPool(OPTIONS.accounts, 4, googleGrant);
  const setup = await fetch(`${BASELINE}/__setup`, {
    method: "POST",
    body: JSON.stringify({ accounts: baseAccounts }),
  });
  if (setup.status !== 204) throw new Error(`baseline setup answered ${setup.status}: ${await setup.text()}`);
  log(
    `baseline has ${baseAccounts.length} Google grants${appMailOff ? `; mail-off app has ${mailOffAccounts.length} accounts` : ""}`,
  );

  const db = await openD1(state);
  const servers = [emulator, app, baseline, ...(appMailOff ? [appMailOff] : [])];
  const track = { sent: new Map(), created: new Map() };
  const target = {
    app: { base: APP, pick: tokenPicker(appAccounts), track },
    baseline: { base: BASELINE, pick: tokenPicker(baseAccounts.map((a) => ({ ...a, token: a.key }))) },
    "app-mail-off": appMailOff && { base: APP_MAIL_OFF, pick: tokenPicker(mailOffAccounts) },
  };

  const seeds = OPTIONS.page * OPTIONS.accounts;
  const [appSeedFailures, baseSeedFailures] = await Promise.all([
    seed(target.app, seeds),
    seed(target.baseline, seeds),
    appMailOff &&
      runLoad({
        ...target["app-mail-off"],
        method: "POST",
        connections: OPTIONS.connections,
        duration: OPTIONS.warmup,
      }),
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

  const plan = [
    ["POST", OPTIONS.connections],
    ["GET", OPTIONS.connections],
    ["POST", OPTIONS.highConnections],
    ["GET", OPTIONS.highConnections],
  ];
  const phases = [];
  for (const [method, connections] of plan) {
    const phase = { label: `${method} c=${connections}`, method, connections };
    const names = ["app", "baseline"];
    if (appMailOff && method === "POST" && connections === OPTIONS.connections)
      names.splice(1, 0, "app-mail-off");
    for (const name of names) {
      const before = sampleCpu(servers);
      const result = await runLoad({ ...target[name], method, connections, duration: OPTIONS.duration });
      await sleep(SETTLE_MS);
      // The app's CPU per create includes its mail: wait (bounded) for the consumer to catch up.
      const mailWait = name === "app" && method === "POST" ? await drainMail(db, MAIL_SETTLE_MS) : 0;
      const after = sampleCpu(servers);
      const s = summarize(result, before, after, "emulator", name);
      if (name === "app" && method === "POST") s.mailQueuedAfterSettle = mailWait;
      phase[name] = s;
      log(
        `${phase.label} ${name}: ${fmt(s.rps)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms, ${s.errors} errors, ${fmt(s.cpuMsPerReq, 2)} CPU ms/req${s.mailQueuedAfterSettle ? `, ${s.mailQueuedAfterSettle} mails still queued (not counted)` : ""}`,
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

  printTables(phases, bundle);
  console.log(
    `consistency: ${consistency.ok ? "OK" : "DISCREPANCIES"} — ${consistency.requestsSent} creates sent, ${consistency.responses201} answered 201, ${consistency.errorsAnswered} answered with an error, ${consistency.inFlightCompleted} finished after the client stopped waiting; ${consistency.d1Rows} D1 rows (${consistency.d1Pending} pending), ${consistency.googleLive} live Google events (${consistency.googleCancelled} cancelled), ${consistency.outboxCreatedRows} outbox rows, mail ${JSON.stringify(consistency.mailStatus)}`,
  );
  for (const p of consistency.problems) console.log(`  - ${p}`);
  const targetList = targets(phases, bundle, consistency);
  const runs = phases.flatMap((p) => ["app", "app-mail-off", "baseline"].map((n) => p[n]).filter(Boolean));
  const foreign = runs.reduce((sum, r) => sum + r.foreignCores, 0) / runs.length;
  if (foreign > 0.25) {
    console.log(
      `WARNING: other processes on this machine kept ${fmt(foreign, 2)} of ${cpus().length} cores busy on average during the measured phases; latency and throughput are pessimistic and noisy, CPU ms/request less so.`,
    );
  }
  console.log(
    `notes: the app's API tokens rotate over ${appAccounts.length} accounts (at most ${TOKEN_BUDGET_PER_MINUTE} requests per token per clock minute, under its limit of 120/60 s); its mail queue consumer runs in the same workerd and is counted in its CPU ("app-mail-off" is the same bundle with no consumer); CPU = utime+stime of the workerd running the Worker, from /proc, per request sent, including ${SETTLE_MS / 1000} s of settling after each phase.`,
  );

  if (OPTIONS.json) {
    writeFileSync(
      path.resolve(OPTIONS.json),
      JSON.stringify(
        { options: OPTIONS, bundle, emulatorBundle, phases, consistency, targets: targetList },
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
