// Layer: contract over HTTP (exports.default.fetch), property-based (fast-check) with the Google emulator and
// local D1/KV. POST /webhooks/google, the only route anyone on the internet can call without a token,
// under forged notifications: unknown channels, guessed tokens, real channels with wrong tokens or replayed
// message numbers, odd states, methods, bodies and header abuse. Never a 5xx; nothing is ever scheduled.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, it } from "vitest";
import { asciiText, mostlyMethod, noiseHeaders } from "../support/arbitraries";
import { takeNotifications } from "../support/google";
import { runRouteProperty, toRequest, WriteWatch } from "../support/hostile";
import { signIn } from "../support/sign-in";
import { deliver } from "../support/sync";

/** The sync state a notification could change: message numbers seen, syncs requested or queued. */
async function syncState(): Promise<string> {
  const [channels, syncs] = await env.DB.batch([
    env.DB.prepare("SELECT id, last_message_number FROM watch_channels ORDER BY id"),
    env.DB.prepare(
      "SELECT account_id, calendar_id, sync_requested_at, sync_enqueued_at, sync_token FROM calendar_syncs ORDER BY account_id",
    ),
  ]);
  return JSON.stringify([channels!.results, syncs!.results]);
}

// Never a fresh number above 1: with the real channel and token that would be a genuine notification.
const messageNumber = fc
  .oneof(
    fc.constantFrom("1", "01", "0", "-1", "1.0", " 1", "1 ", "", "NaN", "0x1", "1e0", "9".repeat(40)),
    asciiText(10),
  )
  .filter((n) => !/^\d{1,15}$/.test(n) || Number(n) <= 1);

describe("POST /webhooks/google under hostile input", () => {
  it("never 5xx; forged, guessed and replayed notifications are refused or change nothing", {
    timeout: 240_000,
  }, async ({ expect }) => {
    // A real channel whose first (sync) message was delivered: its number 1 is spent.
    const user = await signIn();
    const [first] = await takeNotifications(user.email);
    if (!first) throw new Error("no sync notification held");
    expect((await deliver(first)).status).toBe(204);
    const real = first.headers;
    const before = await syncState();
    const watch = new WriteWatch();
    watch.track(user);
    await watch.baseline();

    const tally = await runRouteProperty({
      expect,
      watch,
      every: 100,
      cases: fc.record({
        method: mostlyMethod("POST", "GET", "PUT", "DELETE", "post"),
        path: fc.constantFrom(
          "/webhooks/google",
          "/webhooks/google/",
          "/webhooks/google",
          "/webhooks//google",
          "/webhooks/goog1e",
        ),
        channel: fc.oneof(
          { weight: 4, arbitrary: fc.constant(real["X-Goog-Channel-ID"]!) },
          { weight: 2, arbitrary: fc.uuid() },
          { weight: 1, arbitrary: fc.oneof(asciiText(80), fc.constant("")) },
        ),
        token: fc.oneof(
          { weight: 3, arbitrary: fc.constant(real["X-Goog-Channel-Token"]!) },
          { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/) },
          { weight: 1, arbitrary: fc.oneof(asciiText(300), fc.constant("")) },
        ),
        resource: fc.oneof(fc.constant(real["X-Goog-Resource-ID"]!), asciiText(30)),
        state: fc.constantFrom("exists", "exists", "sync", "not_exists", "", "EXISTS", "gone"),
        number: messageNumber,
        drop: fc.subarray(
          ["X-Goog-Channel-ID", "X-Goog-Channel-Token", "X-Goog-Resource-ID", "X-Goog-Message-Number"],
          {
            maxLength: 2,
          },
        ),
        body: fc.option(
          fc.oneof(
            asciiText(200),
            fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
          ),
          {
            nil: undefined,
          },
        ),
        noise: noiseHeaders,
      }),
      prepare: (c) => {
        const headers: [string, string][] = [
          ["X-Goog-Channel-ID", c.channel],
          ["X-Goog-Channel-Token", c.token],
          ["X-Goog-Resource-ID", c.resource],
          ["X-Goog-Resource-State", c.state],
          ["X-Goog-Message-Number", c.number],
          ["X-Goog-Resource-URI", real["X-Goog-Resource-URI"] ?? ""],
          ...c.noise,
        ].filter(([name]) => !c.drop.includes(name ?? "")) as [string, string][];
        const request = toRequest({
          method: c.method,
          target: c.path,
          headers,
          ...(c.body !== undefined ? { body: c.body } : {}),
        });
        return { request };
      },
      check: (answer, { request }) => {
        const route = /^\/webhooks\/google\/?$/.test(new URL(request.url).pathname);
        if (!route || request.method !== "POST") return expect(answer.code).toBe("not_found");
        // Only the real channel, its real token and a replayed number get past the checks: acknowledged.
        if (answer.status === 204) {
          expect(request.headers.get("x-goog-channel-token")).toBe(real["X-Goog-Channel-Token"]);
          return;
        }
        expect(answer.status).toBe(403);
        expect(answer.code).toBe("notification_rejected");
        expect((answer.json as { detail: string }).detail).toBe("Notification rejected");
      },
    });
    expect(tally.count("notification_rejected")).toBeGreaterThan(tally.total / 4);
    expect(await syncState()).toBe(before);
  });
});
