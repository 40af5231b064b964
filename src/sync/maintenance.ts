import type { WatchChannelRow } from "../db/schema";
import { type ChannelDeps, openChannel, RENEW_WITHIN_MS, renewChannel } from "./channels";
import { calendarsWithoutChannel, dueSyncs, expiringChannels } from "./sync-repo";
import { type SyncRequestDeps, scheduleSync } from "./sync-requests";

// The cron side of following Google: channels renewed before they expire, missing ones opened, and a
// periodic sync of every followed calendar that catches whatever a lost notification would have said.

/** Every followed calendar is synced at least this often, notifications or not. */
export const PERIODIC_SYNC_MS = 15 * 60_000;
/** Work per cron run per job: the rest waits for the next minute. */
const BATCH = 50;

export type SyncMaintenanceDeps = ChannelDeps & SyncRequestDeps;

/** Renews channels that expire within a day (new channel first, then stop the old one). */
export async function renewChannels(deps: SyncMaintenanceDeps, now: number): Promise<number> {
  const due = await expiringChannels(deps.db, new Date(now + RENEW_WITHIN_MS).toISOString(), BATCH);
  return countSuccesses(due, (channel) => renewChannel(deps, channel), "channel renewal failed");
}

/** Opens a channel for followed calendars without a live one (a failed open, a grant that came back). */
export async function repairChannels(deps: SyncMaintenanceDeps, now: number): Promise<number> {
  if (!deps.config.publicUrl) return 0;
  // Channels merely expiring soon are the renewal's job.
  const missing = await calendarsWithoutChannel(deps.db, new Date(now).toISOString(), BATCH);
  return countSuccesses(
    missing,
    (sync) => openChannel(deps, sync.accountId, sync.calendarId),
    "channel open failed",
  );
}

/** Enqueues a sync of every calendar not synced for PERIODIC_SYNC_MS, or whose sync message was lost. */
export async function scheduleDueSyncs(deps: SyncMaintenanceDeps, now: number): Promise<number> {
  const due = await dueSyncs(deps.db, new Date(now - PERIODIC_SYNC_MS).toISOString(), now, BATCH);
  let scheduled = 0;
  for (const sync of due) {
    if (await scheduleSync(deps, { accountId: sync.accountId, calendarId: sync.calendarId }, now))
      scheduled++;
  }
  return scheduled;
}

async function countSuccesses<T extends { accountId: string } | WatchChannelRow>(
  items: readonly T[],
  work: (item: T) => Promise<unknown>,
  message: string,
): Promise<number> {
  let done = 0;
  for (const item of items) {
    try {
      await work(item);
      done++;
    } catch (err) {
      // One account's failure (a dead grant, Google down) must not hold up the others.
      console.error(
        JSON.stringify({ level: "warn", msg: message, account_id: item.accountId, error: String(err) }),
      );
    }
  }
  return done;
}
