#!/usr/bin/env node
// `npm run test:browser`: the OAuth consent flow in a real Chromium against the app and the Google emulator,
// both under `wrangler dev` on free ports (see stack.mjs). Screenshots and wrangler logs go to
// artifacts/browser/. Prints `N passed, M failed` last and exits non-zero on any failure.
// Needs Chromium at /usr/bin/chromium (Debian: apt-get install chromium) or at $CHROMIUM_PATH.
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { startStack } from "./stack.mjs";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const ARTIFACTS = path.join(ROOT, "artifacts", "browser");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const STARTED = Date.now();
// BROWSER_TEST_TIMEOUT_MS shortens (or lengthens) the hard limit, e.g. to check the cleanup on timeout.
const DEADLINE = STARTED + Number(process.env.BROWSER_TEST_TIMEOUT_MS ?? 110_000);
const CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.events";
const FREEBUSY_SCOPE = "https://www.googleapis.com/auth/calendar.events.freebusy";
const CALENDAR_LIST_SCOPE = "https://www.googleapis.com/auth/calendar.calendarlist.readonly";

const results = [];
let stack;
let browser;
let interrupted = false;

/** Runs one named check and records ok / not ok (a check whose input is missing fails, it is not skipped). */
async function check(name, fn) {
  const started = Date.now();
  if (interrupted) return false;
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok - ${name} (${Date.now() - started} ms)`);
    return true;
  } catch (error) {
    if (interrupted) return false;
    results.push({ name, ok: false });
    console.log(`not ok - ${name}\n    ${String(error?.stack ?? error).replaceAll("\n", "\n    ")}`);
    return false;
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function shutdown() {
  await browser?.close().catch(() => {});
  await stack?.stop();
}

function finish() {
  const passed = results.filter((result) => result.ok).length;
  const failed = results.length - passed;
  console.log(
    `\nbrowser test: ${((Date.now() - STARTED) / 1000).toFixed(1)} s, screenshots in artifacts/browser/`,
  );
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}

// The whole run has a hard limit: on timeout, everything started is killed and the run fails.
const watchdog = setTimeout(async () => {
  results.push({ name: "finished within the time limit", ok: false });
  console.log(`not ok - finished within the time limit (${(DEADLINE - STARTED) / 1000} s)`);
  interrupted = true;
  console.log(stack ? stack.tails() : "wrangler output so far: artifacts/browser/*.log");
  await Promise.race([shutdown(), new Promise((resolve) => setTimeout(resolve, 6000))]);
  finish();
}, DEADLINE - STARTED);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    interrupted = true;
    console.log(`\n${signal}: stopping`);
    await shutdown();
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
}

/** Starts a consent in a fresh browser context (its own cookies) and waits for the emulator's page. */
async function openConsent(name) {
  const context = await browser.newContext({ viewport: { width: 900, height: 800 } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const response = await page.goto(`${stack.appUrl}/api/google-auth/`);
  assert(response?.status() === 200, `${name}: consent page answered ${response?.status()}`);
  assert(
    page.url().startsWith(`${stack.emulatorUrl}/o/oauth2/v2/auth?`),
    `${name}: expected the emulator's consent page, got ${page.url()}`,
  );
  await page.locator("#consent-form").waitFor();
  return { context, page };
}

/** Clicks Allow or Deny and returns the app's answer at /oauth2callback/ (after the emulator's 302). */
async function decide(page, button) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().startsWith(`${stack.appUrl}/oauth2callback/`)),
    page.click(button),
  ]);
  await page.waitForLoadState("load");
  return response;
}

function screenshot(page, file) {
  return page.screenshot({ path: path.join(ARTIFACTS, file), fullPage: true });
}

