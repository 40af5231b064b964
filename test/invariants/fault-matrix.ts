// The fault matrix, shared by the test files beside it (split so vitest runs them in parallel): faults
// injected at every Google step and at MAILER, then the reconciler and the mail queue left to run, and the
// product's invariants checked: every event is in both Google and D1 or in neither; no Google event twice;
// each recipient is mailed once per change; and the client was told the truth (2xx = done, a definite
// refusal = not done).
import { env } from "cloudflare:workers";
import { describe, type ExpectStatic, it, vi } from "vitest";
import { parseConfig } from "../../src/config";
import { createTokenStore } from "../../src/tokens/token-store";
import { api } from "../support/app";
import { createEvent, type EventJson } from "../support/events";
import { type FaultSpec, googleEventsOf, injectFault, waitForGoogleIdle } from "../support/google";
import { icsOf, outboxRows, runCron, watchMail } from "../support/mail";
import { type SignedIn, signIn } from "../support/sign-in";

type Fault = Omit<FaultSpec, "endpoint" | "account">;

/** What each fault looks like to the client when the step cannot recover, and whether the outcome is known. */
const FAULTS: [name: string, fault: Fault, definite: boolean][] = [
  ["500", { status: 500, times: 3 }, false],
  ["503", { status: 503, times: 3 }, false],
  ["429 with Retry-After", { status: 429, headers: { "retry-after": "30" }, times: 3 }, true],
  ["401", { status: 401, times: 1 }, false],
  ["timeout", { delayMs: 2_500 }, false],
  ["dropped connection", { drop: true }, false],
  ["500 after doing it", { status: 500, afterRealCall: true, times: 3 }, false],
];

export type Step = "create" | "reschedule" | "cancel" | "refresh";

async function d1Events(accountId: string) {
  const { results } = await env.DB.prepare(
    "SELECT id, google_event_id, status, summary, pending_op FROM events WHERE account_id = ?",
  )
    .bind(accountId)
    .all<{
      id: string;
      google_event_id: string;
      status: string;
      summary: string;
      pending_op: string | null;
    }>();
  return results;
}

/** Lets everything that runs after a failure run: late Google writes land, cron repairs, the queue mails. */
async function letTheSystemSettle(email: string): Promise<void> {
  // A timed-out Google call may still land (as at Google, where the reconciler's two-minute grace covers
  // it): wait until the emulator has finished every call, then let cron repair and the queue mail.
  await waitForGoogleIdle(email);
  await runCron(5);
  await runCron(15);
  // The queue delivers asynchronously: wait (bounded) until every mail of this account has left.
  await vi
    .waitUntil(async () => (await unsentMail(email)) === 0, { timeout: 10_000, interval: 100 })
    .catch(() => undefined);
}

