// Layer: contract over HTTP plus the Worker's queue and scheduled handlers (real local queue; the handlers
// also called directly with createMessageBatch). Faults only at the edges: the receiver answers 500, drops
// the connection, redirects or stalls; DNS changes; WEBHOOK_QUEUE refuses a send. Every attempt carries
// the same webhook-id, the outcome shows in the deliveries list, and nothing is sent twice or anywhere unsafe.
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { createEvent } from "../support/events";
import { runCron, settleQueue } from "../support/mail";
import { signIn } from "../support/sign-in";
import {
  answerWith,
  deliveriesOf,
  deliverWebhookBatch,
  deliveryRows,
  dnsQueriesFor,
  loseWebhookSends,
  newInbox,
  newReceiverHost,
  receivedBy,
  registerWebhook,
  setDns,
  verifyDelivery,
  WEBHOOK_DLQ,
  WEBHOOK_QUEUE,
  waitForDeliveries,
  waitForRequests,
} from "../support/webhooks";

/** A signed-in user with one endpoint on a fresh inbox answering by `rules`. */
async function endpointAnswering(rules: Parameters<typeof answerWith>[1], host?: string) {
  const user = await signIn();
  const inbox = newInbox(host);
  await answerWith(inbox.id, rules);
  const endpoint = await registerWebhook(user.token, { url: inbox.url });
  return { user, inbox, endpoint };
}

