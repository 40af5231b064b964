// Layer: pure module: createGoogleEmulator in-process in push mode, with its own clock and a captured pushFetch.
import { describe, it } from "vitest";
import { createGoogleEmulator, type EmulatorOptions, type GoogleEmulator } from "../../emulator/src/emulator";
import { CALENDAR_SCOPE, pkcePair } from "./google-client";

const CLIENT = {
  clientId: "push.apps.googleusercontent.com",
  clientSecret: "secret",
  redirectUris: ["https://push.test/cb"],
};
const GOOGLE = "https://www.googleapis.com";

interface Pushed {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

function setup(
  options: Partial<EmulatorOptions> = {},
  answer: (request: Request) => Promise<Response> | Response = () => new Response(null, { status: 200 }),
) {
  let now = Date.parse("2026-06-01T12:00:00Z");
  const pushed: Pushed[] = [];
  const work: Promise<unknown>[] = [];
  const emulator = createGoogleEmulator({
    clients: [CLIENT],
    now: () => now,
    notifications: "push",
    pushFetch: async (request) => {
      pushed.push({
        url: request.url,
        method: request.method,
        headers: Object.fromEntries(request.headers),
        body: await request.text(),
      });
      return answer(request);
    },
    ...options,
  });
  const background = { waitUntil: (promise: Promise<unknown>) => void work.push(promise) };
  return {
    emulator,
    pushed,
    background,
    /** Waits for every delivery registered so far. */
    settle: () => Promise.all(work),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

async function signIn(emulator: GoogleEmulator, email: string): Promise<string> {
  const { verifier, challenge } = await pkcePair();
  const consent = await emulator.fetch(
    new Request("https://accounts.google.com/o/oauth2/v2/auth/approve", {
      method: "POST",
      body: new URLSearchParams({
        client_id: CLIENT.clientId,
        redirect_uri: CLIENT.redirectUris[0] ?? "",
        response_type: "code",
        scope: `openid email ${CALENDAR_SCOPE}`,
        code_challenge: challenge,
        code_challenge_method: "S256",
        access_type: "offline",
        email,
        decision: "allow",
        granted_scope: CALENDAR_SCOPE,
      }),
    }),
  );
  const code = new URL(consent.headers.get("location") ?? "").searchParams.get("code") ?? "";
  const tokens = await emulator.fetch(
    new Request("https://oauth2.googleapis.com/token", {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        code_verifier: verifier,
        redirect_uri: CLIENT.redirectUris[0] ?? "",
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
      }),
    }),
  );
  return ((await tokens.json()) as { access_token: string }).access_token;
}

function api(
  emulator: GoogleEmulator,
  background: { waitUntil(p: Promise<unknown>): void },
  token: string,
  path: string,
  body?: unknown,
) {
  return emulator.fetch(
    new Request(`${GOOGLE}/calendar/v3${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
    background,
  );
}

const EVENT = { start: { dateTime: "2026-12-01T10:00:00Z" }, end: { dateTime: "2026-12-01T11:00:00Z" } };

async function recordsOf(emulator: GoogleEmulator, email: string) {
  const res = await emulator.fetch(new Request(`${GOOGLE}/__emulator/accounts/${email}/notifications`));
  return (await res.json()) as Array<{ state: string; delivery: string; status?: number; error?: string }>;
}

describe("push mode", () => {
  it("POSTs the sync and every change to the address with Google's headers and an empty body", async ({
    expect,
  }) => {
    const { emulator, pushed, background, settle } = setup();
    const token = await signIn(emulator, "alice@example.com");
    const watch = await api(emulator, background, token, "/calendars/primary/events/watch", {
      id: "chan-1",
      type: "web_hook",
      address: "https://app.test/webhooks/google?x=1",
      token: "tok",
    });
    expect(watch.status).toBe(200);
    const channel = (await watch.json()) as { resourceId: string; expiration: string };
    expect(Number(channel.expiration)).toBe(Date.parse("2026-06-01T12:00:00Z") + 604_800_000);
    await api(emulator, background, token, "/calendars/primary/events", EVENT);
    await settle();
    expect(pushed).toEqual([
      {
        url: "https://app.test/webhooks/google?x=1",
        method: "POST",
        body: "",
        headers: {
          "x-goog-channel-id": "chan-1",
          "x-goog-channel-token": "tok",
          "x-goog-channel-expiration": "Mon, 08 Jun 2026 12:00:00 GMT",
          "x-goog-resource-id": channel.resourceId,
          "x-goog-resource-uri": "https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json",
          "x-goog-resource-state": "sync",
          "x-goog-message-number": "1",
        },
      },
      expect.objectContaining({
        headers: expect.objectContaining({ "x-goog-resource-state": "exists" }),
      }),
    ]);
    expect(Number(pushed[1]?.headers["x-goog-message-number"])).toBeGreaterThan(1);
    expect((await recordsOf(emulator, "alice@example.com")).map((r) => [r.delivery, r.status])).toEqual([
      ["delivered", 200],
      ["delivered", 200],
    ]);
  });

  it("does not wait for the webhook: the Calendar call answers while the push is still in flight", async ({
    expect,
  }) => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { emulator, background, settle } = setup({}, async () => {
      await gate;
      return new Response(null, { status: 500 });
    });
    const token = await signIn(emulator, "bob@example.com");
    const watch = await api(emulator, background, token, "/calendars/primary/events/watch", {
      id: "chan-2",
      type: "web_hook",
      address: "https://app.test/hook",
    });
    expect(watch.status).toBe(200);
    expect((await recordsOf(emulator, "bob@example.com")).map((r) => r.delivery)).toEqual(["pending"]);
    release();
    await settle();
    expect(await recordsOf(emulator, "bob@example.com")).toMatchObject([
      { delivery: "delivered", status: 500 },
    ]);
  });

  it("records a failed delivery, and drops and delays by fault", async ({ expect }) => {
    const { emulator, pushed, background, settle } = setup({}, () => {
      throw new TypeError("fetch failed");
    });
    const token = await signIn(emulator, "carol@example.com");
    const faults = `${GOOGLE}/__emulator/accounts/carol%40example.com/notifications/faults`;
    await emulator.fetch(
      new Request(faults, { method: "POST", body: JSON.stringify({ drop: true, times: 1 }) }),
    );
    await emulator.fetch(
      new Request(faults, { method: "POST", body: JSON.stringify({ delayMs: 50, times: 1 }) }),
    );
    await api(emulator, background, token, "/calendars/primary/events/watch", {
      id: "chan-3",
      type: "web_hook",
      address: "https://app.test/hook",
    });
    await api(emulator, background, token, "/calendars/primary/events", EVENT);
    await api(emulator, background, token, "/calendars/primary/events", EVENT);
    const started = Date.now();
    await settle();
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect(pushed).toHaveLength(2);
    expect(await recordsOf(emulator, "carol@example.com")).toMatchObject([
      { state: "sync", delivery: "dropped" },
      { state: "exists", delivery: "failed", error: "TypeError: fetch failed" },
      { state: "exists", delivery: "failed" },
    ]);
  });

  it("a channel expires after its ttl on the emulator's clock", async ({ expect }) => {
    const { emulator, pushed, background, settle, advance } = setup();
    const token = await signIn(emulator, "alice@example.com");
    await api(emulator, background, token, "/calendars/primary/events/watch", {
      id: "chan-4",
      type: "web_hook",
      address: "https://app.test/hook",
      params: { ttl: "60" },
    });
    advance(60_000);
    await api(emulator, background, token, "/calendars/primary/events", EVENT);
    await settle();
    expect(pushed.map((p) => p.headers["x-goog-resource-state"])).toEqual(["sync"]);
    const reuse = await api(emulator, background, token, "/calendars/primary/events/watch", {
      id: "chan-4",
      type: "web_hook",
      address: "https://app.test/hook",
    });
    expect(reuse.status).toBe(200);
  });

  it("allowHttpAddresses accepts http://localhost and 127.0.0.1, never another http host", async ({
    expect,
  }) => {
    const { emulator, background } = setup({ allowHttpAddresses: true });
    const token = await signIn(emulator, "alice@example.com");
    const watch = (id: string, address: string) =>
      api(emulator, background, token, "/calendars/primary/events/watch", { id, type: "web_hook", address });
    expect((await watch("a", "http://localhost:8787/webhooks/google")).status).toBe(200);
    expect((await watch("b", "http://127.0.0.1:8787/webhooks/google")).status).toBe(200);
    const other = await watch("c", "http://app.test/hook");
    expect(other.status).toBe(400);
    expect(
      ((await other.json()) as { error: { errors: Array<{ reason: string }> } }).error.errors[0]?.reason,
    ).toBe("push.webhookUrlNotHttps");
  });
});
