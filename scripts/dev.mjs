#!/usr/bin/env node
// `npm run dev`: local D1 migrations, then the Google emulator (port 8788) and the app (port 8787) side by
// side under wrangler dev. Creates .dev.vars from .dev.vars.example (with a fresh encryption key) if absent.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const APP_PORT = process.env.PORT ?? "8787";
const EMULATOR_PORT = process.env.EMULATOR_PORT ?? "8788";

if (!existsSync(".dev.vars")) {
  const example = readFileSync(".dev.vars.example", "utf8");
  writeFileSync(
    ".dev.vars",
    example.replace("REPLACE_WITH_BASE64_32_BYTES", randomBytes(32).toString("base64")),
    { mode: 0o600 },
  );
  console.log("created .dev.vars from .dev.vars.example (emulator credentials, fresh TOKEN_ENCRYPTION_KEY)");
} else {
  // A .dev.vars from an older checkout lacks settings added since: name them rather than run without.
  const names = (text) => new Set([...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
  const have = names(readFileSync(".dev.vars", "utf8"));
  const missing = [...names(readFileSync(".dev.vars.example", "utf8"))].filter((name) => !have.has(name));
  if (missing.length > 0) {
    console.warn(
      `.dev.vars lacks ${missing.join(", ")}: copy them from .dev.vars.example (e.g. PUBLIC_URL turns on Google push notifications)`,
    );
  }
}

// Wrangler runs on this same Node (npm puts the project's Node 24 first on PATH; this keeps it that way).
const WRANGLER = [
  fileURLToPath(import.meta.resolve("wrangler/package.json")).replace(/package\.json$/, "bin/wrangler.js"),
];

const migrate = spawnSync(process.execPath, [...WRANGLER, "d1", "migrations", "apply", "DB", "--local"], {
  stdio: "inherit",
  env: { ...process.env, CI: "true" },
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const children = [];

// The emulator first, then the app: two wrangler dev processes starting at once can race for the same
// local sockets, and the app is only useful once the emulator answers.
children.push(
  spawn(
    process.execPath,
    [...WRANGLER, "dev", "-c", "emulator/wrangler.toml", "--port", EMULATOR_PORT, "--inspector-port", "9230"],
    {
      stdio: ["ignore", "inherit", "inherit"],
      detached: true,
    },
  ),
);
await waitFor(`http://localhost:${EMULATOR_PORT}/oauth2/v3/certs`);
children.push(
  spawn(
    process.execPath,
    [...WRANGLER, "dev", "--port", APP_PORT, "--inspector-port", "9229", ...process.argv.slice(2)],
    {
      stdio: ["ignore", "inherit", "inherit"],
      detached: true,
    },
  ),
);

console.log(
  `\ncalendar-edge: http://localhost:${APP_PORT}/api/google-auth/  (Google emulator: http://localhost:${EMULATOR_PORT})\n`,
);

async function waitFor(url, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  console.error(`gave up waiting for ${url}`);
  stop(1);
}

let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  // Each wrangler runs in its own process group (detached): signal the group so workerd goes too.
  for (const child of children) {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  setTimeout(() => process.exit(code), 500);
}
for (const child of children) child.on("exit", (code) => stop(code ?? 0));
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));
