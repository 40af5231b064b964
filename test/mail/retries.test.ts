// Layer: contract over HTTP plus the Worker's queue and scheduled handlers (real local queue; the handlers
// also called directly with createMessageBatch). Faults only at the bindings: MAILER refuses an address,
// MAIL_QUEUE refuses a send. Checks that a failed send never fails the event, and no one is mailed twice.
import { env } from "cloudflare:workers";
import { describe, it, vi } from "vitest";
import { api } from "../support/app";
import { createEvent } from "../support/events";
import { googleEventsOf } from "../support/google";
import {
  deliverBatch,
  icsOf,
  MAIL_DLQ,
  MAIL_QUEUE,
  type MailWatch,
  outboxRows,
  runCron,
  settleQueue,
  waitForMail,
  watchMail,
} from "../support/mail";
import { newEmail, signIn } from "../support/sign-in";

function countTo(mail: MailWatch, uid: string, to: string): number {
  return mail.about(uid).filter((m) => m.to === to).length;
}

/** Makes the next `times` MAIL_QUEUE.sendBatch calls fail, as if the queue were unreachable. */
function loseQueueSends(times = 1) {
  const spy = vi.spyOn(env.MAIL_QUEUE, "sendBatch");
  for (let i = 0; i < times; i++) spy.mockRejectedValueOnce(new Error("queue unavailable"));
  return spy;
}

describe("a MAILER that refuses one recipient", () => {
  it("fails only that mail; the event stands; a sweep later sends it once", async ({ expect }) => {
    const [ada, bob, cy] = [newEmail("ada"), newEmail("bob"), newEmail("cy")];
    const mail = watchMail({ refuse: [bob] });
    const user = await signIn();
    const { res, event } = await createEvent(user.token, { participants: [ada, bob, cy] });
    expect(res.status).toBe(201);

    const failed = await waitForMail(user.token, event.id);
    expect(failed.status).toBe("confirmed");
    expect(failed.emails).toEqual([
      { to: ada, kind: "created", status: "sent", attempts: 1, last_error: null },
      {
        to: bob,
        kind: "created",
        status: "failed",
        attempts: 1,
        last_error: expect.stringContaining("550 mailbox unavailable"),
      },
      { to: cy, kind: "created", status: "sent", attempts: 1, last_error: null },
    ]);
    expect((await googleEventsOf(user.email)).map((e) => e.id)).toEqual([event.google_event_id]);
    expect(countTo(mail, event.ical_uid, ada)).toBe(1);
    expect(countTo(mail, event.ical_uid, cy)).toBe(1);
    expect(countTo(mail, event.ical_uid, bob)).toBe(0);

    mail.accept(bob);
    await runCron(5);
    const retried = await waitForMail(user.token, event.id, (e) => e.emails[1]?.status === "sent");
    expect(retried.emails[1]).toEqual({
      to: bob,
      kind: "created",
      status: "sent",
      attempts: 2,
      last_error: null,
    });
    await settleQueue();
    expect([ada, bob, cy].map((to) => countTo(mail, event.ical_uid, to))).toEqual([1, 1, 1]);
    expect(icsOf(mail.about(event.ical_uid).find((m) => m.to === bob)!).uid).toBe(event.ical_uid);
  });

  it("asks the queue to retry with a growing delay, and gives up after six attempts", async ({ expect }) => {
    const bob = newEmail("bob");
    const mail = watchMail({ refuse: [bob] });
    const user = await signIn();
    const { event } = await createEvent(user.token, { participants: [bob] });
    await waitForMail(user.token, event.id);
    const [row] = await outboxRows(event.id);

    const outcomes: (number | "ack" | undefined)[] = [];
    for (let attempt = 2; attempt <= 6; attempt++) {
      const result = await deliverBatch(MAIL_QUEUE, [row!.id]);
      outcomes.push(result.explicitAcks.length === 1 ? "ack" : result.retryDelays[0]);
    }
    // Attempt 1 (the real queue) asked for 30 s; attempts 2-5 double it; attempt 6, the last, is acked.
    expect(outcomes).toEqual([60, 120, 240, 480, "ack"]);
    const final = await outboxRows(event.id);
    expect(final[0]).toMatchObject({ status: "failed", attempts: 6 });

    // Nothing retries it any more, even once the address works again.
    mail.accept(bob);
    const result = await deliverBatch(MAIL_QUEUE, [row!.id]);
    expect(result.explicitAcks).toHaveLength(1);
    await runCron(120);
    await settleQueue();
    expect(mail.attempts.filter((to) => to === bob)).toHaveLength(6);
    expect((await waitForMail(user.token, event.id)).emails[0]).toMatchObject({
      status: "failed",
      attempts: 6,
    });
  });

  it("never sends an invitation after the event was cancelled", async ({ expect }) => {
    const [ada, bob] = [newEmail("ada"), newEmail("bob")];
    const mail = watchMail({ refuse: [bob] });
    const user = await signIn();
    const { event } = await createEvent(user.token, { participants: [ada, bob] });
    await waitForMail(user.token, event.id);
    expect((await api(`/api/events/${event.id}`, { method: "DELETE", token: user.token })).status).toBe(204);
    await waitForMail(user.token, event.id);

    mail.accept(bob);
    await runCron(5);
    const settled = await waitForMail(user.token, event.id, (e) =>
      e.emails.every((m) => m.status === "sent" || m.attempts === 6),
    );
    const toBob = settled.emails.filter((e) => e.to === bob);
    expect(toBob).toEqual([
      {
        to: bob,
        kind: "created",
        status: "failed",
        attempts: 6,
        last_error: "not sent: the event was cancelled",
      },
      { to: bob, kind: "cancelled", status: "sent", attempts: 2, last_error: null },
    ]);
    expect(
      mail
        .about(event.ical_uid)
        .filter((m) => m.to === bob)
        .map((m) => icsOf(m).method),
    ).toEqual(["CANCEL"]);
  });
});

