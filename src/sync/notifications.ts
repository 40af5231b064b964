import { sha256Hex, timingSafeEqual } from "../tokens/crypto";
import { acceptMessageNumber, findChannel } from "./sync-repo";
import { type SyncRequestDeps, scheduleSync } from "./sync-requests";

// Google's push notifications (developers.google.com/calendar/api/guides/push#receiving-notifications):
// headers only, no body. Nothing in one is trusted until the channel id, its secret token and a fresh
// message number check out; what it then says is only "something changed": the sync asks Google what.

/** The X-Goog-* headers of a notification. */
export interface GoogleNotification {
  channelId: string | undefined;
  channelToken: string | undefined;
  resourceId: string | undefined;
  resourceState: string | undefined;
  messageNumber: string | undefined;
}

/** What became of a notification. */
export type NotificationOutcome = "rejected" | "acknowledged" | "sync_scheduled" | "sync_pending";

/**
 * Checks a notification and, for a change (`exists`), schedules a coalesced sync of the channel's
 * calendar. Unknown channel, wrong token or resource: rejected. A message number not above the highest
 * seen (a replay): acknowledged, nothing done.
 */
export async function receiveNotification(
  deps: SyncRequestDeps,
  notification: GoogleNotification,
  now = Date.now(),
): Promise<NotificationOutcome> {
  const { channelId, channelToken, messageNumber } = notification;
  if (!channelId || !channelToken || channelId.length > 64 || channelToken.length > 256) return "rejected";
  const channel = await findChannel(deps.db, channelId);
  // The hash is compared in constant time even for an unknown channel, so timing tells nothing either way.
  const tokenHash = await sha256Hex(channelToken);
  if (!timingSafeEqual(tokenHash, channel?.tokenHash ?? "0".repeat(64)) || !channel) return "rejected";
  if (channel.resourceId && notification.resourceId !== channel.resourceId) return "rejected";
  if (Date.parse(channel.expiresAt) <= now) return "rejected";
  const number = /^\d{1,15}$/.test(messageNumber ?? "") ? Number(messageNumber) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 1) return "rejected";
  if (!(await acceptMessageNumber(deps.db, channel.id, number))) return "acknowledged";
  if (notification.resourceState === "sync") return "acknowledged";
  const scheduled = await scheduleSync(
    deps,
    { accountId: channel.accountId, calendarId: channel.calendarId },
    now,
  );
  return scheduled ? "sync_scheduled" : "sync_pending";
}