async function unsentMail(email: string): Promise<number> {
  const row = await env.DB.prepare(
    "SELECT count(*) AS n FROM outbox o JOIN events e ON e.id = o.event_id WHERE e.organizer_email = ? AND o.status != 'sent' AND coalesce(o.last_error, '') NOT LIKE 'not sent:%'",
  )
    .bind(email)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

async function expectInvariants(expect: ExpectStatic, user: SignedIn, mail: ReturnType<typeof watchMail>) {
  const google = await googleEventsOf(user.email);
  const rows = await d1Events(user.accountId);
  // Nothing is left half-done.
  expect(rows.filter((r) => r.pending_op !== null)).toEqual([]);
  // No Google event twice; live Google events and live D1 rows are the same set, with the same contents.
  const ids = google.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  const liveGoogle = google.filter((e) => e.status !== "cancelled");
  expect(
    rows
      .filter((r) => r.status === "confirmed")
      .map((r) => r.google_event_id)
      .sort(),
  ).toEqual(liveGoogle.map((e) => e.id).sort());
  for (const row of rows) {
    const twin = google.find((e) => e.id === row.google_event_id);
    expect(twin?.status).toBe(row.status);
    if (row.status === "confirmed") expect(twin?.summary).toBe(row.summary);
  }
  // Each recipient is mailed exactly once per change: every outbox row sent, one mail for each, no extra.
  for (const row of rows) {
    // Mail superseded before it left (an invitation to an event cancelled meanwhile) is deliberately not
    // sent and says so; everything else must have been sent.
    const outbox = (await outboxRows(row.id)).filter((o) => !o.last_error?.startsWith("not sent:"));
    expect(outbox.map((o) => o.status)).toEqual(outbox.map(() => "sent"));
    const uid = `${row.google_event_id}@google.com`;
    const sent = mail.about(uid).map((m) => `${m.to}|${icsOf(m).sequence}|${icsOf(m).method}`);
    expect(new Set(sent).size).toBe(sent.length);
    expect(sent.length).toBe(outbox.length);
  }
}

async function expireStoredAccessToken(accountId: string): Promise<void> {
  const config = parseConfig(env);
  const store = createTokenStore(env.TOKENS, config.tokenEncryptionKey);
  const grant = (await store.get(accountId))!;
  await store.put({ ...grant, accessTokenExpiresAt: Date.now() });
}

/** Registers one test per fault for each step. */
export function defineFaultMatrix(steps: readonly Step[]): void {
  for (const step of steps) {
    describe(`${step} under faults`, () => {
      for (const [name, fault, definite] of FAULTS)
        it(name, async ({ expect }) => {
          const user = await signIn();
          const mail = watchMail();
          let existing: EventJson | undefined;
          if (step === "reschedule" || step === "cancel") existing = (await createEvent(user.token)).event;

          const endpoint =
            step === "create"
              ? "events.insert"
              : step === "reschedule"
                ? "events.patch"
                : step === "cancel"
                  ? "events.delete"
                  : "token";
          await injectFault({
            endpoint,
            account: user.email,
            ...(step === "refresh" ? { grantType: "refresh_token" as const } : {}),
            ...fault,
          });
          if (step === "refresh") await expireStoredAccessToken(user.accountId);

          let res: Response;
          if (step === "create" || step === "refresh")
            res = (await createEvent(user.token, { summary: "Matrix" })).res;
          else if (step === "reschedule") {
            res = await api(`/api/events/${existing!.id}`, {
              method: "PATCH",
              token: user.token,
              body: { summary: "Moved" },
            });
          } else res = await api(`/api/events/${existing!.id}`, { method: "DELETE", token: user.token });

          // Never a 5xx that is not a problem document, never a 500.
          expect(res.status).not.toBe(500);
          if (res.status >= 400) expect(res.headers.get("content-type")).toBe("application/problem+json");

          await letTheSystemSettle(user.email);
          await expectInvariants(expect, user, mail);

          // The client was told the truth.
          const rows = await d1Events(user.accountId);
          if (step === "create" || step === "refresh") {
            if (res.status === 201) expect(rows.map((r) => r.summary)).toEqual(["Matrix"]);
            if (res.status >= 400 && definite) expect(rows).toEqual([]);
          } else if (step === "reschedule") {
            const [row] = rows;
            if (res.status === 200) expect(row!.summary).toBe("Moved");
            if (res.status >= 400 && definite) expect(row!.summary).toBe("Planning");
          } else {
            const [row] = rows;
            if (res.status === 204) expect(row!.status).toBe("cancelled");
            if (res.status >= 400 && definite) expect(row!.status).toBe("confirmed");
          }
        });
    });
  }
}

/** MAILER refusing one participant, across a create and a reschedule. */
export function defineMailerFaults(): void {
  describe("MAILER failures", () => {
    it("a mail provider refusing one participant delays only that mail, sends it once, loses nothing", async ({
      expect,
    }) => {
      const user = await signIn();
      const mail = watchMail({ refuse: ["grace@example.com"] });
      const { res, event } = await createEvent(user.token);
      expect(res.status).toBe(201);
      await api(`/api/events/${event.id}`, {
        method: "PATCH",
        token: user.token,
        body: { summary: "Moved" },
      });
      // Both of grace's mails (invitation, update) have been tried and refused before the provider recovers.
      await vi.waitUntil(() => mail.attempts.filter((to) => to === "grace@example.com").length >= 2, {
        timeout: 10_000,
        interval: 50,
      });
      mail.accept("grace@example.com");
      await letTheSystemSettle(user.email);
      await expectInvariants(expect, user, mail);
      expect(mail.sent.filter((m) => m.to === "grace@example.com").length).toBe(2);
    });
  });
}
