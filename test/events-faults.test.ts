// Layer: contract over HTTP with Google faults injected in the emulator; reconciler via the Worker's
// scheduled handler. Invariant checked after each: the event is in both Google and D1, or in neither.
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, type ExpectStatic, it } from "vitest";
import worker from "../src/index";
import { api, problemOf } from "./support/app";
import { createEvent, type EventJson } from "./support/events";
import {
  callsOf,
  expireAccessTokens,
  googleEventsOf,
  injectFault,
  waitForGoogleIdle,
} from "./support/google";
import { signIn } from "./support/sign-in";

/** Runs the cron handler as if it fired `minutesLater` from now (intents older than 2 min are stale). */
async function runCron(minutesLater = 5): Promise<void> {
  const controller = createScheduledController({
    scheduledTime: Date.now() + minutesLater * 60_000,
    cron: "* * * * *",
  });
  await worker.scheduled(controller, env, createExecutionContext());
}

async function d1Rows(accountId: string) {
  const { results } = await env.DB.prepare(
    "SELECT id, google_event_id, status, pending_op FROM events WHERE account_id = ?",
  )
    .bind(accountId)
    .all<{ id: string; google_event_id: string; status: string; pending_op: string | null }>();
  return results;
}

/** Both stores agree: every live Google event has a settled D1 row and vice versa. */
async function expectConsistent(expect: ExpectStatic, user: { email: string; accountId: string }) {
  const google = (await googleEventsOf(user.email))
    .filter((e) => e.status !== "cancelled")
    .map((e) => e.id)
    .sort();
  const rows = await d1Rows(user.accountId);
  expect(rows.filter((r) => r.pending_op !== null)).toEqual([]);
  expect(
    rows
      .filter((r) => r.status === "confirmed")
      .map((r) => r.google_event_id)
      .sort(),
  ).toEqual(google);
}

describe("create under Google faults", () => {
  it("500 from insert: retried once, then 502; nothing anywhere", async ({ expect }) => {
    const user = await signIn();
    await injectFault({ endpoint: "events.insert", account: user.email, status: 500, times: 5 });
    const { res } = await createEvent(user.token);
    expect(res.status).toBe(502);
    expect((await problemOf(res)).code).toBe("google_unavailable");
    await runCron();
    await expectConsistent(expect, user);
    expect(await d1Rows(user.accountId)).toEqual([]);
  });

  it("one 500 then success: the retry creates exactly one event", async ({ expect }) => {
    const user = await signIn();
    await injectFault({ endpoint: "events.insert", account: user.email, status: 500, times: 1 });
    const { res } = await createEvent(user.token);
    expect(res.status).toBe(201);
    expect(await googleEventsOf(user.email)).toHaveLength(1);
  });

  it("500 after Google really created it: the retry meets 409 and reads the same event", async ({
    expect,
  }) => {
    const user = await signIn();
    await injectFault({ endpoint: "events.insert", account: user.email, status: 500, afterRealCall: true });
    const { res, event } = await createEvent(user.token);
    expect(res.status).toBe(201);
    const google = await googleEventsOf(user.email);
    expect(google.map((e) => e.id)).toEqual([event.google_event_id]);
  });

  it("429 with Retry-After: backs off, then 503 with Retry-After", async ({ expect }) => {
    const user = await signIn();
    await injectFault({
      endpoint: "events.insert",
      account: user.email,
      status: 429,
      headers: { "retry-after": "30" },
      times: 5,
    });
    const { res } = await createEvent(user.token);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("30");
    expect((await problemOf(res)).code).toBe("google_rate_limited");
    expect(await d1Rows(user.accountId)).toEqual([]);
  });

  it("403 rateLimitExceeded twice then success: backoff gets it through", async ({ expect }) => {
    const user = await signIn();
    await injectFault({
      endpoint: "events.insert",
      account: user.email,
      status: 403,
      times: 2,
      body: {
        error: {
          code: 403,
          message: "Rate Limit Exceeded",
          errors: [{ domain: "usageLimits", reason: "rateLimitExceeded", message: "Rate Limit Exceeded" }],
        },
      },
    });
    const { res } = await createEvent(user.token);
    expect(res.status).toBe(201);
    expect(await callsOf(user.email, "events.insert")).toHaveLength(3);
  });

  it("timeout: 504, and the late Google event is rolled back by the reconciler", async ({ expect }) => {
    const user = await signIn();
    await injectFault({ endpoint: "events.insert", account: user.email, delayMs: 2500 });
    const { res } = await createEvent(user.token);
    expect(res.status).toBe(504);
    expect((await problemOf(res)).code).toBe("google_timeout");
    await waitForGoogleIdle(user.email);
    await runCron();
    await expectConsistent(expect, user);
  });

  it("dropped connection: 502, nothing left behind", async ({ expect }) => {
    const user = await signIn();
    await injectFault({ endpoint: "events.insert", account: user.email, drop: true });
    const { res } = await createEvent(user.token);
    expect(res.status).toBe(502);
    await runCron();
    await expectConsistent(expect, user);
  });

  it("401 (token expired at Google): one forced refresh, then success", async ({ expect }) => {
    const user = await signIn();
    await expireAccessTokens(user.email);
    const { res } = await createEvent(user.token);
    expect(res.status).toBe(201);
    const refreshes = (await callsOf(user.email, "token")).filter((c) => c.grantType === "refresh_token");
    expect(refreshes).toHaveLength(1);
    expect((await callsOf(user.email, "events.insert")).map((c) => c.status)).toEqual([401, 200]);
  });

  it("a revoked grant answers 403 reauthorization_required, never a 5xx", async ({ expect }) => {
    const user = await signIn();
    const { revokeGrantsAtGoogle } = await import("./support/google");
    await revokeGrantsAtGoogle(user.email);
    const { res } = await createEvent(user.token);
    expect(res.status).toBe(403);
    expect((await problemOf(res)).code).toBe("reauthorization_required");
    expect(await d1Rows(user.accountId)).toEqual([]);
    const me = (await (await api("/api/me", { token: user.token })).json()) as { google: { status: string } };
    expect(me.google.status).toBe("reauthorization_required");
  });
});

