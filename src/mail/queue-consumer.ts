import type { Deps } from "../deps";
import { type DeliveryOutcome, deliverOutboxRows, type MailJob, markDeadLettered } from "./outbox";

/** Name of the mail queue (wrangler.toml). */
export const MAIL_QUEUE_NAME = "calendar-edge-mail";
/** Name of the dead-letter queue (wrangler.toml); its batches mark rows failed for good. */
export const MAIL_DLQ_NAME = "calendar-edge-mail-dlq";

/** Queue consumer: delivers the batch's outbox rows together; a failed send is retried with backoff. */
export async function handleMailBatch(batch: MessageBatch<MailJob>, deps: Deps): Promise<void> {
  if (batch.queue === MAIL_DLQ_NAME) {
    const ids = batch.messages.map((m) => m.body?.outboxId).filter(isOutboxId);
    await markDeadLettered(deps.db, ids);
    console.error(JSON.stringify({ level: "warn", msg: "mail dead-lettered", outbox_ids: ids }));
    batch.ackAll();
    return;
  }
  const valid = batch.messages.filter((message) => {
    if (isOutboxId(message.body?.outboxId)) return true;
    // Nothing to deliver, and retrying cannot change that.
    console.error(JSON.stringify({ level: "warn", msg: "malformed mail message", message_id: message.id }));
    message.ack();
    return false;
  });
  let outcomes: Map<string, DeliveryOutcome>;
  try {
    outcomes = await deliverOutboxRows(
      deps,
      valid.map((message) => message.body.outboxId),
    );
  } catch (err) {
    // D1 itself failed: let the queue try again later.
    console.error(JSON.stringify({ level: "warn", msg: "mail delivery error", error: String(err) }));
    for (const message of valid) message.retry({ delaySeconds: 30 });
    return;
  }
  for (const message of valid) {
    const outcome = outcomes.get(message.body.outboxId);
    if (typeof outcome === "object") message.retry({ delaySeconds: outcome.retryInSeconds });
    else message.ack();
  }
}

function isOutboxId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= 64;
}
