// Starts the app and the Google emulator under `wrangler dev` on free ports, for the browser test.
// Everything is isolated from a developer's `npm run dev`: every setting is passed with --var (so .dev.vars
// does not matter), local state (D1, KV) lives in a temporary --persist-to folder, and wrangler's logs and dev
// registry go to that folder too. Each wrangler runs in its own process group, so stop() also ends the workerd
// processes it spawned.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export const CLIENT_ID = "calendar-edge-browser-test.apps.googleusercontent.com";
export const CLIENT_SECRET = "emulator-browser-test-secret";
/** base64 of the 32 bytes "browser-test-only-key-not-secret": a test-only key. */
const ENCRYPTION_KEY = Buffer.from("browser-test-only-key-not-secret").toString("base64");

/** A port that was free a moment ago on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function distinctFreePorts(count) {
  const ports = new Set();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * @param {{ root: string, logDir: string, deadline: number }} options
 * @returns {Promise<{ appUrl: string, emulatorUrl: string, groups: string, stop: () => Promise<void>, tails: () => string }>}
 */
export async function startStack({ root, logDir, deadline }) {
  const wranglerBin = path.join(root, "node_modules", "wrangler", "bin", "wrangler.js");
  if (!existsSync(wranglerBin)) throw new Error(`wrangler is not installed (${wranglerBin}); run npm ci`);

  const stateDir = mkdtempSync(path.join(tmpdir(), "calendar-edge-browser-test-"));
  const env = {
    ...process.env,
    CI: "true",
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    WRANGLER_LOG_PATH: path.join(stateDir, "wrangler-logs"),
    WRANGLER_REGISTRY_PATH: path.join(stateDir, "registry"),
  };
  const children = [];
  const logFiles = [];

  /** Runs wrangler in its own process group, output to logDir/<name>.log. */
  function wrangler(name, args) {
    const logFile = path.join(logDir, `${name}.log`);
    const log = createWriteStream(logFile);
    logFiles.push(logFile);
    const child = spawn(process.execPath, [wranglerBin, ...args], {
      cwd: root,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
    child.exited.then(() => log.end());
    child.label = name;
    children.push(child);
    return child;
  }

  function killGroup(child, signal) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // ESRCH: the whole group is gone already.
    }
  }

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    for (const child of children) killGroup(child, "SIGTERM");
    await Promise.race([
      Promise.all(children.map((child) => child.exited)),
      new Promise((resolve) => setTimeout(resolve, 5000)),
    ]);
    // Whatever is left in the groups (a workerd that ignored SIGTERM, or a wrangler that hangs) is killed.
    for (const child of children) killGroup(child, "SIGKILL");
    process.removeListener("exit", killAllNow);
    rmSync(stateDir, { recursive: true, force: true });
  }
  // Last resort when the process exits without stop() (uncaught error, process.exit elsewhere).
  function killAllNow() {
    for (const child of children) killGroup(child, "SIGKILL");
    rmSync(stateDir, { recursive: true, force: true });
  }
  process.on("exit", killAllNow);

  function tails() {
    return logFiles
      .map((file) => {
        const lines = existsSync(file) ? readFileSync(file, "utf8").trimEnd().split("\n").slice(-30) : [];
        return `--- last lines of ${path.relative(root, file)} ---\n${lines.join("\n")}`;
      })
      .join("\n");
  }

  try {
    const [appPort, emulatorPort, appInspector, emulatorInspector] = await distinctFreePorts(4);
    const appUrl = `http://localhost:${appPort}`;
    const emulatorUrl = `http://localhost:${emulatorPort}`;
    const redirectUri = `${appUrl}/oauth2callback/`;
    const persist = ["--persist-to", path.join(stateDir, "state")];
    const devFlags = ["--ip", "localhost", "--show-interactive-dev-session=false", "--live-reload=false"];

    const clients = [
      {
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        name: "calendar-edge (browser test)",
        redirectUris: [redirectUri],
      },
    ];
    wrangler("emulator", [
      "dev",
      "-c",
      "emulator/wrangler.toml",
      "--port",
      String(emulatorPort),
      "--inspector-port",
      String(emulatorInspector),
      ...devFlags,
      ...persist,
      "--var",
      `EMULATOR_CLIENTS:${JSON.stringify(clients)}`,
    ]);
    // The emulator needs no database, so it starts while the app's migrations run.
    const migrate = wrangler("migrations", ["d1", "migrations", "apply", "DB", "--local", ...persist]);
    const migrated = await Promise.race([
      migrate.exited,
      new Promise((resolve) => setTimeout(() => resolve({ code: "timeout" }), deadline - Date.now())),
    ]);
    if (migrated.code !== 0) throw new Error(`D1 migrations failed (${migrated.code ?? migrated.signal})`);

    const vars = {
      GOOGLE_CLIENT_ID: CLIENT_ID,
      GOOGLE_CLIENT_SECRET: CLIENT_SECRET,
      TOKEN_ENCRYPTION_KEY: ENCRYPTION_KEY,
      GOOGLE_AUTH_URL: `${emulatorUrl}/o/oauth2/v2/auth`,
      GOOGLE_TOKEN_URL: `${emulatorUrl}/token`,
      GOOGLE_REVOKE_URL: `${emulatorUrl}/revoke`,
      GOOGLE_JWKS_URL: `${emulatorUrl}/oauth2/v3/certs`,
      GOOGLE_CALENDAR_API_URL: `${emulatorUrl}/calendar/v3`,
      OAUTH_REDIRECT_URI: redirectUri,
      MAIL_FROM: "calendar@example.com",
      MAIL_FROM_NAME: "calendar-edge browser test",
      GOOGLE_TIMEOUT_MS: "10000",
    };
    wrangler("app", [
      "dev",
      "--port",
      String(appPort),
      "--inspector-port",
      String(appInspector),
      ...devFlags,
      ...persist,
      ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
    ]);

    await Promise.all([
      waitUntilUp(`${appUrl}/health`, children, deadline),
      waitUntilUp(`${emulatorUrl}/oauth2/v3/certs`, children, deadline),
    ]);
    const groups = children.map((child) => `${child.label} ${child.pid}`).join(", ");
    return { appUrl, emulatorUrl, groups, stop, tails };
  } catch (error) {
    await stop();
    error.message += `\n${tails()}`;
    throw error;
  }
}

/** Polls url until it answers 200; fails early if a child process has exited. */
async function waitUntilUp(url, children, deadline) {
  for (;;) {
    const dead = children.find((child) => child.exitCode !== null || child.signalCode !== null);
    if (dead && dead.label !== "migrations") throw new Error(`wrangler (${dead.label}) exited early`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 in time`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
