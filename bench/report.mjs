// The benchmark's results: CPU per request from /proc samples, and the tables bench/run.mjs prints
// (phases, app JavaScript, top functions, bundle, cold start, targets). See docs/benchmark.md.

/** A number with `digits` decimals, or "–". */
export const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
/** a/b as "1.23x", or "–". */
export const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(2)}x` : "–");

/** One server's phase: autocannon's figures and the CPU of each process per request sent. */
export function summarize(result, cpuBefore, cpuAfter, emulatorName, server) {
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

/** The servers that take load, in table order. */
export const SERVERS = ["app", "app-mail-off", "baseline", "baseline-rate-limit", "baseline-mail"];
export const SERVER_LABELS = {
  app: "app",
  "app-mail-off": "app, mail consumer off",
  baseline: "baseline",
  "baseline-rate-limit": "baseline + rate limit",
  "baseline-mail": "baseline with mail",
};
/**
 * Each app server and the floor it is held against: the app mails, so it also meets the baseline that does.
 * "baseline + rate limit" is a reference, not a floor: the baseline plus the one rate-limit call per request
 * that the app's contract requires (a SQLite-backed Durable Object under Miniflare).
 */
const COMPARISONS = [
  ["app", "baseline", "**app/baseline**"],
  ["app-mail-off", "baseline", "app (mail off)/baseline"],
  ["app", "baseline-rate-limit", "app/(baseline + rate limit), for reference"],
  ["app-mail-off", "baseline-rate-limit", "app (mail off)/(baseline + rate limit), for reference"],
  ["app", "baseline-mail", "**app/baseline with mail**"],
];

const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const cell = (text) => String(text).replaceAll("|", "\\|");
const kib = (bytes) => (bytes / 1024).toFixed(1);

/** The phase table (with the ratios to the floors) and the detail table. */
export function printTables(phases, bundle) {
  const lines = [];
  const row = (label, name, s) =>
    `| ${label} | ${SERVER_LABELS[name]} | ${fmt(s.rps)} | ${s.p50} | ${s.p99} | ${s.errors} | ${fmt(s.cpuMsPerReq, 2)} |`;
  const ratioRow = (label, name, a, b) =>
    `| ${label} | ${name} | ${ratio(a.rps, b.rps)} | ${ratio(a.p50, b.p50)} | ${ratio(a.p99, b.p99)} | | ${ratio(a.cpuMsPerReq, b.cpuMsPerReq)} |`;
  lines.push("| phase | server | req/s | p50 ms | p99 ms | errors | CPU ms/req |");
  lines.push("|---|---|---:|---:|---:|---:|---:|");
  for (const p of phases) {
    for (const name of SERVERS) if (p[name]) lines.push(row(p.label, name, p[name]));
    for (const [a, b, label] of COMPARISONS)
      if (p[a] && p[b]) lines.push(ratioRow(p.label, label, p[a], p[b]));
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
    for (const name of SERVERS) {
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

/** A profile's categories per request, for the tables and the JSON. */
export function profileSummary(attributed, requests) {
  const per = (ms) => (requests > 0 ? ms / requests : Number.NaN);
  return {
    requests,
    samples: attributed.samples,
    tickUs: attributed.periodUs,
    appMsPerReq: per(attributed.ms.app),
    appNativeMsPerReq: per(attributed.ms.appNative),
    runtimeMsPerReq: per(attributed.ms.runtime),
    gcMsPerReq: per(attributed.ms.gc),
    otherMsPerReq: per(attributed.ms.program + attributed.ms.idle),
    functions: attributed.functions,
    runtimeScripts: attributed.runtimeScripts.map((r) => ({ script: r.script, msPerReq: per(r.ms) })),
  };
}

/** The app's JavaScript per request in each profiled phase, by category. */
export function printProfiles(phases, mode) {
  const separate = mode === "separate";
  const lines = [
    `app JavaScript (V8 profile of the app's isolate through its inspector, ${separate ? "in a separate, shorter phase after each measured one" : "during the measured phases"}; ms per request sent):`,
    "",
    `| phase | server | requests | **app JS** | builtins/APIs called by it | other JS in the isolate | GC | (program), (idle) | samples | tick µs |${separate ? " profiled phase: p50 ms, CPU ms/req |" : ""}`,
    `|---|---|---:|---:|---:|---:|---:|---:|---:|---:|${separate ? "---:|" : ""}`,
  ];
  const scripts = new Map();
  let requests = 0;
  for (const p of phases) {
    for (const name of ["app", "app-mail-off"]) {
      const f = p[name]?.profile;
      if (!f) continue;
      const extra = f.profiledPhase
        ? ` ${f.profiledPhase.p50}, ${fmt(f.profiledPhase.cpuMsPerReq, 2)} |`
        : "";
      lines.push(
        `| ${p.label} | ${SERVER_LABELS[name]} | ${f.requests} | **${fmt(f.appMsPerReq, 3)}** | ${fmt(f.appNativeMsPerReq, 3)} | ${fmt(f.runtimeMsPerReq, 3)} | ${fmt(f.gcMsPerReq, 3)} | ${fmt(f.otherMsPerReq, 3)} | ${f.samples} | ${f.tickUs} |${extra}`,
      );
      if (name !== "app") continue;
      requests += f.requests;
      for (const r of f.runtimeScripts)
        scripts.set(r.script, (scripts.get(r.script) ?? 0) + r.msPerReq * f.requests);
    }
  }
  const byScript = [...scripts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([script, ms]) => `${script} ${fmt(ms / requests, 3)}`);
  if (byScript.length > 0) {
    lines.push("");
    lines.push(
      `other JS in the app's isolate, by script (ms per request, all app phases): ${byScript.join("; ")}`,
    );
  }
  console.log(`${lines.join("\n")}\n`);
}

