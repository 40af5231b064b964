import { Hono } from "hono";
import { depsFromContext } from "../deps";
import { ProblemError } from "../http/problem";
import { NOTIFICATION_PATH } from "../sync/channels";
import { receiveNotification } from "../sync/notifications";
import type { AppEnv } from "../types";

/**
 * Google's push notifications for watched calendars. Answers fast (Google retries slow or failed
 * deliveries): the work is one D1 check and, for a change, one coalesced queue message.
 */
export const googleNotificationRoutes = new Hono<AppEnv>().post(NOTIFICATION_PATH, async (c) => {
  const outcome = await receiveNotification(depsFromContext(c), {
    channelId: c.req.header("x-goog-channel-id"),
    channelToken: c.req.header("x-goog-channel-token"),
    resourceId: c.req.header("x-goog-resource-id"),
    resourceState: c.req.header("x-goog-resource-state"),
    messageNumber: c.req.header("x-goog-message-number"),
  });
  // One answer for every refusal: nothing tells a prober whether a channel exists.
  if (outcome === "rejected") throw new ProblemError("notification_rejected");
  return c.body(null, 204);
});
