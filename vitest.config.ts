import { execFileSync } from "node:child_process";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { createGoogleEmulator } from "./emulator/src/emulator.ts";
import {
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  TEST_ENCRYPTION_KEY,
  TEST_MAIL_FROM,
  TEST_ORIGIN,
  TEST_REDIRECT_URI,
} from "./test/support/constants.ts";
import { webhookTestNetwork } from "./test/support/webhook-network.ts";

// One emulator for the whole run, in this Node process. Every outbound fetch of the Worker (and of the
// tests, which run inside it) reaches it through Miniflare's outboundService, so the app calls the real
// Google URLs (its defaults) and the production fetch code runs unchanged. Watch notifications are held
// until a test takes them: the tests' Worker has no port the emulator could push to.
const emulator = createGoogleEmulator({
  clients: [
    { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET, redirectUris: [TEST_REDIRECT_URI] },
  ],
  notifications: "hold",
});

// The queue consumers of wrangler.toml, except that a batch leaves after 50 ms instead of a second: the
// mail tests wait for the real local queue. Miniflare replaces a consumer's options whole, so they are
// taken from wrangler.toml (as wrangler converts them) rather than repeated here.
const wranglerConsumers = unstable_getMiniflareWorkerOptions("./wrangler.toml").workerOptions.queueConsumers;
const queueConsumers = Object.fromEntries(
  Object.entries(Array.isArray(wranglerConsumers) ? {} : (wranglerConsumers ?? {})).map(
    ([queue, options]) => [queue, { ...options, maxBatchTimeout: 0.05 }],
  ),
);

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  // public/openapi.json, written by the same script as in the [build] step of dev and deploy: the tests read
  // it through the ASSETS binding, which serves public/ as Workers static assets do.
  execFileSync(process.execPath, [path.join(import.meta.dirname, "scripts", "openapi-json.mjs")], {
    stdio: "inherit",
  });
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            // Every setting is pinned here so a developer's .dev.vars (read by wrangler) cannot leak into
            // tests: empty means "unset", so the app uses Google's real default URLs, served by the emulator.
            GOOGLE_AUTH_URL: "",
            GOOGLE_TOKEN_URL: "",
            GOOGLE_REVOKE_URL: "",
            GOOGLE_JWKS_URL: "",
            GOOGLE_CALENDAR_API_URL: "",
            OAUTH_REDIRECT_URI: "",
            MAIL_FROM_NAME: "calendar-edge tests",
            GOOGLE_CLIENT_ID: TEST_CLIENT_ID,
            GOOGLE_CLIENT_SECRET: TEST_CLIENT_SECRET,
            TOKEN_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
            MAIL_FROM: TEST_MAIL_FROM,
            GOOGLE_TIMEOUT_MS: "1500",
            // Push channels point here; the emulator holds their notifications for the tests to deliver.
            PUBLIC_URL: TEST_ORIGIN,
            // Webhooks: https only, and DNS answered by the stub in test/support/webhook-network.ts.
            WEBHOOK_ALLOW_LOCALHOST: "false",
            DNS_RESOLVER_URL: "",
          },
          queueConsumers,
          // Webhook receivers and the DNS-over-HTTPS stub by host; everything else is Google.
          outboundService: (request) =>
            webhookTestNetwork.serves(request.url)
              ? webhookTestNetwork.fetch(request as unknown as Request)
              : emulator.fetch(request as unknown as Request),
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      setupFiles: ["./test/support/apply-migrations.ts"],
      testTimeout: 20_000,
    },
  };
});