/** The app's functions by self time over all its profiled phases, with their cost per POST and per GET. */
export function topFunctions(phases, count = 10) {
  const merged = new Map();
  const requests = { POST: 0, GET: 0 };
  let total = 0;
  for (const p of phases) {
    const f = p.app?.profile;
    if (!f) continue;
    requests[p.method] += f.requests;
    for (const fn of f.functions) {
      const key = `${fn.name}\0${fn.file}:${fn.line}`;
      const m = merged.get(key) ?? { ...fn, ms: 0, POST: 0, GET: 0 };
      delete m.samples;
      m.ms += fn.ms;
      m[p.method] += fn.ms;
      total += fn.ms;
      merged.set(key, m);
    }
  }
  const top = [...merged.values()].sort((a, b) => b.ms - a.ms).slice(0, count);
  return top.map((m) => ({
    ...m,
    share: total > 0 ? m.ms / total : Number.NaN,
    postUsPerReq: requests.POST > 0 ? (m.POST * 1000) / requests.POST : Number.NaN,
    getUsPerReq: requests.GET > 0 ? (m.GET * 1000) / requests.GET : Number.NaN,
  }));
}

/** A table of functions: name, file:line, the given columns, and the start of their code. */
export function printTopFunctions(title, top, columns) {
  if (top.length === 0) return;
  const lines = [title, "", `| # | function | where | ${columns.map((c) => c[0]).join(" | ")} | code |`];
  lines.push(`|---:|---|---|${columns.map(() => "---:").join("|")}|---|`);
  top.forEach((f, i) => {
    lines.push(
      `| ${i + 1} | ${cell(f.name)} | ${cell(`${f.file}:${f.line}`)} | ${columns.map((c) => c[1](f)).join(" | ")} | \`${cell(f.snippet.slice(0, 60))}\` |`,
    );
  });
  console.log(`${lines.join("\n")}\n`);
}

/** The bundle by package. */
export function printBundle(breakdown, bundle) {
  const lines = [
    `bundle by package (esbuild metafile; "gzip alone" = that package's part of the bundle gzipped by itself): ${kib(breakdown.bytes)} KiB minified, ${bundle.gzipKiB} KiB min+gzip`,
    "",
    "| package | files | KiB minified | share | KiB gzip alone |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const r of breakdown.packages) {
    lines.push(`| ${r.name} | ${r.files} | ${kib(r.bytes)} | ${fmt(r.share * 100)}% | ${kib(r.gzipAlone)} |`);
  }
  if (breakdown.unusedDependencies.length > 0) {
    lines.push("");
    lines.push(
      `dependencies in package.json with nothing in the bundle: ${breakdown.unusedDependencies.join(", ")}`,
    );
  }
  console.log(`${lines.join("\n")}\n`);
}

/** Cold starts, and the profile of the extra one. */
export function printColdStart(cold) {
  const lines = [
    "cold start (a fresh isolate per sample: new wrangler dev, the Worker's module evaluated by the first request; ms):",
    "",
    "| server | samples | first response (median) | min–max | same request warm (median) | first − warm |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const [name, c] of Object.entries(cold)) {
    const firsts = c.samples.map((x) => x.firstMs);
    lines.push(
      `| ${name} | ${c.samples.length} | ${fmt(c.firstMs)} | ${fmt(Math.min(...firsts))}–${fmt(Math.max(...firsts))} | ${fmt(c.warmMs)} | ${fmt(c.firstMs - c.warmMs)} |`,
    );
  }
  const profiled = cold.app?.profile;
  if (profiled) {
    lines.push("");
    lines.push(
      `one more app cold start, profiled (not in the median; ${fmt(profiled.firstMs)} ms): app JS ${fmt(profiled.ms.app)} ms, builtins/APIs it called ${fmt(profiled.ms.appNative)} ms, other JS ${fmt(profiled.ms.runtime)} ms, GC ${fmt(profiled.ms.gc)} ms`,
    );
  }
  console.log(`${lines.join("\n")}\n`);
  if (profiled) {
    const total = profiled.ms.app;
    printTopFunctions(
      "app functions by self time in that cold request (module evaluation included):",
      profiled.functions.slice(0, 10).map((f) => ({ ...f, share: total > 0 ? f.ms / total : Number.NaN })),
      [
        ["self ms", (f) => fmt(f.ms, 2)],
        ["share", (f) => `${fmt(f.share * 100)}%`],
      ],
    );
  }
}

