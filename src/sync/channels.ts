import type { Config } from "../config";
import type { Db } from "../db/client";
import type { WatchChannelRow } from "../db/schema";
import { stopChannel, watchEvents } from "../google/watch";
import type { AccessTokenDeps } from "../tokens/access-token";
import { randomToken, sha256Hex } from "../tokens/crypto";
import * as repo from "./sync-repo";

// Google push channels: one live channel per followed calendar, renewed a day before it expires.

/** Lifetime asked of Google for a channel (Google may grant less; the renewal follows what it granted). */
const CHANNEL_TTL_SECONDS = 7 * 24 * 3600;
/** Channels expiring within this are renewed by cron. */
export const RENEW_WITHIN_MS = 24 * 3600_000;
/** Path of the notification receiver (routes/google-notifications.ts). */
export const NOTIFICATION_PATH = "/webhooks/google";

export interface ChannelDeps extends AccessTokenDeps {
  config: Config;
  db: Db;
}

/**
 * Opens a push channel on a followed calendar. Without PUBLIC_URL there is nowhere for Google to post, so
 * nothing is opened (the periodic sync alone follows Google). The row exists before Google is asked,
 * because Google's first (sync) message may arrive before its answer.
 */
export async function openChannel(
  deps: ChannelDeps,
  accountId: string,
  calendarId: string,
): Promise<WatchChannelRow | null> {
  if (!deps.config.publicUrl) return null;
  const id = crypto.randomUUID();
  const token = randomToken(32);
  const now = Date.now();
  const row: WatchChannelRow = {
    id,
    accountId,
    calendarId,
    resourceId: null,
    tokenHash: await sha256Hex(token),
    expiresAt: new Date(now + CHANNEL_TTL_SECONDS * 1000).toISOString(),
    lastMessageNumber: 0,
    createdAt: new Date(now).toISOString(),
  };
  await repo.insertChannel(deps.db, row);
  try {
    const opened = await watchEvents(deps, accountId, calendarId, {
      id,
      token,
      address: `${deps.config.publicUrl}${NOTIFICATION_PATH}`,
      ttlSeconds: CHANNEL_TTL_SECONDS,
    });
    const expiresAt = new Date(opened.expiresAt).toISOString();
    await repo.confirmChannel(deps.db, id, opened.resourceId, expiresAt);
    return { ...row, resourceId: opened.resourceId, expiresAt };
  } catch (err) {
    await repo.deleteChannel(deps.db, id);
    throw err;
  }
}

/** Stops a channel at Google (failures are logged: it expires on its own) and forgets it. */
export async function closeChannel(deps: ChannelDeps, channel: WatchChannelRow): Promise<void> {
  if (channel.resourceId) {
    try {
      await stopChannel(deps, channel.accountId, { id: channel.id, resourceId: channel.resourceId });
    } catch (err) {
      console.error(
        JSON.stringify({
          level: "warn",
          msg: "channel stop failed",
          channel_id: channel.id,
          error: String(err),
        }),
      );
    }
  }
  await repo.deleteChannel(deps.db, channel.id);
}

/** Replaces a channel before it expires: the new one first, so no change goes unnoticed in between. */
export async function renewChannel(deps: ChannelDeps, channel: WatchChannelRow): Promise<void> {
  await openChannel(deps, channel.accountId, channel.calendarId);
  await closeChannel(deps, channel);
}

/** Opens a channel on every followed calendar of the account that has no live one. */
export async function ensureChannels(deps: ChannelDeps, accountId: string): Promise<number> {
  if (!deps.config.publicUrl) return 0;
  const liveAfter = new Date(Date.now() + RENEW_WITHIN_MS).toISOString();
  const channels = await repo.channelsOfAccount(deps.db, accountId);
  let opened = 0;
  for (const followed of await repo.followedCalendars(deps.db, accountId)) {
    const live = channels.some((c) => c.calendarId === followed.calendarId && c.expiresAt > liveAfter);
    if (!live && (await openChannel(deps, accountId, followed.calendarId))) opened++;
  }
  return opened;
}

/** Stops and forgets every channel of the account (disconnect: while its tokens still work). */
export async function closeAllChannels(deps: ChannelDeps, accountId: string): Promise<void> {
  for (const channel of await repo.channelsOfAccount(deps.db, accountId)) await closeChannel(deps, channel);
}
