import { createApp } from "./app";
import { parseConfig } from "./config";
import { createDeps } from "./deps";
import type { MailJob } from "./mail/outbox";
import { handleMailBatch, MAIL_DLQ_NAME, MAIL_QUEUE_NAME } from "./mail/queue-consumer";
import { runMaintenance } from "./maintenance/cron";
import { handleSyncBatch, SYNC_QUEUE_NAME } from "./sync/queue-consumer";
import type { SyncJob } from "./sync/sync-requests";
import type { WebhookJob } from "./webhooks/delivery-queue";
import { handleWebhookBatch, WEBHOOK_DLQ_NAME, WEBHOOK_QUEUE_NAME } from "./webhooks/queue-consumer";

const app = createApp();

export default {
  /** The HTTP API. */
  fetch: app.fetch,

  /** Queue consumers: mail delivery (and its dead-letter queue), calendar syncs, outgoing webhooks (and DLQ). */
  async queue(batch, env) {
    const deps = createDeps(env, parseConfig(env));
    switch (batch.queue) {
      case MAIL_QUEUE_NAME:
      case MAIL_DLQ_NAME:
        return handleMailBatch(batch as MessageBatch<MailJob>, deps);
      case SYNC_QUEUE_NAME:
        return handleSyncBatch(batch as MessageBatch<SyncJob>, deps);
      case WEBHOOK_QUEUE_NAME:
      case WEBHOOK_DLQ_NAME:
        return handleWebhookBatch(batch as MessageBatch<WebhookJob>, deps);
      default:
        console.error(
          JSON.stringify({ level: "error", msg: "batch from an unknown queue", queue: batch.queue }),
        );
        batch.retryAll();
    }
  },

  /** Every minute: repair interrupted writes, re-enqueue stuck mail (see maintenance/cron.ts). */
  async scheduled(controller, env, _ctx) {
    await runMaintenance(createDeps(env, parseConfig(env)), controller.scheduledTime);
  },
} satisfies ExportedHandler<Env>;
