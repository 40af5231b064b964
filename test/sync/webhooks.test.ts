// Layer: contract over HTTP, end to end: a change made in Google Calendar → notification → sync → one
// signed webhook at the client app's receiver (the vitest-process receiver of test/support/webhook-network.ts),
// verified with the third-party `standardwebhooks` package. Also: no echo of our own writes, no duplicates
// after a 410 full resync, and account.reauthorization_required when the grant dies.
import { describe, it } from "vitest";
import { api } from "../support/app";
import { createEvent } from "../support/events";
import {
  deleteInGoogle,
  expireAccessTokens,
  expireSyncTokens,
  patchInGoogle,
  respondAsAttendee,
  revokeGrantsAtGoogle,
} from "../support/google";
import { runCron } from "../support/mail";
import { newEmail, signIn } from "../support/sign-in";
import { deliverNotifications, syncSettled } from "../support/sync";
import {
  newInbox,
  receivedBy,
  registerWebhook,
  verifyDelivery,
  type WebhookBody,
  waitForRequests,
} from "../support/webhooks";

/** Signs in, registers a receiver, books an event, and lets its creation and first sync settle. */
async function followed(events?: string[]) {
  const user = await signIn();
  const inbox = newInbox();
  const endpoint = await registerWebhook(user.token, { url: inbox.url, ...(events ? { events } : {}) });
  const ada = newEmail("ada");
  const { event } = await createEvent(user.token, { participants: [ada, newEmail("grace")] });
  await deliverNotifications(user.email);
  await syncSettled(user.accountId);
  if (!events || events.includes("event.created")) await waitForRequests(inbox.id, 1);
  return { user, inbox, endpoint, event, ada };
}

async function bodies(inboxId: string, secret: string): Promise<WebhookBody[]> {
  return (await receivedBy(inboxId)).map((r) => verifyDelivery(secret, r));
}

/** Waits for the webhooks to settle: `count` received, then a moment for any unexpected extra one. */
async function settledBodies(inboxId: string, secret: string, count: number): Promise<WebhookBody[]> {
  await waitForRequests(inboxId, count);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return bodies(inboxId, secret);
}

describe("webhooks for changes made in Google Calendar", () => {
  it("a participant declines: exactly one attendee.responded, verified with standardwebhooks", async ({
    expect,
  }) => {
    const { user, inbox, endpoint, event, ada } = await followed();
    await respondAsAttendee(user.email, event.google_event_id, ada, "declined");
    await deliverNotifications(user.email);
    const all = await settledBodies(inbox.id, endpoint.secret, 2);
    expect(all.map((b) => b.type)).toEqual(["event.created", "attendee.responded"]);
    const responded = all[1]! as WebhookBody & { data: { attendee: unknown } };
    expect(responded.data.attendee).toEqual({
      email: ada,
      response_status: "declined",
      previous_response_status: "needs_action",
    });
    expect(responded.data.event?.id).toBe(event.id);
    expect(responded.data.event?.attendees.find((a) => a.email === ada)?.response_status).toBe("declined");
    // The event as GET shows it.
    const shown = await (await api(`/api/events/${event.id}`, { token: user.token })).json();
    expect(responded.data.event).toEqual(shown);
  });

  it("moved, renamed, deleted: one webhook each; data.event follows", async ({ expect }) => {
    const { user, inbox, endpoint, event } = await followed();
    await patchInGoogle(user.email, event.google_event_id, {
      start: { dateTime: "2026-12-01T16:00:00+01:00", timeZone: "Europe/Berlin" },
      end: { dateTime: "2026-12-01T17:00:00+01:00", timeZone: "Europe/Berlin" },
    });
    await deliverNotifications(user.email);
    await waitForRequests(inbox.id, 2);
    await patchInGoogle(user.email, event.google_event_id, { summary: "Renamed in Google" });
    await deliverNotifications(user.email);
    await waitForRequests(inbox.id, 3);
    await deleteInGoogle(user.email, event.google_event_id);
    await deliverNotifications(user.email);
    const all = await settledBodies(inbox.id, endpoint.secret, 4);
    expect(all.map((b) => b.type)).toEqual([
      "event.created",
      "event.updated",
      "event.updated",
      "event.cancelled",
    ]);
    expect(all[1]!.data.event?.start_time).toBe("2026-12-01T16:00:00+01:00");
    expect(all[2]!.data.event?.summary).toBe("Renamed in Google");
    expect(all[3]!.data.event).toMatchObject({ status: "cancelled", cancelled_by: "google" });
    expect(new Set(all.map((b) => b.id)).size).toBe(4);
  });

  it("our own PATCH is announced once, as itself, and never comes back from Google", async ({ expect }) => {
    const { user, inbox, endpoint, event } = await followed();
    const patched = await api(`/api/events/${event.id}`, {
      method: "PATCH",
      token: user.token,
      body: { summary: "Changed through the API" },
    });
    expect(patched.status).toBe(200);
    await deliverNotifications(user.email);
    await syncSettled(user.accountId);
    const all = await settledBodies(inbox.id, endpoint.secret, 2);
    expect(all.map((b) => b.type)).toEqual(["event.created", "event.updated"]);
    expect(all[1]!.data.event?.changed_in_google_at).toBeNull();
  });

  it("a 410 full resync announces nothing twice", async ({ expect }) => {
    const { user, inbox, endpoint, event, ada } = await followed();
    await respondAsAttendee(user.email, event.google_event_id, ada, "accepted");
    await deliverNotifications(user.email);
    await waitForRequests(inbox.id, 2);
    await syncSettled(user.accountId);
    await expireSyncTokens(user.email);
    await runCron(16);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await syncSettled(user.accountId);
    const all = await settledBodies(inbox.id, endpoint.secret, 2);
    expect(all.map((b) => b.type)).toEqual(["event.created", "attendee.responded"]);
  });

  it("an endpoint gets only the types it subscribed to", async ({ expect }) => {
    const { user, inbox, endpoint, event, ada } = await followed(["attendee.responded"]);
    await patchInGoogle(user.email, event.google_event_id, { summary: "Not announced to this endpoint" });
    await respondAsAttendee(user.email, event.google_event_id, ada, "tentative");
    await deliverNotifications(user.email);
    const all = await settledBodies(inbox.id, endpoint.secret, 1);
    expect(all.map((b) => b.type)).toEqual(["attendee.responded"]);
  });
});

describe("account.reauthorization_required", () => {
  it("is sent once when the grant dies, however many requests find it dead", async ({ expect }) => {
    const user = await signIn();
    const inbox = newInbox();
    const endpoint = await registerWebhook(user.token, { url: inbox.url });
    await revokeGrantsAtGoogle(user.email);
    await expireAccessTokens(user.email);
    for (let i = 0; i < 3; i++) {
      const { res } = await createEvent(user.token);
      expect(res.status).toBe(403);
    }
    const all = await settledBodies(inbox.id, endpoint.secret, 1);
    expect(all).toEqual([
      {
        id: expect.stringMatching(/^msg_/),
        type: "account.reauthorization_required",
        created_at: expect.any(String),
        data: {
          account: { id: user.accountId, email: user.email, google: { status: "reauthorization_required" } },
        },
      },
    ]);
  });
});