describe("a crash between Google and D1, repaired by the reconciler", () => {
  it("rolls back a create whose answer was lost and whose rollback could not reach Google", async ({
    expect,
  }) => {
    const user = await signIn();
    // The state a crash leaves: the intent row written, Google's insert done, completion never written.
    await injectFault({ endpoint: "events.insert", account: user.email, drop: true, afterRealCall: true });
    const { res } = await createEvent(user.token, {}, { "idempotency-key": "crash-1" });
    expect(res.status).toBe(502);
    // The in-request rollback could not reach Google either.
    const rows = await d1Rows(user.accountId);
    expect(rows).toHaveLength(1);
    await runCron();
    await expectConsistent(expect, user);
  });

  it("completes an intent whose request died after Google's insert", async ({ expect }) => {
    const user = await signIn();
    const { res, event } = await createEvent(user.token);
    expect(res.status).toBe(201);
    // Simulate the crash: put the row back in its pre-completion state.
    await env.DB.prepare("UPDATE events SET pending_op = 'create', pending_since = ? WHERE id = ?")
      .bind(new Date().toISOString(), event.id)
      .run();
    expect((await api(`/api/events/${event.id}`, { token: user.token })).status).toBe(404);
    await runCron();
    const read = await api(`/api/events/${event.id}`, { token: user.token });
    expect(read.status).toBe(200);
    await expectConsistent(expect, user);
  });

  it("drops an intent Google never received", async ({ expect }) => {
    const user = await signIn();
    const { event } = await createEvent(user.token);
    await env.DB.prepare(
      "UPDATE events SET pending_op = 'create', pending_since = ?, google_event_id = 'ce00000000neverinserted' WHERE id = ?",
    )
      .bind(new Date().toISOString(), event.id)
      .run();
    await runCron();
    expect((await d1Rows(user.accountId)).map((r) => r.id)).not.toContain(event.id);
  });
});

describe("reschedule and cancel under Google faults", () => {
  for (const [name, fault, status] of [
    ["500", { status: 500, times: 5 }, 502],
    ["429", { status: 429, headers: { "retry-after": "60" }, times: 5 }, 503],
    ["timeout", { delayMs: 2500 }, 504],
  ] as const) {
    it(`PATCH with ${name}: ${status}, and D1 ends up matching Google`, async ({ expect }) => {
      const user = await signIn();
      const { event } = await createEvent(user.token);
      await injectFault({ endpoint: "events.patch", account: user.email, ...fault });
      const res = await api(`/api/events/${event.id}`, {
        method: "PATCH",
        token: user.token,
        body: { summary: "Moved" },
      });
      expect(res.status).toBe(status);
      await waitForGoogleIdle(user.email);
      await runCron();
      const [google] = await googleEventsOf(user.email);
      const read = (await (await api(`/api/events/${event.id}`, { token: user.token })).json()) as EventJson;
      expect(read.summary).toBe(google!.summary);
      await expectConsistent(expect, user);
    });

    it(`DELETE with ${name}: ${status}, and D1 ends up matching Google`, async ({ expect }) => {
      const user = await signIn();
      const { event } = await createEvent(user.token);
      await injectFault({ endpoint: "events.delete", account: user.email, ...fault });
      const res = await api(`/api/events/${event.id}`, { method: "DELETE", token: user.token });
      expect(res.status).toBe(status);
      await waitForGoogleIdle(user.email);
      await runCron();
      const [google] = await googleEventsOf(user.email);
      const read = (await (await api(`/api/events/${event.id}`, { token: user.token })).json()) as EventJson;
      expect(read.status).toBe(google!.status);
    });
  }

  it("PATCH after a 401: one refresh, then success", async ({ expect }) => {
    const user = await signIn();
    const { event } = await createEvent(user.token);
    await expireAccessTokens(user.email);
    const res = await api(`/api/events/${event.id}`, {
      method: "PATCH",
      token: user.token,
      body: { summary: "After 401" },
    });
    expect(res.status).toBe(200);
    expect((await callsOf(user.email, "events.patch")).map((c) => c.status)).toEqual([401, 200]);
  });

  it("DELETE after a 401: one refresh, then success", async ({ expect }) => {
    const user = await signIn();
    const { event } = await createEvent(user.token);
    await expireAccessTokens(user.email);
    const res = await api(`/api/events/${event.id}`, { method: "DELETE", token: user.token });
    expect(res.status).toBe(204);
    expect((await callsOf(user.email, "events.delete")).map((c) => c.status)).toEqual([401, 204]);
  });

  it("PATCH when the event was edited in Google Calendar (412): applies over the newer copy", async ({
    expect,
  }) => {
    const user = await signIn();
    const { event } = await createEvent(user.token);
    await injectFault({ endpoint: "events.patch", account: user.email, status: 412 });
    const res = await api(`/api/events/${event.id}`, {
      method: "PATCH",
      token: user.token,
      body: { summary: "Ours" },
    });
    expect(res.status).toBe(200);
    const [google] = await googleEventsOf(user.email);
    expect(google!.summary).toBe("Ours");
  });
});