/** Every target of the performance issue: measured value, limit, met or not. Informational only. */
export function targets({ phases, bundle, consistency, cold, connections, highConnections }) {
  const normal = phases.filter((p) => p.connections === connections);
  const high = phases.filter((p) => p.connections === highConnections);
  const appJs = (method) =>
    median(phases.filter((p) => p.method === method).map((p) => p.app?.profile?.appMsPerReq));
  const phase = (method) => normal.find((p) => p.method === method);
  const compare = (what, key, method, app, floor) => {
    const p = phase(method);
    const a = p?.[app]?.[key];
    const b = p?.[floor]?.[key];
    const value = a !== undefined && b > 0 ? a / b : Number.NaN;
    return {
      target: `${what}, ${p?.label ?? method}: ${SERVER_LABELS[app]} / ${SERVER_LABELS[floor]}`,
      measured: Number.isFinite(value) ? `${value.toFixed(2)}x` : "not measured",
      limit: "≤ 1.3x",
      met: Number.isFinite(value) ? value <= 1.3 : undefined,
    };
  };
  const limit = (target, value, max, unit, digits = 2) => ({
    target,
    measured: Number.isFinite(value) ? `${value.toFixed(digits)} ${unit}` : "not measured",
    limit: `≤ ${max} ${unit}`,
    met: Number.isFinite(value) ? value <= max : undefined,
  });
  const errors = high.reduce((sum, p) => sum + (p.app?.errors ?? 0), 0);
  const list = [
    limit("app JavaScript per GET (median of the GET phases)", appJs("GET"), 1, "ms", 3),
    limit("app JavaScript per POST (median of the POST phases)", appJs("POST"), 2, "ms", 3),
    {
      ...limit(
        `app JavaScript per POST without mail (${phase("POST")?.label ?? "POST"}, mail consumer off; for comparison)`,
        phase("POST")?.["app-mail-off"]?.profile?.appMsPerReq ?? Number.NaN,
        2,
        "ms",
        3,
      ),
      met: undefined,
    },
    compare("p50", "p50", "POST", "app-mail-off", "baseline"),
    compare("p50", "p50", "GET", "app", "baseline"),
    compare("p50", "p50", "POST", "app", "baseline-mail"),
    compare("workerd CPU/req", "cpuMsPerReq", "POST", "app-mail-off", "baseline"),
    compare("workerd CPU/req", "cpuMsPerReq", "GET", "app", "baseline"),
    compare("workerd CPU/req", "cpuMsPerReq", "POST", "app", "baseline-mail"),
    {
      ...compare("workerd CPU/req", "cpuMsPerReq", "POST", "app-mail-off", "baseline-rate-limit"),
      limit: "reference",
      met: undefined,
    },
    {
      ...compare("workerd CPU/req", "cpuMsPerReq", "GET", "app", "baseline-rate-limit"),
      limit: "reference",
      met: undefined,
    },
    limit("bundle, min+gzip (wrangler deploy --dry-run)", bundle.gzipKiB, 100, "KiB"),
    limit(
      `cold start, app (median of ${cold.app?.samples.length ?? 0})`,
      cold.app?.firstMs ?? Number.NaN,
      50,
      "ms",
      1,
    ),
    {
      target: `errors at c=${highConnections} (app)`,
      measured: high.length > 0 ? String(errors) : "not measured",
      limit: "0",
      met: high.length > 0 ? errors === 0 : undefined,
    },
    {
      target: "consistency (D1, Google and the outbox agree with the responses)",
      measured: consistency.ok ? "OK" : `${consistency.discrepancies} discrepancies`,
      limit: "OK",
      met: consistency.ok,
    },
  ];
  const lines = ["targets (reported only; the exit code depends on the consistency check alone):", ""];
  lines.push("| target | measured | limit | |");
  lines.push("|---|---:|---:|---|");
  for (const t of list) {
    lines.push(
      `| ${t.target} | ${t.measured} | ${t.limit} | ${t.met === undefined ? "–" : t.met ? "met" : "**not met**"} |`,
    );
  }
  console.log(`${lines.join("\n")}\n`);
  return list;
}
