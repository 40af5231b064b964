import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { webhookDeliveries, webhookEndpoints } from "../db/schema";
import { sha256, toBase64Url } from "../tokens/crypto";
import type { WebhookEventType } from "./event-types";

// Announcing a change: one statement, put in the change's own db.batch, writes a delivery row for every
// endpoint of the account that subscribed to the type. The change and its announcements commit together,
// so there is never a webhook for a change that was rolled back, nor a change without its webhooks.

export { enqueueWebhookDeliveries } from "./delivery-queue";
export type { WebhookEventType } from "./event-types";

/** A change to announce: `messageId` must be derived from the change (same change → same id) so a repeated write queues nothing twice. */
export interface WebhookMessage {
  type: WebhookEventType;
  messageId: string;
  /** ISO time of the change: the body's `created_at`. */
  createdAt: string;
  /** `{ event }` or `{ account }`, as the API shows them. */
  data: Record<string, unknown>;
}

/** The body every delivery of a message sends, byte for byte: `{id, type, created_at, data}`. */
export function webhookPayload(message: WebhookMessage): string {
  return JSON.stringify({
    id: message.messageId,
    type: message.type,
    created_at: message.createdAt,
    data: message.data,
  });
}

/**
 * One statement to put in the change's db.batch: a delivery row for every endpoint of the account subscribed
 * to the type (INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING id). The body is serialised once, here.
 */
export function fanOutWebhook(
  db: Db,
  accountId: string,
  message: WebhookMessage,
  options: {
    /** A condition on the batch's own writes (e.g. "the row above was updated"): no rows unless it holds. */
    onlyIf?: SQL;
  } = {},
) {
  const payload = webhookPayload(message);
  const now = new Date().toISOString();
  const subscribed = sql`EXISTS (SELECT 1 FROM json_each(${webhookEndpoints.eventTypes}) WHERE json_each.value = ${message.type})`;
  return (
    db
      .insert(webhookDeliveries)
      .select(
        // Every column, in table order (drizzle's INSERT … SELECT). Ids are made in SQL: how many rows
        // there will be is known only when the statement runs.
        db
          .select({
            id: sql<string>`'dlv_' || lower(hex(randomblob(16)))`.as("id"),
            endpointId: webhookEndpoints.id,
            accountId: webhookEndpoints.accountId,
            messageId: sql<string>`${message.messageId}`.as("messageId"),
            type: sql<string>`${message.type}`.as("type"),
            payload: sql<string>`${payload}`.as("payload"),
            status: sql<"queued">`'queued'`.as("status"),
            attempts: sql<number>`0`.as("attempts"),
            lastStatus: sql<number | null>`NULL`.as("lastStatus"),
            lastError: sql<string | null>`NULL`.as("lastError"),
            nextAttemptAt: sql<string>`${now}`.as("nextAttemptAt"),
            claimedUntil: sql<string | null>`NULL`.as("claimedUntil"),
            createdAt: sql<string>`${now}`.as("createdAt"),
            deliveredAt: sql<string | null>`NULL`.as("deliveredAt"),
          })
          .from(webhookEndpoints)
          .where(and(eq(webhookEndpoints.accountId, accountId), subscribed, options.onlyIf)),
      )
      // The unique (endpoint, message id): the same change announced twice queues nothing new.
      .onConflictDoNothing()
      .returning({ id: webhookDeliveries.id })
  );
}

/** A fan-out statement, as `fanOutWebhook` builds it. */
export type WebhookFanOut = ReturnType<typeof fanOutWebhook>;

/** Fan-out statements for a write's own batch, built for the write's time `at` (the body shows it). */
export interface WebhookAnnouncements {
  at: string;
  webhooks: readonly WebhookFanOut[];
}

/**
 * The ids the fan-out statements of a batch returned, from db.batch's results: pass the results of the
 * fan-out statements only, e.g. `results.slice(-fanOuts.length)` when they come last in the batch.
 */
export function webhookDeliveryIds(results: readonly unknown[]): string[] {
  return results.flatMap((result) => {
    if (!Array.isArray(result)) throw new TypeError("not the result of a webhook fan-out statement");
    return result.map((row: unknown) => {
      const id = (row as { id?: unknown } | null)?.id;
      if (typeof id !== "string") throw new TypeError("not the result of a webhook fan-out statement");
      return id;
    });
  });
}

/** A stable message id from the parts that identify a change, e.g. ["event.updated", eventId, String(sequence)] → "msg_…". */
export async function webhookMessageId(parts: readonly string[]): Promise<string> {
  // JSON keeps ["a.b", "c"] and ["a", "b.c"] apart; 24 bytes of SHA-256 leave no practical collisions.
  const digest = await sha256(JSON.stringify(parts));
  return `msg_${toBase64Url(digest.slice(0, 24))}`;
}
