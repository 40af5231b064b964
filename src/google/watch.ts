import * as z from "zod/mini";
import type { AccessTokenDeps } from "../tokens/access-token";
import { callCalendar, eventsPath } from "./calendar";
import { readGoogleJson } from "./http";

// Push notifications (developers.google.com/calendar/api/guides/push): events.watch opens a channel that
// Google posts to on every change of the calendar's events; channels.stop closes it.

const ChannelSchema = z.lazy(() =>
  z.object({
    id: z.string(),
    resourceId: z.string(),
    expiration: z.optional(z.coerce.number()),
  }),
);

/** A channel as Google confirmed it. */
export interface OpenedChannel {
  resourceId: string;
  /** Epoch ms; Google may shorten the lifetime asked for. */
  expiresAt: number;
}

/** Opens a web_hook channel on the calendar's events, delivering to `address` with `token`. */
export async function watchEvents(
  deps: AccessTokenDeps,
  accountId: string,
  calendarId: string,
  channel: { id: string; token: string; address: string; ttlSeconds: number },
): Promise<OpenedChannel> {
  const res = await callCalendar(
    deps,
    accountId,
    "POST",
    `${eventsPath(calendarId)}/watch`,
    {
      id: channel.id,
      type: "web_hook",
      address: channel.address,
      token: channel.token,
      params: { ttl: String(channel.ttlSeconds) },
    },
    [],
  );
  const opened = await readGoogleJson(res, ChannelSchema);
  return {
    resourceId: opened.resourceId,
    expiresAt: opened.expiration ?? Date.now() + channel.ttlSeconds * 1000,
  };
}

/** Stops a channel. One Google no longer knows (404) counts as stopped. */
export async function stopChannel(
  deps: AccessTokenDeps,
  accountId: string,
  channel: { id: string; resourceId: string },
): Promise<void> {
  const res = await callCalendar(
    deps,
    accountId,
    "POST",
    "/channels/stop",
    { id: channel.id, resourceId: channel.resourceId },
    [404],
  );
  await res.body?.cancel();
}
