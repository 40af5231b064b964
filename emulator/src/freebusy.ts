import { authorizeCalendarRequest } from "./calendar-auth.ts";
import { type CalendarRecord, calendarForCaller } from "./calendars.ts";
import { type EventResource, eventEpoch } from "./event-resource.ts";
import { formatDateTime, formatTimestamp, isValidTimeZone, parseTimestamp } from "./event-times.ts";
import { ApiError, answerApiErrors, invalidValue, readJsonObject } from "./google-errors.ts";
import { jsonResponse } from "./http.ts";
import type { EmulatorState } from "./state.ts";

const MAX_CALENDARS = 50;
const MAX_GROUP_MEMBERS = 100;
const MAX_RANGE_MS = 90 * 86_400_000;

type Interval = [start: number, end: number];

function timeField(body: Record<string, unknown>, name: "timeMin" | "timeMax"): number {
  const value = body[name];
  if (value === undefined || value === null || value === "") {
    throw new ApiError(400, { reason: "required", message: `Missing ${name} parameter.` });
  }
  const epoch = typeof value === "string" ? parseTimestamp(value) : undefined;
  if (epoch === undefined) throw invalidValue(`Invalid value for ${name}: ${String(value)}`);
  return epoch;
}

function limitField(body: Record<string, unknown>, name: string, max: number): number {
  const value = body[name];
  if (value === undefined || value === null) return max;
  const number = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (!Number.isInteger(number) || (number as number) < 1 || (number as number) > max) {
    throw invalidValue(`Invalid value for ${name}: ${String(value)} (1 to ${max})`);
  }
  return number as number;
}

function requestedIds(body: Record<string, unknown>): string[] {
  const items = body.items;
  if (items === undefined || items === null) return [];
  if (!Array.isArray(items)) throw invalidValue("Invalid value for items");
  return items.map((item: unknown) => {
    const id = (item as { id?: unknown } | null)?.id;
    if (typeof id !== "string" || id === "") throw invalidValue("Invalid value for items: each needs an id");
    return id;
  });
}

function declinedByCalendar(event: EventResource): boolean {
  return (
    event.attendees?.some((attendee) => attendee.self && attendee.responseStatus === "declined") ?? false
  );
}

/** The calendar's busy time within [timeMin, timeMax): clipped, merged where intervals overlap or touch, in order. */
export function busyIntervals(calendar: CalendarRecord, timeMin: number, timeMax: number): Interval[] {
  const intervals: Interval[] = [];
  for (const event of calendar.events.values()) {
    if (event.status === "cancelled" || event.transparency === "transparent" || declinedByCalendar(event))
      continue;
    const start = Math.max(eventEpoch(event.start, calendar.timeZone), timeMin);
    const end = Math.min(eventEpoch(event.end, calendar.timeZone), timeMax);
    if (start < end) intervals.push([start, end]);
  }
  intervals.sort((a, b) => a[0] - b[0]);
  const merged: Interval[] = [];
  for (const interval of intervals) {
    const last = merged.at(-1);
    if (last && interval[0] <= last[1]) last[1] = Math.max(last[1], interval[1]);
    else merged.push([...interval]);
  }
  return merged;
}

function errorEntry(reason: "notFound" | "tooManyCalendarsRequested") {
  return { errors: [{ domain: "global", reason }], busy: [] };
}

function queryFreeBusy(body: Record<string, unknown>, state: EmulatorState, account: string) {
  const timeMin = timeField(body, "timeMin");
  const timeMax = timeField(body, "timeMax");
  if (timeMax <= timeMin) {
    throw new ApiError(400, {
      domain: "calendar",
      reason: "timeRangeEmpty",
      message: "The specified time range is empty.",
      location: "timeMax",
      locationType: "parameter",
    });
  }
  if (timeMax - timeMin > MAX_RANGE_MS) {
    throw new ApiError(400, {
      domain: "calendar",
      reason: "timeRangeTooLong",
      message: "The requested time range is too long.",
    });
  }
  const zone = body.timeZone ?? "UTC";
  if (typeof zone !== "string" || !isValidTimeZone(zone)) throw invalidValue("Invalid time zone definition.");
  const calendarLimit = limitField(body, "calendarExpansionMax", MAX_CALENDARS);
  limitField(body, "groupExpansionMax", MAX_GROUP_MEMBERS);
  const calendars: Record<string, unknown> = {};
  let expanded = 0;
  for (const id of requestedIds(body)) {
    if (id in calendars) continue;
    expanded += 1;
    if (expanded > calendarLimit) {
      calendars[id] = errorEntry("tooManyCalendarsRequested");
      continue;
    }
    // Any role, free/busy reader included, is enough to see when a calendar is busy.
    const view = calendarForCaller(state, account, id);
    calendars[id] = view
      ? {
          busy: busyIntervals(view.calendar, timeMin, timeMax).map(([start, end]) => ({
            start: formatDateTime(start, zone),
            end: formatDateTime(end, zone),
          })),
        }
      : errorEntry("notFound");
  }
  return {
    kind: "calendar#freeBusy",
    timeMin: formatTimestamp(timeMin),
    timeMax: formatTimestamp(timeMax),
    calendars,
  };
}

/** `POST /calendar/v3/freeBusy`: freebusy.query over the calendars the caller can see. */
export async function handleFreeBusyRequest(
  request: Request,
  url: URL,
  state: EmulatorState,
): Promise<Response> {
  const auth = authorizeCalendarRequest(request, url, state, "freebusy.query");
  if (!auth.ok) return auth.response;
  const account = auth.token.account;
  return answerApiErrors(async () =>
    jsonResponse(queryFreeBusy(await readJsonObject(request), state, account)),
  );
}
