#!/usr/bin/env node
// `npm run dev`: local D1 migrations, then the Google emulator (port 8788) and the app (port 8787) side by
// side under wrangler dev. Creates .dev.vars from .dev.vars.example (with a fresh encryption key) if absent.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

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
}

const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local"], {
  stdio: "inherit",
  env: { ...process.env, CI: "true" },
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const children = [
  spawn("npx", ["wrangler", "dev", "-c", "emulator/wrangler.toml", "--port", EMULATOR_PORT], {
    stdio: ["ignore", "inherit", "inherit"],
  }),
  spawn("npx", ["wrangler", "dev", "--port", APP_PORT, ...process.argv.slice(2)], {
    stdio: ["inherit", "inherit", "inherit"],
  }),
];

console.log(
  `\ncalendar-edge: http://localhost:${APP_PORT}/api/google-auth/  (Google emulator: http://localhost:${EMULATOR_PORT})\n`,
);

let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill("SIGTERM");
  setTimeout(() => process.exit(code), 500);
}
for (const child of children) child.on("exit", (code) => stop(code ?? 0));
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));
