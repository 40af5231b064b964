import { type SyncDeps, syncCalendar } from "./calendar-sync";
import type { SyncJob } from "./sync-requests";

/** Name of the sync queue (wrangler.toml). */
export const SYNC_QUEUE_NAME = "calendar-edge-sync";

/** Queue consumer: one sync per message; a sync that must wait is retried with the delay it asks for. */
export async function handleSyncBatch(batch: MessageBatch<SyncJob>, deps: SyncDeps): Promise<void> {
  for (const message of batch.messages) {
    const job = message.body;
    if (typeof job?.accountId !== "string" || typeof job.calendarId !== "string") {
      console.error(JSON.stringify({ level: "warn", msg: "malformed sync message", message_id: message.id }));
      message.ack();
      continue;
    }
    try {
      const outcome = await syncCalendar(deps, job);
      if (outcome.status === "retry") message.retry({ delaySeconds: outcome.delaySeconds });
      else message.ack();
      if (outcome.status !== "synced" || outcome.applied > 0) {
        console.log(
          JSON.stringify({ level: "info", msg: "calendar sync", account_id: job.accountId, ...outcome }),
        );
      }
    } catch (err) {
      // D1 itself failed: let the queue try again later.
      console.error(JSON.stringify({ level: "warn", msg: "sync error", error: String(err) }));
      message.retry({ delaySeconds: 30 });
    }
  }
}
