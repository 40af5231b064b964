import { PRIMARY_CALENDAR } from "../google/calendar";
import { type ChannelDeps, closeAllChannels, ensureChannels } from "./channels";
import * as repo from "./sync-repo";

/**
 * After a consent (first or again): a push channel on every followed calendar. The first change Google
 * announces (or the periodic sync) runs the calendar's first sync, the full listing that yields its sync
 * token. A failure is left to the cron job that opens missing channels.
 */
export async function startFollowing(deps: ChannelDeps, accountId: string): Promise<void> {
  try {
    await ensureChannels(deps, accountId);
  } catch (err) {
    console.error(
      JSON.stringify({ level: "warn", msg: "channel open failed; cron retries", error: String(err) }),
    );
  }
}

/** Before a disconnect revokes the grant: stop Google's channels while the tokens still work. */
export async function stopFollowing(deps: ChannelDeps, accountId: string): Promise<void> {
  await closeAllChannels(deps, accountId);
}

/**
 * After an event was created on a calendar: follow it too (the primary one is followed from the consent
 * on). Costs one D1 write per new calendar; a channel is opened only the first time.
 */
export async function followCalendar(
  deps: ChannelDeps,
  accountId: string,
  calendarId: string,
): Promise<void> {
  if (calendarId === PRIMARY_CALENDAR) return;
  try {
    const res = await repo.followCalendar(deps.db, accountId, calendarId).run();
    if (res.meta.changes > 0) await ensureChannels(deps, accountId);
  } catch (err) {
    console.error(JSON.stringify({ level: "warn", msg: "follow calendar failed", error: String(err) }));
  }
}
