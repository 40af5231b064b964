// Layer: contract over HTTP, end to end through the real local queue: POST/PATCH/DELETE /api/events/ →
// delivery rows in the change's batch → WEBHOOK_QUEUE → consumer → the receiver in the vitest process
// (test/support/webhook-network.ts). Every delivery is verified as a receiver would, with the third-party
// `standardwebhooks` package.
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { api } from "../support/app";
import { createEvent, type EventJson } from "../support/events";
import { runCron, settleQueue } from "../support/mail";
import { signIn } from "../support/sign-in";
import {
  deliveriesOf,
  deliverWebhookBatch,
  deliveryRows,
  loseWebhookSends,
  newInbox,
  receivedBy,
  registerWebhook,
  verifyDelivery,
  WEBHOOK_QUEUE,
  waitForDeliveries,
  waitForRequests,
} from "../support/webhooks";

describe("an event created through the API", () => {
  it("is announced once as event.created, signed per Standard Webhooks, with the event as GET shows it", async ({
    expect,
  }) => {
    const user = await signIn();
    const inbox = newInbox();
    const endpoint = await registerWebhook(user.token, { url: inbox.url });
    const { res, event } = await createEvent(user.token, { summary: "Webhook launch" });
    expect(res.status).toBe(201);

    const [request] = await waitForRequests(inbox.id, 1);
    const body = verifyDelivery(endpoint.secret, request!);
    expect(body).toEqual({
      id: expect.stringMatching(/^msg_[A-Za-z0-9_-]{32}$/),
      type: "event.created",
      created_at: event.updated_at,
      data: { event },
    });
    expect(request!.method).toBe("POST");
    expect(request!.url).toBe(inbox.url);
    expect(request!.headers).toMatchObject({
      "content-type": "application/json",
      "user-agent": "calendar-edge-webhooks/1",
      "webhook-id": body.id,
      "webhook-timestamp": expect.stringMatching(/^\d{10}$/),
      "webhook-signature": expect.stringMatching(/^v1,[A-Za-z0-9+/]{43}=$/),
    });
    expect(Math.abs(Number(request!.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(30);

    const [delivery] = await waitForDeliveries(user.token, endpoint.id);
    expect(delivery).toEqual({
      id: expect.stringMatching(/^dlv_[0-9a-f]{32}$/),
      message_id: body.id,
      type: "event.created",
      status: "delivered",
      attempts: 1,
      last_status: 204,
      last_error: null,
      created_at: expect.any(String),
      delivered_at: expect.any(String),
      next_attempt_at: null,
    });
    await settleQueue();
    expect(await receivedBy(inbox.id)).toHaveLength(1);
  });

  it("a replay with the same Idempotency-Key announces nothing new", async ({ expect }) => {
    const user = await signIn();
    const inbox = newInbox();
    const endpoint = await registerWebhook(user.token, { url: inbox.url });
    const first = await createEvent(user.token, {}, { "idempotency-key": "order-7" });
    const again = await createEvent(user.token, {}, { "idempotency-key": "order-7" });
    expect([first.res.status, again.res.status]).toEqual([201, 200]);
    await waitForRequests(inbox.id, 1);
    await settleQueue();
    expect(await receivedBy(inbox.id)).toHaveLength(1);
    expect(await deliveriesOf(user.token, endpoint.id)).toHaveLength(1);
  });

  it("reaches every subscribed endpoint with the same message id, each signed with its own secret", async ({
    expect,
  }) => {
    const user = await signIn();
    const [a, b] = [newInbox(), newInbox()];
    const endpointA = await registerWebhook(user.token, { url: a.url });
    const endpointB = await registerWebhook(user.token, { url: b.url, events: ["event.created"] });
    await createEvent(user.token);
    const [toA] = await waitForRequests(a.id, 1);
    const [toB] = await waitForRequests(b.id, 1);
    expect(verifyDelivery(endpointA.secret, toA!).id).toBe(verifyDelivery(endpointB.secret, toB!).id);
    expect(toA!.headers["webhook-signature"]).not.toBe(toB!.headers["webhook-signature"]);
    expect(() => verifyDelivery(endpointB.secret, toA!)).toThrow(/signature/i);
  });

  it("does not reach another account's endpoints", async ({ expect }) => {
    const [owner, other] = [await signIn(), await signIn()];
    const inbox = newInbox();
    await registerWebhook(other.token, { url: inbox.url });
    const mine = newInbox();
    await registerWebhook(owner.token, { url: mine.url });
    await createEvent(owner.token);
    await waitForRequests(mine.id, 1);
    await settleQueue();
    expect(await receivedBy(inbox.id)).toEqual([]);
  });
});

describe("changes of an event", () => {
  it("PATCH announces event.updated, DELETE event.cancelled, each once, in order", async ({ expect }) => {
    const user = await signIn();
    const inbox = newInbox();
    const endpoint = await registerWebhook(user.token, { url: inbox.url });
    const { event } = await createEvent(user.token);
    await waitForRequests(inbox.id, 1);

    const patched = await api(`/api/events/${event.id}`, {
      method: "PATCH",
      token: user.token,
      body: { summary: "Moved", start_time: "2026-12-02T10:00:00Z", end_time: "2026-12-02T11:00:00Z" },
    });
    expect(patched.status).toBe(200);
    const updated = (await patched.json()) as EventJson;
    const afterPatch = await waitForRequests(inbox.id, 2);
    const updateBody = verifyDelivery(endpoint.secret, afterPatch[1]!);
    expect(updateBody).toMatchObject({ type: "event.updated", created_at: updated.updated_at });
    expect(updateBody.data.event).toEqual(updated);

    expect((await api(`/api/events/${event.id}`, { method: "DELETE", token: user.token })).status).toBe(204);
    const afterDelete = await waitForRequests(inbox.id, 3);
    const cancelBody = verifyDelivery(endpoint.secret, afterDelete[2]!);
    const cancelled = (await (
      await api(`/api/events/${event.id}`, { token: user.token })
    ).json()) as EventJson;
    expect(cancelBody.type).toBe("event.cancelled");
    expect(cancelBody.data.event).toMatchObject({
      id: event.id,
      status: "cancelled",
      updated_at: cancelled.updated_at,
      summary: "Moved",
    });
    expect(cancelBody.data.event?.emails.map((e) => [e.to, e.kind])).toEqual(
      cancelled.emails.map((e) => [e.to, e.kind]),
    );

    // A second DELETE changes nothing and announces nothing.
    expect((await api(`/api/events/${event.id}`, { method: "DELETE", token: user.token })).status).toBe(204);
    await settleQueue();
    const ids = (await receivedBy(inbox.id)).map((r) => r.headers["webhook-id"]);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    const deliveries = await waitForDeliveries(user.token, endpoint.id);
    expect(deliveries.map((d) => [d.type, d.status])).toEqual([
      ["event.cancelled", "delivered"],
      ["event.updated", "delivered"],
      ["event.created", "delivered"],
    ]);
    expect((await deliveriesOf(user.token, endpoint.id, "?limit=1")).map((d) => d.type)).toEqual([
      "event.cancelled",
    ]);
  });

  it("an endpoint receives only the types it subscribed to", async ({ expect }) => {
    const user = await signIn();
    const inbox = newInbox();
    const endpoint = await registerWebhook(user.token, { url: inbox.url, events: ["event.cancelled"] });
    const { event } = await createEvent(user.token);
    await api(`/api/events/${event.id}`, { method: "PATCH", token: user.token, body: { summary: "x" } });
    await api(`/api/events/${event.id}`, { method: "DELETE", token: user.token });
    const [only] = await waitForRequests(inbox.id, 1);
    await settleQueue();
    expect(await receivedBy(inbox.id)).toHaveLength(1);
    expect(verifyDelivery(endpoint.secret, only!).type).toBe("event.cancelled");
  });
});

describe("deleting an endpoint", () => {
  it("stops its deliveries: pending rows go with it, and neither queue nor sweep sends them", async ({
    expect,
  }) => {
    const user = await signIn();
    const inbox = newInbox();
    const endpoint = await registerWebhook(user.token, { url: inbox.url });
    loseWebhookSends();
    await createEvent(user.token);
    await settleQueue();
    const [row] = await deliveryRows(endpoint.id);
    expect(row).toMatchObject({ status: "queued", attempts: 0 });

    expect((await api(`/api/webhooks/${endpoint.id}`, { method: "DELETE", token: user.token })).status).toBe(
      204,
    );
    expect(await deliveryRows(endpoint.id)).toEqual([]);
    const result = await deliverWebhookBatch(WEBHOOK_QUEUE, [row!.id]);
    expect(result.explicitAcks).toHaveLength(1);
    await runCron(5);
    await settleQueue();
    expect(await receivedBy(inbox.id)).toEqual([]);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE endpoint_id = ?")
      .bind(endpoint.id)
      .first<{ n: number }>();
    expect(left!.n).toBe(0);
  });
});