describe("duplicates", () => {
  it("a second message for a sent row sends nothing", async ({ expect }) => {
    const mail = watchMail();
    const user = await signIn();
    const ada = newEmail("ada");
    const { event } = await createEvent(user.token, { participants: [ada] });
    await waitForMail(user.token, event.id);
    const [row] = await outboxRows(event.id);

    const result = await deliverBatch(MAIL_QUEUE, [row!.id, row!.id]);
    expect(result.explicitAcks).toHaveLength(2);
    expect(result.retryMessages).toEqual([]);
    expect(countTo(mail, event.ical_uid, ada)).toBe(1);
    expect((await waitForMail(user.token, event.id)).emails[0]).toMatchObject({
      status: "sent",
      attempts: 1,
    });
  });

  it("two deliveries of the same row at once send it once", async ({ expect }) => {
    const mail = watchMail();
    loseQueueSends();
    const user = await signIn();
    const ada = newEmail("ada");
    const { event } = await createEvent(user.token, { participants: [ada] });
    await settleQueue();
    const [row] = await outboxRows(event.id);
    expect(row).toMatchObject({ status: "queued", attempts: 0 });

    await Promise.all([deliverBatch(MAIL_QUEUE, [row!.id]), deliverBatch(MAIL_QUEUE, [row!.id])]);
    expect(countTo(mail, event.ical_uid, ada)).toBe(1);
    expect((await waitForMail(user.token, event.id)).emails[0]).toMatchObject({
      status: "sent",
      attempts: 1,
    });
  });
});

describe("lost queue messages", () => {
  it("rows left queued by a failed enqueue are re-enqueued by the cron sweep, once a minute has passed", async ({
    expect,
  }) => {
    const mail = watchMail();
    const queue = loseQueueSends();
    const user = await signIn();
    const participants = [newEmail("ada"), newEmail("grace")];
    const { res, event } = await createEvent(user.token, { participants });
    expect(res.status).toBe(201);
    await vi.waitFor(() => expect(queue).toHaveBeenCalled());
    await settleQueue();
    expect((await waitForMail(user.token, event.id, () => true)).emails.map((e) => e.status)).toEqual([
      "queued",
      "queued",
    ]);

    // A fresh row is left to its own message for a minute.
    await runCron(0);
    await settleQueue();
    expect((await outboxRows(event.id)).map((r) => r.status)).toEqual(["queued", "queued"]);

    await runCron(2);
    const settled = await waitForMail(user.token, event.id);
    expect(settled.emails.map((e) => [e.status, e.attempts])).toEqual([
      ["sent", 1],
      ["sent", 1],
    ]);
    expect(
      mail
        .about(event.ical_uid)
        .map((m) => m.to)
        .sort(),
    ).toEqual([...participants].sort());
  });
});

describe("dead-letter queue", () => {
  it("marks its rows failed for good; sent rows stay sent", async ({ expect }) => {
    const [ada, bob] = [newEmail("ada"), newEmail("bob")];
    const mail = watchMail({ refuse: [bob] });
    const user = await signIn();
    const { event } = await createEvent(user.token, { participants: [ada, bob] });
    await waitForMail(user.token, event.id);
    const rows = await outboxRows(event.id);

    const result = await deliverBatch(
      MAIL_DLQ,
      rows.map((r) => r.id),
    );
    expect(result.ackAll).toBe(true);
    const settled = await waitForMail(user.token, event.id);
    expect(settled.emails).toEqual([
      { to: ada, kind: "created", status: "sent", attempts: 1, last_error: null },
      {
        to: bob,
        kind: "created",
        status: "failed",
        attempts: 6,
        last_error: expect.stringContaining("550 mailbox unavailable"),
      },
    ]);

    mail.accept(bob);
    await runCron(60);
    await settleQueue();
    expect(countTo(mail, event.ical_uid, bob)).toBe(0);
    expect((await outboxRows(event.id)).map((r) => r.status)).toEqual(["sent", "failed"]);
  });
});
