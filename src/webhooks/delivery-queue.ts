import { and, eq, gte, inArray, isNull, lt, lte, or } from "drizzle-orm";
import type { Db } from "../db/client";
import { webhookDeliveries } from "../db/schema";

// Deliveries reach the consumer through WEBHOOK_QUEUE: enqueued right after the change's response, and
// re-enqueued by the cron sweep when a message was lost (queue unavailable, a retry that never came).

/** A queue message: which delivery row to attempt. */
export interface WebhookJob {
  deliveryId: string;
}

/** What enqueuing and sweeping need. */
export interface WebhookQueueDeps {
  db: Db;
  webhookQueue: Queue<WebhookJob>;
}

/** Attempts per delivery, all paths together (first send, queue retries, sweeps); then `failed`. */
export const MAX_WEBHOOK_ATTEMPTS = 6;
/** How long a claim holds a row: longer than one attempt can take (DNS checks + the 10 s request). */
export const CLAIM_MS = 60_000;
/** How long the sweep leaves a row it re-enqueued before enqueuing it again. */
const SWEEP_LEASE_MS = 5 * 60_000;
/** Rows per sweep statement: D1 binds at most 100 parameters per query. */
const SWEEP_CHUNK = 50;

/** After the response (waitUntil): put freshly written deliveries on the queue; if that fails, the sweep will. */
export async function enqueueWebhookDeliveries(
  deps: Pick<WebhookQueueDeps, "webhookQueue">,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  try {
    await enqueue(deps.webhookQueue, [...ids]);
  } catch (err) {
    console.error(
      JSON.stringify({
        level: "warn",
        msg: "webhook enqueue failed; the sweep will retry",
        error: String(err),
      }),
    );
  }
}

/** What one sweep did: rows put back on the queue, and rows whose last attempt never finished. */
export interface WebhookSweepReport {
  requeued: number;
  abandoned: number;
}

/**
 * Cron: re-enqueues deliveries that are queued, due for at least a minute and unclaimed (a lost message, a
 * retry that never arrived), each then left alone for five minutes so a backlog is not duplicated every
 * minute; and marks `failed` the rows whose sixth attempt died before recording its outcome.
 */
export async function sweepWebhookDeliveries(
  deps: WebhookQueueDeps,
  now = Date.now(),
): Promise<WebhookSweepReport> {
  const nowIso = new Date(now).toISOString();
  const unclaimed = or(isNull(webhookDeliveries.claimedUntil), lt(webhookDeliveries.claimedUntil, nowIso));
  const abandoned = await deps.db
    .update(webhookDeliveries)
    .set({ status: "failed", claimedUntil: null, lastError: "the last attempt did not finish" })
    .where(
      and(
        eq(webhookDeliveries.status, "queued"),
        gte(webhookDeliveries.attempts, MAX_WEBHOOK_ATTEMPTS),
        unclaimed,
      ),
    )
    .run();
  // A fresh row gets a minute for its own message to arrive before the sweep duplicates it.
  const due = new Date(now - CLAIM_MS).toISOString();
  const rows = await deps.db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.status, "queued"),
        lt(webhookDeliveries.attempts, MAX_WEBHOOK_ATTEMPTS),
        lte(webhookDeliveries.nextAttemptAt, due),
        unclaimed,
      ),
    )
    .limit(500)
    .all();
  const lease = new Date(now + SWEEP_LEASE_MS).toISOString();
  for (let i = 0; i < rows.length; i += SWEEP_CHUNK) {
    const ids = rows.slice(i, i + SWEEP_CHUNK).map((r) => r.id);
    await deps.db
      .update(webhookDeliveries)
      .set({ nextAttemptAt: lease })
      .where(and(inArray(webhookDeliveries.id, ids), eq(webhookDeliveries.status, "queued")));
    await enqueue(deps.webhookQueue, ids);
  }
  return { requeued: rows.length, abandoned: abandoned.meta.changes };
}

async function enqueue(queue: Queue<WebhookJob>, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 100) {
    await queue.sendBatch(ids.slice(i, i + 100).map((deliveryId) => ({ body: { deliveryId } })));
  }
}