/** The first attempt is over and failed (while it runs, `attempts` is already 1 but nothing is recorded). */
const firstAttemptFailed = (d: { attempts: number; last_error: string | null }[]) =>
  d[0]?.attempts === 1 && d[0].last_error !== null;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a receiver that fails", () => {
  it("answering 500 then 200: retried with the same webhook-id and a fresh timestamp, then delivered", async ({
    expect,
  }) => {
    const { user, inbox, endpoint } = await endpointAnswering({
      script: [{ status: 500, body: "database is down" }],
      otherwise: { status: 200, body: "ok" },
    });
    await createEvent(user.token);
    const [first] = await waitForRequests(inbox.id, 1);
    const [pending] = await waitForDeliveries(user.token, endpoint.id, firstAttemptFailed);
    expect(pending).toMatchObject({
      status: "queued",
      attempts: 1,
      last_status: 500,
      last_error: "HTTP 500: database is down",
      delivered_at: null,
    });
    // The queue was asked to retry in 30 s; the next attempt is due then.
    const due = Date.parse(pending!.next_attempt_at!) - Date.parse(pending!.created_at);
    expect(due).toBeGreaterThan(25_000);
    expect(due).toBeLessThan(40_000);

    await sleep(1_100);
    const result = await deliverWebhookBatch(WEBHOOK_QUEUE, [pending!.id]);
    expect(result.explicitAcks).toHaveLength(1);
    const [, second] = await receivedBy(inbox.id);
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(Number(second!.headers["webhook-timestamp"])).toBeGreaterThan(
      Number(first!.headers["webhook-timestamp"]),
    );
    expect(second!.body).toBe(first!.body);
    expect(verifyDelivery(endpoint.secret, first!)).toEqual(verifyDelivery(endpoint.secret, second!));

    const [done] = await deliveriesOf(user.token, endpoint.id);
    expect(done).toMatchObject({
      status: "delivered",
      attempts: 2,
      last_status: 200,
      last_error: null,
      next_attempt_at: null,
    });
    expect(done!.delivered_at).not.toBeNull();
  });

  it("always 500: backoff 30 s, 2, 8, 32 min, 2 h 8 min; after 6 attempts `failed` with an escaped excerpt", async ({
    expect,
  }) => {
    const hostile = `boom\u0000\r\nX-Injected: yes\u001b[31m \u202eevil\\ ${"x".repeat(500)}`;
    const { user, inbox, endpoint } = await endpointAnswering({ otherwise: { status: 500, body: hostile } });
    await createEvent(user.token);
    await waitForRequests(inbox.id, 1);
    const [row] = await waitForDeliveries(user.token, endpoint.id, firstAttemptFailed);

    const outcomes: (number | "ack" | undefined)[] = [];
    for (let attempt = 2; attempt <= 6; attempt++) {
      const result = await deliverWebhookBatch(WEBHOOK_QUEUE, [row!.id]);
      outcomes.push(result.explicitAcks.length === 1 ? "ack" : result.retryDelays[0]);
    }
    // Attempt 1 (the real queue) asked for 30 s; attempts 2-5 multiply by four; the 6th is final.
    expect(outcomes).toEqual([120, 480, 1920, 7680, "ack"]);

    const [failed] = await deliveriesOf(user.token, endpoint.id);
    expect(failed).toMatchObject({ status: "failed", attempts: 6, last_status: 500, next_attempt_at: null });
    expect(failed!.last_error!.length).toBeLessThanOrEqual(200);
    expect(failed!.last_error).toMatch(
      /^HTTP 500: boom\\u0000\\u000d\\u000aX-Injected: yes\\u001b\[31m \\u202eevil\\\\ x+$/,
    );
    expect([...failed!.last_error!].some((ch) => ch < " " || ch === "\u202e")).toBe(false);

    const requests = await receivedBy(inbox.id);
    expect(requests).toHaveLength(6);
    expect(new Set(requests.map((r) => r.headers["webhook-id"])).size).toBe(1);
    for (const request of requests) verifyDelivery(endpoint.secret, request);

    // Nothing retries it any more: not a late message, not the sweep.
    await answerWith(inbox.id, { otherwise: { status: 204 } });
    expect((await deliverWebhookBatch(WEBHOOK_QUEUE, [row!.id])).explicitAcks).toHaveLength(1);
    await runCron(600);
    await settleQueue();
    expect(await receivedBy(inbox.id)).toHaveLength(6);
  });

  it("down (connection dropped): retried, then `failed` after 6 attempts, with no status and the error", async ({
    expect,
  }) => {
    const { user, inbox, endpoint } = await endpointAnswering({ otherwise: { drop: true } });
    loseWebhookSends();
    await createEvent(user.token);
    await settleQueue();
    const [row] = await deliveryRows(endpoint.id);
    const delays: (number | undefined)[] = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      delays.push((await deliverWebhookBatch(WEBHOOK_QUEUE, [row!.id])).retryDelays[0]);
    }
    expect(delays).toEqual([30, 120, 480, 1920, 7680, undefined]);
    const [failed] = await deliveriesOf(user.token, endpoint.id);
    expect(failed).toMatchObject({ status: "failed", attempts: 6, last_status: null });
    expect(failed!.last_error).toMatch(/^connection failed: /);
    expect(await receivedBy(inbox.id)).toHaveLength(6);
  });

  it("a redirect is a failed attempt and is not followed", async ({ expect }) => {
    const inbox = newInbox();
    const { user, endpoint } = await endpointAnswering({
      otherwise: { redirect: `https://hooks.receiver.example/${inbox.id}/moved` },
    });
    await answerWith(inbox.id, {});
    await createEvent(user.token);
    const [pending] = await waitForDeliveries(user.token, endpoint.id, firstAttemptFailed);
    expect(pending).toMatchObject({
      status: "queued",
      last_status: 302,
      last_error: "HTTP 302: redirects are not followed",
    });
    await settleQueue();
    expect(await receivedBy(inbox.id)).toEqual([]);
  });

  it("a receiver that does not answer within 10 s: the attempt is abandoned and retried", {
    timeout: 30_000,
  }, async ({ expect }) => {
    const { user, inbox, endpoint } = await endpointAnswering({
      script: [{ delayMs: 12_000 }],
      otherwise: { status: 204 },
    });
    loseWebhookSends();
    await createEvent(user.token);
    await settleQueue();
    const [row] = await deliveryRows(endpoint.id);
    const started = Date.now();
    const result = await deliverWebhookBatch(WEBHOOK_QUEUE, [row!.id]);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(9_500);
    expect(took).toBeLessThan(12_000);
    expect(result.retryDelays).toEqual([30]);
    const [pending] = await deliveriesOf(user.token, endpoint.id);
    expect(pending).toMatchObject({
      status: "queued",
      attempts: 1,
      last_status: null,
      last_error: "no answer within 10 s",
    });
    expect((await deliverWebhookBatch(WEBHOOK_QUEUE, [row!.id])).explicitAcks).toHaveLength(1);
    expect((await deliveriesOf(user.token, endpoint.id))[0]).toMatchObject({
      status: "delivered",
      attempts: 2,
    });
    expect(await receivedBy(inbox.id)).toHaveLength(2);
  });
});

