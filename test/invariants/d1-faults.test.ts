// Layer: contract over HTTP + emulator + D1 failures injected at the binding (test/support/d1-faults.ts) +
// sync + cron. When D1 fails after Google was written, the client gets 503 storage_unavailable and, once
// the reconciler ran, the event is in both Google and D1 or in neither; nothing is half-written. Plain
// creates (Google first, one batch) and keyed creates (intent first) are both covered.
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { api, problemOf } from "../support/app";
import { failD1Statements } from "../support/d1-faults";
import { createEvent, type EventJson } from "../support/events";
import { googleEventsOf, injectFault, takeNotifications, waitForGoogleIdle } from "../support/google";
import { runCron } from "../support/mail";
import { signIn } from "../support/sign-in";
import { deliverNotifications, eventually, syncSettled } from "../support/sync";

/** Completing a keyed create writes Google's fields onto the intent row. */
const CREATE_COMPLETION = /^update "events" set "ical_uid"/;
/** A plain create writes its row once, settled, after Google. */
const CREATED_ROW = /^insert into "events"/;
/** Any write to the events table (intent, completion, roll-back marks, deletes). */
const EVENTS_WRITE = /^(insert into|update|delete from) "events"/;

async function rowOf(accountId: string) {
  return env.DB.prepare("SELECT id, status, pending_op, start_time FROM events WHERE account_id = ?")
    .bind(accountId)
    .first<{ id: string; status: string; pending_op: string | null; start_time: string }>();
}

async function liveAtGoogle(email: string) {
  return (await googleEventsOf(email)).filter((e) => e.status !== "cancelled");
}

