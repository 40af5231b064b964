import { Hono } from "hono";
import { depsFromContext } from "../deps";
import { decodeCursor, encodeCursor } from "../events/cursor";
import { toEventJson } from "../events/event-json";
import { listEvents } from "../events/events-repo";
import { cancelEvent, createEvent, getOwnEvent, updateEvent } from "../events/events-service";
import { requireApiToken } from "../http/api-auth";
import { validationFailed } from "../http/problem";
import { parseJsonBody, parseQuery } from "../http/validate";
import { enqueueMail } from "../mail/outbox";
import { followCalendar } from "../sync/follow-account";
import { parseRfc3339OrLocal } from "../time/zoned-time";
import type { AppEnv } from "../types";
import { enqueueWebhookDeliveries } from "../webhooks/fan-out";
import { CreateEventBody, ListEventsQuery, UpdateEventBody } from "./events.schemas";

/** The events resource: create, list, read, reschedule, cancel. Mail and webhooks leave after the response. */
export const eventsRoutes = new Hono<AppEnv>()
  // One registration: "/api/events/*" also matches "/api/events"; a second would spend the rate limit twice.
  .use("/api/events/*", requireApiToken)
  .post("/api/events", async (c) => {
    const input = await parseJsonBody(c, CreateEventBody);
    const deps = depsFromContext(c);
    const { event, mailIds, webhookIds, created } = await createEvent(
      deps,
      c.get("account"),
      input,
      c.req.header("idempotency-key"),
    );
    c.executionCtx.waitUntil(enqueueMail(deps, mailIds));
    c.executionCtx.waitUntil(enqueueWebhookDeliveries(deps, webhookIds));
    if (created) c.executionCtx.waitUntil(followCalendar(deps, event.row.accountId, event.row.calendarId));
    c.header("location", `/api/events/${event.row.id}`);
    return c.json(toEventJson(event), created ? 201 : 200);
  })
  .get("/api/events", async (c) => {
    const query = parseQuery(c, ListEventsQuery);
    const from = query.from ? parseInstant(query.from, "from") : undefined;
    const to = query.to ? parseInstant(query.to, "to") : undefined;
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const limit = query.limit ?? 20;
    const page = await listEvents(depsFromContext(c).db, c.get("account").id, {
      limit: limit + 1,
      after,
      from,
      to,
      calendarId: query.calendar_id,
    });
    const more = page.length > limit;
    const events = page.slice(0, limit);
    const last = events.at(-1);
    return c.json({
      events: events.map(toEventJson),
      next_cursor: more && last ? encodeCursor({ start: last.row.startTime, id: last.row.id }) : null,
    });
  })
  .get("/api/events/:id", async (c) => {
    const event = await getOwnEvent(depsFromContext(c), c.get("account"), c.req.param("id"));
    return c.json(toEventJson(event));
  })
  .patch("/api/events/:id", async (c) => {
    const input = await parseJsonBody(c, UpdateEventBody);
    const deps = depsFromContext(c);
    const { event, mailIds, webhookIds } = await updateEvent(
      deps,
      c.get("account"),
      c.req.param("id"),
      input,
    );
    c.executionCtx.waitUntil(enqueueMail(deps, mailIds));
    c.executionCtx.waitUntil(enqueueWebhookDeliveries(deps, webhookIds));
    return c.json(toEventJson(event));
  })
  .delete("/api/events/:id", async (c) => {
    const deps = depsFromContext(c);
    const id = c.req.param("id");
    const { mailIds, webhookIds } = await cancelEvent(deps, c.get("account"), id);
    c.executionCtx.waitUntil(enqueueMail(deps, mailIds));
    c.executionCtx.waitUntil(enqueueWebhookDeliveries(deps, webhookIds));
    return c.body(null, 204);
  });

function parseInstant(value: string, path: string): string {
  const instant = parseRfc3339OrLocal(value, "UTC");
  if (!instant) throw validationFailed([{ path, message: "must be an RFC 3339 date-time" }]);
  return instant.toISOString();
}
