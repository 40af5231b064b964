import type { Deps } from "../deps";
import { deliverWebhook, markWebhooksDeadLettered } from "./delivery";
import type { WebhookJob } from "./delivery-queue";

/** Name of the webhook queue (wrangler.toml). */
export const WEBHOOK_QUEUE_NAME = "calendar-edge-webhooks";
/** Name of its dead-letter queue (wrangler.toml); its batches mark rows failed for good. */
export const WEBHOOK_DLQ_NAME = "calendar-edge-webhooks-dlq";

/**
 * Queue consumer: attempts each message's delivery; a failed attempt is retried with backoff. The messages
 * of a batch go out concurrently, so one slow receiver (up to 10 s) does not hold up the others.
 */
export async function handleWebhookBatch(batch: MessageBatch<WebhookJob>, deps: Deps): Promise<void> {
  if (batch.queue === WEBHOOK_DLQ_NAME) {
    const ids = batch.messages.map((m) => m.body?.deliveryId).filter(isDeliveryId);
    await markWebhooksDeadLettered(deps.db, ids);
    console.error(JSON.stringify({ level: "warn", msg: "webhooks dead-lettered", delivery_ids: ids }));
    batch.ackAll();
    return;
  }
  await Promise.all(
    batch.messages.map(async (message) => {
      const deliveryId = message.body?.deliveryId;
      if (!isDeliveryId(deliveryId)) {
        // Nothing to deliver, and retrying cannot change that.
        console.error(
          JSON.stringify({ level: "warn", msg: "malformed webhook message", message_id: message.id }),
        );
        message.ack();
        return;
      }
      try {
        const outcome = await deliverWebhook(deps, deliveryId);
        if (typeof outcome === "object") message.retry({ delaySeconds: outcome.retryInSeconds });
        else message.ack();
      } catch (err) {
        // D1 itself failed: let the queue try again later.
        console.error(JSON.stringify({ level: "warn", msg: "webhook delivery error", error: String(err) }));
        message.retry({ delaySeconds: 30 });
      }
    }),
  );
}

function isDeliveryId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= 64;
}
