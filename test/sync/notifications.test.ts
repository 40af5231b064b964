// Layer: contract over HTTP + emulator + queue + cron: what a push notification may and may not cause.
// Forged ones change nothing; a burst costs one or two syncs; a lost one is caught by the periodic sync;
// a 410 from Google starts a full resync that duplicates nothing.
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { api } from "../support/app";
import { createEvent, type EventJson } from "../support/events";
import {
  callsOf,
  expireSyncTokens,
  failNotifications,
  notificationsOf,
  respondAsAttendee,
  takeNotifications,
} from "../support/google";
import { runCron } from "../support/mail";
import { newEmail, signIn } from "../support/sign-in";
import { deliver, deliverNotifications, eventually, syncRuns, syncSettled } from "../support/sync";

async function readEvent(token: string, id: string) {
  return (await (await api(`/api/events/${id}`, { token })).json()) as EventJson;
}

async function bookedAndSynced() {
  const ada = newEmail("ada");
  const user = await signIn();
  const { event } = await createEvent(user.token, { participants: [ada] });
  await deliverNotifications(user.email);
  await syncSettled(user.accountId);
  return { user, event, ada };
}

async function answerOf(token: string, id: string, email: string): Promise<string | undefined> {
  return (await readEvent(token, id)).attendees.find((a) => a.email === email)?.response_status;
}

async function rowsOf(accountId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM events WHERE account_id = ?")
    .bind(accountId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

describe("forged notifications change nothing", () => {
  it("unknown channel, wrong token, wrong resource, missing or bad headers: 403, no sync", async ({
    expect,
  }) => {
    const { user, event, ada } = await bookedAndSynced();
    await respondAsAttendee(user.email, event.google_event_id, ada, "declined");
    const [real] = await takeNotifications(user.email);
    if (!real) throw new Error("no notification held");
    const runsBefore = await syncRuns(user.email);
    const forged = [
      { ...real.headers, "X-Goog-Channel-ID": crypto.randomUUID() },
      { ...real.headers, "X-Goog-Channel-Token": "guessed-token" },
      { ...real.headers, "X-Goog-Resource-ID": "another-resource" },
      { ...real.headers, "X-Goog-Message-Number": "not-a-number" },
      Object.fromEntries(Object.entries(real.headers).filter(([name]) => name !== "X-Goog-Channel-Token")),
      {},
    ];
    for (const headers of forged) {
      const res = await deliver({ ...real, headers });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      const problem = (await res.json()) as { code: string; detail: string };
      expect(problem.code).toBe("notification_rejected");
      expect(problem.detail).toBe("Notification rejected");
    }
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await syncRuns(user.email)).toBe(runsBefore);
    expect(await answerOf(user.token, event.id, ada)).toBe("needs_action");

    // The genuine one still works, once.
    expect((await deliver(real)).status).toBe(204);
    await eventually(async () => (await answerOf(user.token, event.id, ada)) === "declined");
  });

  it("a replayed message number (a copy of an accepted notification) schedules nothing", async ({
    expect,
  }) => {
    const { user, event, ada } = await bookedAndSynced();
    await respondAsAttendee(user.email, event.google_event_id, ada, "accepted");
    const [real] = await takeNotifications(user.email);
    if (!real) throw new Error("no notification held");
    expect((await deliver(real)).status).toBe(204);
    await eventually(async () => (await answerOf(user.token, event.id, ada)) === "accepted");
    await syncSettled(user.accountId);
    const runsBefore = await syncRuns(user.email);
    for (let i = 0; i < 3; i++) expect((await deliver(real)).status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await syncRuns(user.email)).toBe(runsBefore);
  });
});

describe("coalescing", () => {
  it("50 notifications for one account within a second cost one or two syncs", async ({ expect }) => {
    const { user, event, ada } = await bookedAndSynced();
    const answers = ["accepted", "declined", "tentative"] as const;
    for (let i = 0; i < 50; i++) {
      await respondAsAttendee(user.email, event.google_event_id, ada, answers[i % 3]!);
    }
    const burst = await takeNotifications(user.email);
    expect(burst).toHaveLength(50);
    const runsBefore = await syncRuns(user.email);
    const started = Date.now();
    const statuses = await Promise.all(burst.map((n) => deliver(n).then((r) => r.status)));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(new Set(statuses)).toEqual(new Set([204]));
    await eventually(async () => (await answerOf(user.token, event.id, ada)) === answers[49 % 3]);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await syncSettled(user.accountId);
    const runs = (await syncRuns(user.email)) - runsBefore;
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThanOrEqual(2);
  });
});

describe("repair", () => {
  it("a lost notification is caught by the periodic sync", async ({ expect }) => {
    const { user, event, ada } = await bookedAndSynced();
    await failNotifications(user.email, { drop: true, times: 1 });
    await respondAsAttendee(user.email, event.google_event_id, ada, "declined");
    expect(await takeNotifications(user.email)).toEqual([]);
    expect((await notificationsOf(user.email)).at(-1)?.delivery).toBe("dropped");
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await answerOf(user.token, event.id, ada)).toBe("needs_action");

    // Nothing within the quarter hour; past it, the cron's periodic sync.
    await runCron(5);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await answerOf(user.token, event.id, ada)).toBe("needs_action");
    await runCron(16);
    await eventually(async () => (await answerOf(user.token, event.id, ada)) === "declined");
  });

  it("a 410 from Google starts a full resync that creates no duplicate rows", async ({ expect }) => {
    const { user, event, ada } = await bookedAndSynced();
    const rowsBefore = await rowsOf(user.accountId);
    await expireSyncTokens(user.email);
    await respondAsAttendee(user.email, event.google_event_id, ada, "tentative");
    await deliverNotifications(user.email);
    await eventually(async () => (await answerOf(user.token, event.id, ada)) === "tentative");
    await syncSettled(user.accountId);
    expect((await callsOf(user.email, "events.list")).map((c) => c.status)).toContain(410);
    // Again, with nothing new in Google: the full listing finds nothing to write.
    const before = await readEvent(user.token, event.id);
    await expireSyncTokens(user.email);
    await runCron(16);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await syncSettled(user.accountId);
    const after = await readEvent(user.token, event.id);
    expect(after.updated_at).toBe(before.updated_at);
    expect(after.changed_in_google_at).toBe(before.changed_in_google_at);
    expect(await rowsOf(user.accountId)).toBe(rowsBefore);
    const listed = await env.DB.prepare(
      "SELECT last_error, sync_token FROM calendar_syncs WHERE account_id = ?",
    )
      .bind(user.accountId)
      .first<{ last_error: string | null; sync_token: string | null }>();
    expect(listed).toEqual({ last_error: null, sync_token: expect.any(String) });
  });
});