describe("the URL is checked again before every delivery", () => {
  it("DNS changed to a private address after registration: not sent, `failed` for good", async ({
    expect,
  }) => {
    const host = newReceiverHost();
    const { user, inbox, endpoint } = await endpointAnswering({}, host);
    loseWebhookSends();
    await createEvent(user.token);
    await settleQueue();
    const [row] = await deliveryRows(endpoint.id);
    const lookups = await dnsQueriesFor(host);

    await setDns(host, { A: ["10.0.0.5"] });
    const result = await deliverWebhookBatch(WEBHOOK_QUEUE, [row!.id]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await dnsQueriesFor(host)).toBeGreaterThan(lookups);
    const [failed] = await deliveriesOf(user.token, endpoint.id);
    expect(failed).toMatchObject({ status: "failed", attempts: 1, last_status: null });
    expect(failed!.last_error).toBe(
      `not sent: "${host}" resolves to 10.0.0.5, a private address; webhooks go to public addresses only.`,
    );
    // Final: neither a late message nor the sweep sends it once DNS is back.
    await setDns(host, { A: ["203.0.113.10"] });
    await deliverWebhookBatch(WEBHOOK_QUEUE, [row!.id]);
    await runCron(30);
    await settleQueue();
    expect(await receivedBy(inbox.id)).toEqual([]);
  });

  it("a resolver outage is not a refusal: the attempt fails and is retried", async ({ expect }) => {
    const host = newReceiverHost();
    const { user, inbox, endpoint } = await endpointAnswering({}, host);
    loseWebhookSends();
    await createEvent(user.token);
    await settleQueue();
    const [row] = await deliveryRows(endpoint.id);
    await setDns(host, { servfail: true });
    expect((await deliverWebhookBatch(WEBHOOK_QUEUE, [row!.id])).retryDelays).toEqual([30]);
    expect((await deliveriesOf(user.token, endpoint.id))[0]).toMatchObject({
      status: "queued",
      attempts: 1,
      last_error: `not sent: Could not resolve "${host}": DNS resolver answered RCODE 2.`,
    });
    await setDns(host, { A: ["203.0.113.10"] });
    expect((await deliverWebhookBatch(WEBHOOK_QUEUE, [row!.id])).explicitAcks).toHaveLength(1);
    expect(await receivedBy(inbox.id)).toHaveLength(1);
  });
});

