import type { Deps } from "../deps";
import { deliverOutboxRow, type MailJob, markDeadLettered } from "./outbox";

/** Name of the dead-letter queue (wrangler.toml); its batches mark rows failed for good. */
export const MAIL_DLQ_NAME = "calendar-edge-mail-dlq";

/** Queue consumer: delivers each message's outbox row; a failed send is retried with backoff. */
export async function handleMailBatch(batch: MessageBatch<MailJob>, deps: Deps): Promise<void> {
  if (batch.queue === MAIL_DLQ_NAME) {
    await markDeadLettered(
      deps.db,
      batch.messages.map((m) => m.body.outboxId),
    );
    batch.ackAll();
    return;
  }
  for (const message of batch.messages) {
    try {
      const outcome = await deliverOutboxRow(deps, message.body.outboxId);
      if (typeof outcome === "object") message.retry({ delaySeconds: outcome.retryInSeconds });
      else message.ack();
    } catch (err) {
      // D1 itself failed: let the queue try again later.
      console.error(JSON.stringify({ level: "warn", msg: "mail delivery error", error: String(err) }));
      message.retry({ delaySeconds: 30 });
    }
  }
}
