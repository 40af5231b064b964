import type { EventResource } from "./event-resource.ts";
import { eventEpoch } from "./event-resource.ts";
import { isValidTimeZone, parseTimestamp } from "./event-times.ts";
import { ApiError, invalidValue } from "./google-errors.ts";
import { booleanParam, enumParam, integerParam } from "./query-params.ts";

const MAX_PAGE_SIZE = 2500;
const DEFAULT_PAGE_SIZE = 250;
const EVENT_TYPES = ["birthday", "default", "focusTime", "fromGmail", "outOfOffice", "workingLocation"];

function timestampParam(url: URL, name: string): number | undefined {
  const value = url.searchParams.get(name);
  if (value === null) return undefined;
  const epoch = parseTimestamp(value);
  if (epoch === undefined) {
    throw new ApiError(400, {
      reason: "invalidParameter",
      message: `Invalid value '${value}'. ${name} must be an RFC 3339 timestamp with a time zone offset.`,
      location: name,
      locationType: "parameter",
    });
  }
  return epoch;
}

function decodePageToken(token: string | null): number {
  if (token === null) return 0;
  const offset = /^p(\d+)$/.exec(token)?.[1];
  if (offset === undefined) throw invalidValue("Invalid page token value.");
  return Number(offset);
}

function matchesText(event: EventResource, q: string): boolean {
  const haystack = [
    event.summary,
    event.description,
    event.location,
    ...(event.attendees ?? []).map((a) => a.email),
  ]
    .filter((value) => value !== undefined)
    .join("\n")
    .toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => haystack.includes(word));
}

/** `events.list` over one calendar's events: filters, ordering and paging as the discovery document lists them. */
export function listEvents(
  url: URL,
  calendarEmail: string,
  events: readonly EventResource[],
  nowIso: string,
) {
  const timeMin = timestampParam(url, "timeMin");
  const timeMax = timestampParam(url, "timeMax");
  if (timeMin !== undefined && timeMax !== undefined && timeMin >= timeMax) {
    throw new ApiError(400, { reason: "timeRangeEmpty", message: "The specified time range is empty." });
  }
  const updatedMin = timestampParam(url, "updatedMin");
  const maxResults = Math.min(integerParam(url, "maxResults", 1) ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const orderBy = enumParam(url, "orderBy", ["startTime", "updated"]);
  const singleEvents = booleanParam(url, "singleEvents") ?? false;
  const showDeleted = booleanParam(url, "showDeleted") ?? false;
  booleanParam(url, "alwaysIncludeEmail");
  booleanParam(url, "showHiddenInvitations");
  integerParam(url, "maxAttendees", 1);
  if (orderBy === "startTime" && !singleEvents) {
    throw new ApiError(400, {
      reason: "badRequest",
      message: "The requested ordering is not available for the particular query.",
    });
  }
  const eventTypes = url.searchParams.getAll("eventTypes");
  const badType = eventTypes.find((type) => !EVENT_TYPES.includes(type));
  if (badType) throw invalidValue(`Invalid value '${badType}' for eventTypes.`);
  const q = url.searchParams.get("q");
  const iCalUID = url.searchParams.get("iCalUID");
  const zoneParam = url.searchParams.get("timeZone");

  let items = events.filter((event) => {
    if (!showDeleted && event.status === "cancelled") return false;
    if (timeMin !== undefined && eventEpoch(event.end) <= timeMin) return false;
    if (timeMax !== undefined && eventEpoch(event.start) >= timeMax) return false;
    if (updatedMin !== undefined && Date.parse(event.updated) < updatedMin) return false;
    if (iCalUID !== null && event.iCalUID !== iCalUID) return false;
    if (eventTypes.length > 0 && !eventTypes.includes(event.eventType)) return false;
    return q === null || matchesText(event, q);
  });
  if (orderBy === "startTime") {
    items = items.toSorted((a, b) => eventEpoch(a.start) - eventEpoch(b.start) || a.id.localeCompare(b.id));
  } else if (orderBy === "updated") {
    items = items.toSorted((a, b) => a.updated.localeCompare(b.updated) || a.id.localeCompare(b.id));
  }
  const offset = decodePageToken(url.searchParams.get("pageToken"));
  const page = items.slice(offset, offset + maxResults);
  const hasMore = offset + maxResults < items.length;
  const latest = events.reduce<EventResource | undefined>(
    (a, b) => (a && a.updated >= b.updated ? a : b),
    undefined,
  );
  return {
    kind: "calendar#events",
    etag: latest?.etag ?? '"0"',
    summary: calendarEmail,
    description: "",
    updated: latest?.updated ?? nowIso,
    timeZone: zoneParam && isValidTimeZone(zoneParam) ? zoneParam : "UTC",
    accessRole: "owner",
    defaultReminders: [{ method: "popup", minutes: 10 }],
    ...(hasMore ? { nextPageToken: `p${offset + maxResults}` } : {}),
    items: page,
  };
}
