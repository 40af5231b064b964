// Layer: contract over HTTP + emulator + queue, with the D1 binding watched (test/support/d1-faults.ts).
// Production D1 refuses statements with more than 100 bound parameters; local D1 does not, so the tests
// check every statement the app prepares while the largest event the API allows goes through its life.
import { describe, it } from "vitest";
import { api } from "../support/app";
import { recordD1Statements } from "../support/d1-faults";
import { createEvent } from "../support/events";
import { waitForMail } from "../support/mail";
import { signIn } from "../support/sign-in";
import { newInbox, registerWebhook, waitForRequests } from "../support/webhooks";

const MAX_BOUND_PARAMETERS = 100;
const participants = (label: string) =>
  Array.from({ length: 100 }, (_, i) => `${label}-${i}-${crypto.randomUUID().slice(0, 6)}@example.com`);

describe("D1's limit of 100 bound parameters a statement", () => {
  it("holds for every statement of a 100-participant event: create (plain and keyed), reschedule, cancel, its mail and webhooks", async ({
    expect,
  }) => {
    const user = await signIn();
    const inbox = newInbox();
    await registerWebhook(user.token, { url: inbox.url });
    const statements = recordD1Statements();

    const plain = await createEvent(user.token, { participants: participants("a") });
    expect(plain.res.status).toBe(201);
    const keyed = await createEvent(
      user.token,
      {
        participants: participants("b"),
        start_time: "2026-12-02T10:00:00Z",
        end_time: "2026-12-02T11:00:00Z",
      },
      { "idempotency-key": `big-${crypto.randomUUID()}` },
    );
    expect(keyed.res.status).toBe(201);
    const patched = await api(`/api/events/${plain.event.id}`, {
      method: "PATCH",
      token: user.token,
      body: { participants: participants("c"), summary: "All hands, rescheduled" },
    });
    expect(patched.status).toBe(200);
    expect((await api(`/api/events/${keyed.event.id}`, { method: "DELETE", token: user.token })).status).toBe(
      204,
    );
    await waitForMail(user.token, plain.event.id, (e) => e.emails.every((m) => m.status !== "queued"));
    await waitForRequests(inbox.id, 4);

    const tooBig = statements
      .map((sql) => ({ sql: sql.slice(0, 80), parameters: (sql.match(/\?/g) ?? []).length }))
      .filter((s) => s.parameters > MAX_BOUND_PARAMETERS);
    expect(statements.length).toBeGreaterThan(10);
    expect(tooBig).toEqual([]);
  });
});
