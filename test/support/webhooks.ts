// Drives the webhook test network (test/support/webhook-network.ts) from tests: plain fetches to its
// control URL reach it through Miniflare's outboundService. Also the API calls, queue and row reads the
// webhook tests share.
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { onTestFinished, vi } from "vitest";
import { api } from "./app";
import type { EventJson } from "./events";
import { runQueueBatch } from "./queues";
import type { DnsRecords, ReceivedRequest, ReceiverRule } from "./webhook-network";

export type { ReceivedRequest, ReceiverRule } from "./webhook-network";

/** Queue names, as in wrangler.toml. */
export const WEBHOOK_QUEUE = "calendar-edge-webhooks";
export const WEBHOOK_DLQ = "calendar-edge-webhooks-dlq";

const CONTROL = "https://hooks.receiver.example/__receiver";

/** A fresh inbox on the receiver: test files share the network, so each test uses its own. */
export function newInbox(host = "hooks.receiver.example"): { id: string; url: string } {
  const id = `in-${crypto.randomUUID()}`;
  return { id, url: `https://${host}/${id}` };
}

/** A host name of its own under receiver.example (resolving to public test addresses until changed). */
export function newReceiverHost(): string {
  return `h-${crypto.randomUUID().slice(0, 8)}.receiver.example`;
}

/** How the inbox answers: `script` rules one request each, in order, then `otherwise` (default 204). */
export async function answerWith(
  inboxId: string,
  rules: { script?: ReceiverRule[]; otherwise?: ReceiverRule },
): Promise<void> {
  await control(`/inboxes/${inboxId}`, { method: "PUT", body: JSON.stringify(rules) });
}

/** Every request the inbox got, in order. */
export async function receivedBy(inboxId: string): Promise<ReceivedRequest[]> {
  return ((await (await control(`/inboxes/${inboxId}`)).json()) as { requests: ReceivedRequest[] }).requests;
}

/** Waits (bounded) until the inbox has `count` requests; returns them. */
export async function waitForRequests(inboxId: string, count: number, timeout = 10_000) {
  let requests: ReceivedRequest[] = [];
  await vi.waitUntil(
    async () => {
      requests = await receivedBy(inboxId);
      return requests.length >= count;
    },
    { timeout, interval: 50 },
  );
  return requests;
}

/** Replaces the DNS records of a name (until the test ends). */
export async function setDns(name: string, records: DnsRecords): Promise<void> {
  await control(`/dns/${encodeURIComponent(name)}`, { method: "PUT", body: JSON.stringify(records) });
  onTestFinished(async () => {
    await control(`/dns/${encodeURIComponent(name)}`, { method: "DELETE" });
  });
}

/** How many DNS-over-HTTPS queries (A and AAAA each count) the stub answered for a name. */
export async function dnsQueriesFor(name: string): Promise<number> {
  return ((await (await control(`/dns/${encodeURIComponent(name)}`)).json()) as { queries: number }).queries;
}

async function control(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(`${CONTROL}${path}`, {
    ...init,
    headers: { "content-type": "application/json", ...init.headers },
  });
  if (!res.ok) throw new Error(`receiver control ${path} answered ${res.status}: ${await res.text()}`);
  return res;
}

// ---------------------------------------------------------------------------------------------------------
// The API

/** `POST /api/webhooks/` answer with the secret. */
export interface CreatedWebhook {
  id: string;
  url: string;
  events: string[];
  secret: string;
  created_at: string;
}

export interface DeliveryJson {
  id: string;
  message_id: string;
  type: string;
  status: "queued" | "delivered" | "failed";
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
  next_attempt_at: string | null;
}

/** Registers an endpoint; throws unless 201. */
export async function registerWebhook(token: string, body: { url: string; events?: string[] }) {
  const res = await api("/api/webhooks/", { method: "POST", token, body });
  if (res.status !== 201) throw new Error(`POST /api/webhooks answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as CreatedWebhook;
}

/** `GET /api/webhooks/{id}/deliveries`, parsed; throws unless 200. */
export async function deliveriesOf(token: string, endpointId: string, query = ""): Promise<DeliveryJson[]> {
  const res = await api(`/api/webhooks/${endpointId}/deliveries${query}`, { token });
  if (res.status !== 200) throw new Error(`deliveries answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { deliveries: DeliveryJson[] }).deliveries;
}

/** Polls the endpoint's deliveries until `done` holds (by default: none still queued). */
export async function waitForDeliveries(
  token: string,
  endpointId: string,
  done: (deliveries: DeliveryJson[]) => boolean = (d) =>
    d.length > 0 && d.every((x) => x.status !== "queued"),
): Promise<DeliveryJson[]> {
  let last: DeliveryJson[] = [];
  await vi.waitUntil(
    async () => {
      last = await deliveriesOf(token, endpointId);
      return done(last);
    },
    { timeout: 10_000, interval: 50 },
  );
  return last;
}

/** The webhook body as a receiver gets it. */
export interface WebhookBody {
  id: string;
  type: string;
  created_at: string;
  data: { event?: EventJson; account?: { id: string; email: string; google: { status: string } } };
}

/**
 * Verifies a received request as a receiver would, with the third-party `standardwebhooks` package (not our
 * code): signature over id, timestamp and the raw body, timestamp within five minutes. Returns the body.
 */
export function verifyDelivery(secret: string, request: ReceivedRequest): WebhookBody {
  return new Webhook(secret).verify(request.body, request.headers) as WebhookBody;
}

// ---------------------------------------------------------------------------------------------------------
// Queue and rows

/** Makes the next `times` WEBHOOK_QUEUE.sendBatch calls fail, as if the queue were unreachable. */
export function loseWebhookSends(times = 1) {
  const spy = vi.spyOn(env.WEBHOOK_QUEUE, "sendBatch");
  for (let i = 0; i < times; i++) spy.mockRejectedValueOnce(new Error("queue unavailable"));
  onTestFinished(() => spy.mockRestore());
  return spy;
}

/** Hands the queue handler one batch of delivery ids, as the queue would (see runQueueBatch). */
export function deliverWebhookBatch(queue: string, deliveryIds: string[]) {
  return runQueueBatch(
    queue,
    deliveryIds.map((deliveryId) => ({ deliveryId })),
  );
}

/** The endpoint's delivery rows as stored (oldest first). */
export async function deliveryRows(endpointId: string) {
  const { results } = await env.DB.prepare(
    "SELECT id, message_id, type, status, attempts, last_status, last_error, payload, next_attempt_at, claimed_until FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY created_at, id",
  )
    .bind(endpointId)
    .all<{
      id: string;
      message_id: string;
      type: string;
      status: string;
      attempts: number;
      last_status: number | null;
      last_error: string | null;
      payload: string;
      next_attempt_at: string;
      claimed_until: string | null;
    }>();
  return results;
}