async function api(method, route, token, body) {
  const response = await fetch(`${stack.appUrl}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      accept: "application/json",
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

async function main() {
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const file of readdirSync(ARTIFACTS)) rmSync(path.join(ARTIFACTS, file), { force: true });

  const installed = await check(`Chromium is installed (${CHROMIUM})`, () => {
    assert(
      existsSync(CHROMIUM),
      `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
    );
  });
  if (!installed) return;

  const ready = await check("app and Google emulator start under wrangler dev", async () => {
    stack = await startStack({
      root: ROOT,
      logDir: ARTIFACTS,
      deadline: Math.min(DEADLINE, STARTED + 75_000),
    });
    console.log(`    app ${stack.appUrl}, emulator ${stack.emulatorUrl}; process groups: ${stack.groups}`);
  });
  if (!ready) return;

  // The document is a static asset written by the [build] step (scripts/build-assets.mjs), which only a real
  // `wrangler dev` or deploy runs; the vitest suite reads the file through the ASSETS binding instead.
  await check("static assets: GET /openapi.json → 200 with an OpenAPI 3.1 document", async () => {
    const response = await fetch(`${stack.appUrl}/openapi.json`, { signal: AbortSignal.timeout(15_000) });
    const text = await response.text();
    assert(response.status === 200, `GET /openapi.json → ${response.status}: ${text.slice(0, 200)}`);
    const type = response.headers.get("content-type") ?? "";
    assert(type.startsWith("application/json"), `content-type ${type}`);
    const doc = JSON.parse(text);
    assert(/^3\.1\.\d+$/.test(doc.openapi), `openapi is ${JSON.stringify(doc.openapi)}`);
    assert(doc.paths?.["/api/events/"]?.post, "POST /api/events/ is not documented");
  });

  const launched = await check("Chromium launches", async () => {
    // playwright-core gives every launch a fresh temporary user-data dir and deletes it on close.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      timeout: 30_000,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    console.log(`    Chromium ${browser.version()}`);
  });
  if (!launched) return;

  // (a) Allow, with the calendar box ticked → success page with the API token.
  const email = "bob@example.com";
  let token;
  await check("consent: choose an account, Allow → success page with the API token", async () => {
    const { context, page } = await openConsent("allow");
    await page.check("#account-1");
    assert((await page.inputValue("#account-1")) === email, "account-1 is not bob@example.com");
    const calendarBox = page.locator("#scope-calendar-events");
    assert(
      (await calendarBox.getAttribute("value")) === CALENDAR_SCOPE,
      "calendar checkbox has the wrong scope",
    );
    assert(await calendarBox.isChecked(), "the calendar box is not ticked by default");
    // Availability's two read-only permissions, each with its own box (granular consent).
    for (const [id, scope] of [
      ["#scope-calendar-events-freebusy", FREEBUSY_SCOPE],
      ["#scope-calendar-calendarlist-readonly", CALENDAR_LIST_SCOPE],
    ]) {
      const box = page.locator(id);
      assert((await box.getAttribute("value")) === scope, `${id} has the wrong scope`);
      assert(await box.isChecked(), `${id} is not ticked by default`);
    }
    await screenshot(page, "1-consent.png");

    const response = await decide(page, "#allow");
    assert(response.status() === 200, `callback answered ${response.status()}: ${await page.content()}`);
    token = (await page.textContent("#api-token"))?.trim();
    const shown = (await page.textContent("#account-email"))?.trim();
    await screenshot(page, "2-connected.png");
    assert(token && token.length >= 20, `no API token on the success page (got ${JSON.stringify(token)})`);
    assert(shown === email, `success page shows ${shown}, expected ${email}`);
    await context.close();
  });

  // (b) The token works for the API, over plain HTTP.
  await check("API: POST /api/events/ with the token → 201 with a google_event_id", async () => {
    assert(token, "no API token from the consent step");
    const day = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const created = await api("POST", "/api/events/", token, {
      participants: ["guest-browser-test@example.com"],
      start_time: `${day}T10:00:00`,
      end_time: `${day}T10:30:00`,
      time_zone: "Europe/Berlin",
      summary: "Browser test booking",
    });
    assert(created.status === 201, `POST /api/events/ → ${created.status}: ${created.text}`);
    const googleId = created.json?.google_event_id;
    assert(typeof googleId === "string" && googleId.length > 0, `no google_event_id: ${created.text}`);
    // The event really is on the account's calendar at the emulator.
    const stored = await fetch(
      `${stack.emulatorUrl}/__emulator/accounts/${encodeURIComponent(email)}/events`,
    );
    const events = await stored.json();
    assert(
      events.some((event) => event.id === googleId),
      `event ${googleId} not found at the emulator for ${email}`,
    );
  });

  await check("API: GET /api/me with the token → connected", async () => {
    assert(token, "no API token from the consent step");
    const me = await api("GET", "/api/me", token);
    assert(me.status === 200, `GET /api/me → ${me.status}: ${me.text}`);
    assert(me.json?.google?.status === "connected", `google.status is not connected: ${me.text}`);
    assert(me.json?.account?.email === email, `account.email is not ${email}: ${me.text}`);
    assert(me.json?.google?.scopes?.includes(CALENDAR_SCOPE), `calendar scope missing: ${me.text}`);
  });

  await check("API: GET /api/availability and /api/calendars with the new scopes → 200", async () => {
    assert(token, "no API token from the consent step");
    const day = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const availability = await api(
      "GET",
      `/api/availability?from=${day}T08:00:00&to=${day}T18:00:00&time_zone=Europe/Berlin`,
      token,
    );
    assert(
      availability.status === 200,
      `GET /api/availability → ${availability.status}: ${availability.text}`,
    );
    assert(
      availability.json.busy.some(
        (b) => b.start === `${day}T10:00:00+01:00` || b.start.startsWith(`${day}T10:00:00`),
      ),
      `the booking made above is not busy: ${availability.text}`,
    );
    const calendars = await api("GET", "/api/calendars", token);
    assert(calendars.status === 200, `GET /api/calendars → ${calendars.status}: ${calendars.text}`);
    assert(
      calendars.json.calendars.some((c) => c.primary && c.id === email),
      `no primary calendar: ${calendars.text}`,
    );
  });

  // (e) An older grant: the free/busy box left unticked → 403 insufficient_scope; consenting again in the
  // browser (include_granted_scopes) adds it.
  await check(
    "incremental consent: free/busy unticked → 403; consent again → availability works",
    async () => {
      const other = "erin-browser-test@example.com";
      const first = await openConsent("without free/busy");
      await first.page.fill("#other-email", other);
      await first.page.uncheck("#scope-calendar-events-freebusy");
      await first.page.uncheck("#scope-calendar-calendarlist-readonly");
      const connected = await decide(first.page, "#allow");
      assert(connected.status() === 200, `callback answered ${connected.status()}`);
      const oldToken = (await first.page.textContent("#api-token"))?.trim();
      await first.context.close();
      const refused = await api(
        "GET",
        "/api/availability?from=2026-12-07T08:00:00Z&to=2026-12-07T09:00:00Z",
        oldToken,
      );
      assert(refused.status === 403, `availability before reconnect → ${refused.status}: ${refused.text}`);
      assert(refused.json?.code === "insufficient_scope", `code ${refused.json?.code}`);
      assert(refused.json?.authorize_url === "/api/google-auth/", `no reconnect URL: ${refused.text}`);

      const again = await openConsent("reconnect");
      assert(
        new URL(again.page.url()).searchParams.get("include_granted_scopes") === "true",
        "the reconnect does not ask for incremental authorization",
      );
      await again.page.fill("#other-email", other);
      await screenshot(again.page, "5-reconnect-consent.png");
      const reconnected = await decide(again.page, "#allow");
      assert(reconnected.status() === 200, `reconnect answered ${reconnected.status()}`);
      await again.context.close();
      const allowed = await api(
        "GET",
        "/api/availability?from=2026-12-07T08:00:00Z&to=2026-12-07T09:00:00Z",
        oldToken,
      );
      assert(allowed.status === 200, `availability after reconnect → ${allowed.status}: ${allowed.text}`);
    },
  );

  // (c) Deny → the app's error page.
  await check("consent: Deny → 403 error page with access_denied", async () => {
    const { context, page } = await openConsent("deny");
    await page.check("#account-2");
    const response = await decide(page, "#deny");
    await screenshot(page, "3-access-denied.png");
    assert(response.status() === 403, `callback answered ${response.status()}, expected 403`);
    const code = (await page.textContent("#error-code"))?.trim();
    assert(code === "access_denied", `error code on the page is ${JSON.stringify(code)}`);
    await context.close();
  });

  // (d) Allow with the calendar box unticked → insufficient_scope.
  await check("consent: calendar box unticked, Allow → 403 error page with insufficient_scope", async () => {
    const { context, page } = await openConsent("no calendar scope");
    await page.fill("#other-email", "dana-browser-test@example.com");
    await page.uncheck("#scope-calendar-events");
    const response = await decide(page, "#allow");
    await screenshot(page, "4-insufficient-scope.png");
    assert(response.status() === 403, `callback answered ${response.status()}, expected 403`);
    const code = (await page.textContent("#error-code"))?.trim();
    assert(code === "insufficient_scope", `error code on the page is ${JSON.stringify(code)}`);
    await context.close();
  });
}

try {
  await main();
} catch (error) {
  await check("test run", () => {
    throw error;
  });
}
if (results.some((result) => !result.ok) && stack) console.log(stack.tails());
clearTimeout(watchdog);
await shutdown();
finish();
