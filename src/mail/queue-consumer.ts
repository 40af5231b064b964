import type { Deps } from "../deps";
import { deliverOutboxRow, type MailJob, markDeadLettered } from "./outbox";

/** Name of the mail queue (wrangler.toml). */
export const MAIL_QUEUE_NAME = "calendar-edge-mail";
/** Name of the dead-letter queue (wrangler.toml); its batches mark rows failed for good. */
export const MAIL_DLQ_NAME = "calendar-edge-mail-dlq";

/** Queue consumer: delivers each message's outbox row; a failed send is retried with backoff. */
export async function handleMailBatch(batch: MessageBatch<MailJob>, deps: Deps): Promise<void> {
  if (batch.queue === MAIL_DLQ_NAME) {
    const ids = batch.messages.map((m) => m.body?.outboxId).filter(isOutboxId);
    await markDeadLettered(deps.db, ids);
    console.error(JSON.stringify({ level: "warn", msg: "mail dead-lettered", outbox_ids: ids }));
    batch.ackAll();
    return;
  }
  for (const message of batch.messages) {
    const outboxId = message.body?.outboxId;
    if (!isOutboxId(outboxId)) {
      // Nothing to deliver, and retrying cannot change that.
      console.error(JSON.stringify({ level: "warn", msg: "malformed mail message", message_id: message.id }));
      message.ack();
      continue;
    }
    try {
      const outcome = await deliverOutboxRow(deps, outboxId);
      if (typeof outcome === "object") message.retry({ delaySeconds: outcome.retryInSeconds });
      else message.ack();
    } catch (err) {
      // D1 itself failed: let the queue try again later.
      console.error(JSON.stringify({ level: "warn", msg: "mail delivery error", error: String(err) }));
      message.retry({ delaySeconds: 30 });
    }
  }
}

function isOutboxId(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= 64;
}