describe("D1 failing mid-write", () => {
  it("plain create: the one batch fails → 503; Google's event is cancelled; the reconciler double-checks", async ({
    expect,
  }) => {
    const user = await signIn();
    const fault = failD1Statements(CREATED_ROW, 1);
    const { res } = await createEvent(user.token);
    expect(res.status).toBe(503);
    const problem = await problemOf(res);
    expect(problem.code).toBe("storage_unavailable");
    expect(res.headers.get("retry-after")).toBe("5");
    expect(fault.failures).toBe(1);
    await waitForGoogleIdle(user.email);
    expect(await liveAtGoogle(user.email)).toEqual([]);
    // What is left is an abandon row, invisible to clients, which the reconciler removes.
    expect((await rowOf(user.accountId))?.pending_op).toBe("abandon");
    expect(
      ((await (await api("/api/events/", { token: user.token })).json()) as { events: EventJson[] }).events,
    ).toEqual([]);
    await runCron(5);
    expect(await rowOf(user.accountId)).toBeNull();
    expect(await liveAtGoogle(user.email)).toEqual([]);
  });

  it("plain create: D1 refuses every events write → 503; the event is still cancelled at Google: neither", async ({
    expect,
  }) => {
    const user = await signIn();
    const fault = failD1Statements(EVENTS_WRITE);
    const { res } = await createEvent(user.token);
    expect(res.status).toBe(503);
    expect(fault.failures).toBe(2);
    await waitForGoogleIdle(user.email);
    expect(await liveAtGoogle(user.email)).toEqual([]);
    expect(await rowOf(user.accountId)).toBeNull();
  });

  it("plain create: the Worker dies after Google answered (D1 and the cancel both fail): the sync finds the orphan and the reconciler removes it", async ({
    expect,
  }) => {
    const user = await signIn();
    await takeNotifications(user.email);
    const fault = failD1Statements(EVENTS_WRITE);
    await injectFault({ endpoint: "events.delete", account: user.email, status: 503, times: 3 });
    const { res } = await createEvent(user.token);
    expect(res.status).toBe(503);
    fault.heal();
    const [orphan] = await liveAtGoogle(user.email);
    expect(orphan).toBeDefined();
    expect(await rowOf(user.accountId)).toBeNull();
    // Google announces the insert; the sync sees an event with this service's marker and no row.
    await deliverNotifications(user.email);
    await syncSettled(user.accountId);
    await eventually(async () => (await rowOf(user.accountId))?.pending_op === "abandon");
    await runCron(5);
    expect(await rowOf(user.accountId)).toBeNull();
    expect(await liveAtGoogle(user.email)).toEqual([]);
  });

  it("keyed create: the completion batch fails → 503; Google's event is cancelled; after repair, neither", async ({
    expect,
  }) => {
    const user = await signIn();
    const fault = failD1Statements(CREATE_COMPLETION);
    const { res } = await createEvent(user.token, {}, { "idempotency-key": `k-${crypto.randomUUID()}` });
    expect(res.status).toBe(503);
    expect(fault.failures).toBe(1);
    fault.heal();
    await waitForGoogleIdle(user.email);
    expect(await liveAtGoogle(user.email)).toEqual([]);
    await runCron(5);
    expect(await rowOf(user.accountId)).toBeNull();
  });

  it("keyed create: D1 down for every events write after the intent → 503; the reconciler settles it", async ({
    expect,
  }) => {
    const user = await signIn();
    // Only the intent insert succeeds: every later write (completion, abandon mark) fails.
    let intents = 0;
    const fault = failD1Statements(
      (sql) => EVENTS_WRITE.test(sql) && !(sql.startsWith('insert into "events"') && intents++ === 0),
    );
    const { res } = await createEvent(user.token, {}, { "idempotency-key": `k-${crypto.randomUUID()}` });
    expect(res.status).toBe(503);
    expect(fault.failures).toBeGreaterThanOrEqual(2);
    fault.heal();
    await waitForGoogleIdle(user.email);
    // The roll-back at Google happened even though D1 could not record it.
    expect(await liveAtGoogle(user.email)).toEqual([]);
    expect((await rowOf(user.accountId))?.pending_op).toBe("create");
    await runCron(5);
    expect(await rowOf(user.accountId)).toBeNull();
    expect(await liveAtGoogle(user.email)).toEqual([]);
  });

  it("keyed create: the intent cannot be written → 503 and nothing at Google", async ({ expect }) => {
    const user = await signIn();
    failD1Statements(/^insert into "events"/);
    const { res } = await createEvent(user.token, {}, { "idempotency-key": `k-${crypto.randomUUID()}` });
    expect(res.status).toBe(503);
    expect(await googleEventsOf(user.email)).toEqual([]);
    expect(await rowOf(user.accountId)).toBeNull();
  });

  it("reschedule: the completion fails → 503; the reconciler completes it from Google: both moved", async ({
    expect,
  }) => {
    const user = await signIn();
    const { event } = await createEvent(user.token, {
      start_time: "2026-12-01T10:00:00Z",
      end_time: "2026-12-01T11:00:00Z",
      time_zone: "UTC",
    });
    // The completion of an update writes the new fields and Google's onto the row.
    const fault = failD1Statements(/^update "events" set "ical_uid".*"summary"/);
    const res = await api(`/api/events/${event.id}`, {
      method: "PATCH",
      token: user.token,
      body: { start_time: "2026-12-02T10:00:00Z", end_time: "2026-12-02T11:00:00Z" },
    });
    expect(res.status).toBe(503);
    expect(fault.failures).toBe(1);
    fault.heal();
    const [atGoogle] = await googleEventsOf(user.email);
    expect(atGoogle?.start.dateTime).toBe("2026-12-02T10:00:00Z");
    expect((await rowOf(user.accountId))?.pending_op).toBe("update");
    await runCron(5);
    const row = await rowOf(user.accountId);
    expect(row).toMatchObject({ pending_op: null, start_time: "2026-12-02T10:00:00.000Z" });
  });

  it("cancel: the completion fails → 503; the reconciler completes it: both cancelled", async ({
    expect,
  }) => {
    const user = await signIn();
    const { event } = await createEvent(user.token);
    const fault = failD1Statements(/^update "events" set "status"/);
    const res = await api(`/api/events/${event.id}`, { method: "DELETE", token: user.token });
    expect(res.status).toBe(503);
    fault.heal();
    expect((await googleEventsOf(user.email))[0]?.status).toBe("cancelled");
    await runCron(5);
    expect(await rowOf(user.accountId)).toMatchObject({ status: "cancelled", pending_op: null });
    const shown = (await (await api(`/api/events/${event.id}`, { token: user.token })).json()) as EventJson;
    expect(shown.status).toBe("cancelled");
    expect(shown.emails.filter((m) => m.kind === "cancelled")).toHaveLength(shown.participants.length);
  });
});