describe("lost queue messages and the cron sweep", () => {
  it("a delivery whose message was lost is re-enqueued by the sweep once a minute has passed, and sent once", async ({
    expect,
  }) => {
    const { user, inbox, endpoint } = await endpointAnswering({});
    const queue = loseWebhookSends();
    await createEvent(user.token);
    await settleQueue();
    expect(queue).toHaveBeenCalled();
    expect((await deliveryRows(endpoint.id))[0]).toMatchObject({ status: "queued", attempts: 0 });

    // A fresh row is left to its own message for a minute.
    await runCron(0);
    await settleQueue();
    expect(await receivedBy(inbox.id)).toEqual([]);

    await runCron(2);
    const [request] = await waitForRequests(inbox.id, 1);
    verifyDelivery(endpoint.secret, request!);
    await waitForDeliveries(user.token, endpoint.id);
    // Delivered rows are never swept again.
    await runCron(20);
    await settleQueue();
    expect(await receivedBy(inbox.id)).toHaveLength(1);
  });

  it("the sweep leases what it re-enqueued: a backlog is not enqueued again every minute", async ({
    expect,
  }) => {
    const { user, endpoint } = await endpointAnswering({});
    loseWebhookSends(2);
    await createEvent(user.token);
    await settleQueue();
    // The sweep's own send is lost too (the cron run reports it); the row now waits out its lease.
    await expect(runCron(2)).rejects.toThrow("queue unavailable");
    const [leased] = await deliveryRows(endpoint.id);
    expect(leased).toMatchObject({ status: "queued", attempts: 0 });
    expect(Date.parse(leased!.next_attempt_at)).toBeGreaterThan(Date.now() + 6 * 60_000);
    await runCron(3);
    expect(await deliveryRows(endpoint.id)).toEqual([leased]);
    // After the lease the sweep tries again, and this time the message arrives.
    await runCron(8);
    await waitForDeliveries(user.token, endpoint.id);
  });

  it("two deliveries of the same row at once send it once", async ({ expect }) => {
    const { user, inbox, endpoint } = await endpointAnswering({ otherwise: { status: 204, delayMs: 200 } });
    loseWebhookSends();
    await createEvent(user.token);
    await settleQueue();
    const [row] = await deliveryRows(endpoint.id);
    await Promise.all([
      deliverWebhookBatch(WEBHOOK_QUEUE, [row!.id]),
      deliverWebhookBatch(WEBHOOK_QUEUE, [row!.id, row!.id]),
    ]);
    expect(await receivedBy(inbox.id)).toHaveLength(1);
    expect((await deliveriesOf(user.token, endpoint.id))[0]).toMatchObject({
      status: "delivered",
      attempts: 1,
    });
  });

  it("a sixth attempt that died before recording its outcome is marked failed by the sweep", async ({
    expect,
  }) => {
    const { user, endpoint } = await endpointAnswering({});
    loseWebhookSends();
    await createEvent(user.token);
    await settleQueue();
    const [row] = await deliveryRows(endpoint.id);
    const expired = new Date(Date.now() - 1_000).toISOString();
    await env.DB.prepare("UPDATE webhook_deliveries SET attempts = 6, claimed_until = ? WHERE id = ?")
      .bind(expired, row!.id)
      .run();
    await runCron(0);
    expect((await deliveriesOf(user.token, endpoint.id))[0]).toMatchObject({
      status: "failed",
      attempts: 6,
      last_error: "the last attempt did not finish",
    });
  });
});

describe("dead-letter queue", () => {
  it("marks its queued rows failed for good; delivered rows stay delivered", async ({ expect }) => {
    const { user, inbox, endpoint } = await endpointAnswering({ script: [{ status: 503 }] });
    await createEvent(user.token);
    await waitForRequests(inbox.id, 1);
    const [pending] = await waitForDeliveries(user.token, endpoint.id, firstAttemptFailed);
    const other = await endpointAnswering({});
    await createEvent(other.user.token);
    const [delivered] = await waitForDeliveries(other.user.token, other.endpoint.id);

    const result = await deliverWebhookBatch(WEBHOOK_DLQ, [pending!.id, delivered!.id]);
    expect(result.ackAll).toBe(true);
    expect((await deliveriesOf(user.token, endpoint.id))[0]).toMatchObject({
      status: "failed",
      attempts: 1,
      last_status: 503,
      last_error: "HTTP 503",
    });
    expect((await deliveriesOf(other.user.token, other.endpoint.id))[0]).toMatchObject({
      status: "delivered",
    });
    await runCron(60);
    await settleQueue();
    expect(await receivedBy(inbox.id)).toHaveLength(1);
  });
});
