import type { Db } from "../db/client";
import { toEventJson } from "../events/event-json";
import type { StoredEvent } from "../events/event-model";
import { fanOutWebhook, type WebhookAnnouncements, type WebhookMessage, webhookMessageId } from "./fan-out";

/** Event types the API's own event writes announce. */
export type EventChangeType = "event.created" | "event.updated" | "event.cancelled";

/**
 * The announcement of a change to an event: `data.event` is the event exactly as `GET /api/events/{id}`
 * shows it after the change. Ids: created and cancelled happen once per event; updates once per sequence.
 */
export async function eventChangeMessage(
  type: EventChangeType,
  event: StoredEvent,
  createdAt: string,
): Promise<WebhookMessage> {
  const parts =
    type === "event.updated" ? [type, event.row.id, String(event.row.sequence)] : [type, event.row.id];
  return { type, messageId: await webhookMessageId(parts), createdAt, data: { event: toEventJson(event) } };
}

/** A completion batch's announcement of `event` as the change leaves it (its `updated_at` is the time). */
export async function announceEventChange(
  db: Db,
  type: EventChangeType,
  event: StoredEvent,
): Promise<WebhookAnnouncements> {
  const message = await eventChangeMessage(type, event, event.row.updatedAt);
  return { at: event.row.updatedAt, webhooks: [fanOutWebhook(db, event.row.accountId, message)] };
}

/**
 * The announcement that an account's Google grant stopped working: once per grant (`grantVersion`), so
 * every failed refresh of the same grant announces it only once.
 */
export async function reauthorizationRequiredMessage(
  account: { id: string; email: string },
  grantVersion: number,
  createdAt: string,
): Promise<WebhookMessage> {
  const type = "account.reauthorization_required";
  return {
    type,
    messageId: await webhookMessageId([type, account.id, String(grantVersion)]),
    createdAt,
    data: {
      account: { id: account.id, email: account.email, google: { status: "reauthorization_required" } },
    },
  };
}
