import { Hono } from "hono";
import * as z from "zod/mini";
import { getAvailability, MAX_WINDOW_DAYS } from "../availability/availability-service";
import { depsFromContext } from "../deps";
import { requireApiToken } from "../http/api-auth";
import { validationFailed } from "../http/problem";
import { parseQuery, parseWith } from "../http/validate";
import { canonicalTimeZone, formatInZone, isValidTimeZone, parseRfc3339OrLocal } from "../time/zoned-time";
import type { AppEnv } from "../types";
import { AvailabilityQuery, CalendarIdInput, MAX_QUERY_CALENDARS } from "./availability.schemas";

const DAY_MS = 86_400_000;

/** Free/busy of the caller's calendars over a window, with the free gaps long enough for a meeting. */
export const availabilityRoutes = new Hono<AppEnv>().get("/api/availability", requireApiToken, async (c) => {
  const query = parseQuery(c, AvailabilityQuery);
  const timeZone = query.time_zone ?? "UTC";
  if (!isValidTimeZone(timeZone)) {
    throw validationFailed([
      { path: "time_zone", message: "must be an IANA time zone name such as Europe/Berlin" },
    ]);
  }
  const zone = canonicalTimeZone(timeZone);
  const from = parseRfc3339OrLocal(query.from, zone);
  const to = parseRfc3339OrLocal(query.to, zone);
  const errors = [
    ...(from ? [] : [{ path: "from", message: "must be an RFC 3339 date-time" }]),
    ...(to ? [] : [{ path: "to", message: "must be an RFC 3339 date-time" }]),
  ];
  if (from && to && to <= from) errors.push({ path: "to", message: "must be after from" });
  if (from && to && to.getTime() - from.getTime() > MAX_WINDOW_DAYS * DAY_MS) {
    errors.push({ path: "to", message: `must be at most ${MAX_WINDOW_DAYS} days after from` });
  }
  const calendarIds = parseCalendarList(query.calendars);
  if (errors.length > 0 || !from || !to) throw validationFailed(errors);

  const durationMinutes = query.duration_minutes ?? 30;
  const availability = await getAvailability(depsFromContext(c), c.get("account").id, {
    from,
    to,
    calendarIds,
    minFreeMs: durationMinutes * 60_000,
  });
  const at = (ms: number) => formatInZone(new Date(ms), zone);
  return c.json({
    from: at(from.getTime()),
    to: at(to.getTime()),
    time_zone: zone,
    duration_minutes: durationMinutes,
    calendars: availability.calendars,
    busy: availability.busy.map((b) => ({
      start: at(b.start),
      end: at(b.end),
      source: b.source,
      calendar_id: b.calendarId,
      ...(b.eventId ? { event_id: b.eventId } : {}),
    })),
    free: availability.free.map((f) => ({ start: at(f.start), end: at(f.end) })),
  });
});

/** `calendars=a,b` → distinct ids (default primary), each checked. */
function parseCalendarList(value: string | undefined): string[] {
  if (value === undefined) return ["primary"];
  const ids = [...new Set(value.split(",").map((id) => id.trim()))];
  parseWith(
    z
      .array(CalendarIdInput)
      .check(
        z.minLength(1),
        z.maxLength(MAX_QUERY_CALENDARS, { message: `at most ${MAX_QUERY_CALENDARS} calendars` }),
      ),
    ids,
  );
  return ids;
}
