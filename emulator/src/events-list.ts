import type { CalendarView } from "./calendars.ts";
import type { EventResource } from "./event-resource.ts";
import { eventEpoch } from "./event-resource.ts";
import { isValidTimeZone, parseTimestamp } from "./event-times.ts";
import { ApiError, invalidValue } from "./google-errors.ts";
import { booleanParam, enumParam, integerParam } from "./query-params.ts";
import { encodeToken, readPageToken, readSyncToken, type TokenPayload } from "./sync-tokens.ts";

const MAX_PAGE_SIZE = 2500;
const DEFAULT_PAGE_SIZE = 250;
const EVENT_TYPES = ["birthday", "default", "focusTime", "fromGmail", "outOfOffice", "workingLocation"];
/** Parameters the discovery document forbids together with `syncToken`; any of them also means no nextSyncToken. */
const NOT_WITH_SYNC_TOKEN = [
  "iCalUID",
  "orderBy",
  "privateExtendedProperty",
  "q",
  "sharedExtendedProperty",
  "timeMin",
  "timeMax",
  "updatedMin",
];

/** The validated query of events.list (events.watch takes the same parameters). */
export interface ListParams {
  timeMin?: number | undefined;
  timeMax?: number | undefined;
  updatedMin?: number | undefined;
  maxResults: number;
  orderBy?: string | undefined;
  showDeleted: boolean;
  eventTypes: string[];
  q: string | null;
  iCalUID: string | null;
  timeZone: string | null;
  privateProperties: Array<[string, string]>;
  sharedProperties: Array<[string, string]>;
}

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

function propertyParams(url: URL, name: string): Array<[string, string]> {
  return url.searchParams.getAll(name).map((constraint) => {
    const equals = constraint.indexOf("=");
    if (equals <= 0)
      throw invalidValue(`Invalid value '${constraint}' for ${name}: expected propertyName=value.`);
    return [constraint.slice(0, equals), constraint.slice(equals + 1)];
  });
}

/** Checks every events.list parameter against the discovery document. */
export function parseListParams(url: URL): ListParams {
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
  return {
    timeMin,
    timeMax,
    updatedMin,
    maxResults,
    orderBy,
    showDeleted,
    eventTypes,
    q: url.searchParams.get("q"),
    iCalUID: url.searchParams.get("iCalUID"),
    timeZone: url.searchParams.get("timeZone"),
    privateProperties: propertyParams(url, "privateExtendedProperty"),
    sharedProperties: propertyParams(url, "sharedExtendedProperty"),
  };
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

function hasProperties(event: EventResource, which: "private" | "shared", wanted: Array<[string, string]>) {
  const properties = (event.extendedProperties as Record<string, Record<string, unknown>> | undefined)?.[
    which
  ];
  return wanted.every(([name, value]) => properties?.[name] === value);
}

function matchesFilters(event: EventResource, params: ListParams, allDayZone: string): boolean {
  if (params.timeMin !== undefined && eventEpoch(event.end, allDayZone) <= params.timeMin) return false;
  if (params.timeMax !== undefined && eventEpoch(event.start, allDayZone) >= params.timeMax) return false;
  if (params.updatedMin !== undefined && Date.parse(event.updated) < params.updatedMin) return false;
  if (params.iCalUID !== null && event.iCalUID !== params.iCalUID) return false;
  if (params.eventTypes.length > 0 && !params.eventTypes.includes(event.eventType)) return false;
  if (!hasProperties(event, "private", params.privateProperties)) return false;
  if (!hasProperties(event, "shared", params.sharedProperties)) return false;
  return params.q === null || matchesText(event, params.q);
}

/** A page of events and what comes after it: another page, or (where allowed) a sync token. */
interface Page {
  items: EventResource[];
  next: { nextPageToken: string } | { nextSyncToken: string } | Record<string, never>;
}

// Incremental sync: every event changed after the token's position, cancelled ones included, in change order.
// Pages continue from the last change number they returned, so an event changed meanwhile comes again later.
function changedSince(view: CalendarView, params: ListParams, since: number): Page {
  const { calendar } = view;
  const changes = [...calendar.events.values()]
    .map((event) => ({ event, change: calendar.eventChanges.get(event.id) ?? 0 }))
    .filter(
      ({ event, change }) =>
        change > since && (params.eventTypes.length === 0 || params.eventTypes.includes(event.eventType)),
    )
    .sort((a, b) => a.change - b.change);
  const page = changes.slice(0, params.maxResults);
  const last = page.at(-1);
  const scope = calendar.id;
  const generation = calendar.syncGeneration;
  const next =
    changes.length > params.maxResults && last
      ? { nextPageToken: encodeToken({ kind: "sync-page", scope, generation, position: last.change }) }
      : { nextSyncToken: encodeToken({ kind: "sync", scope, generation, position: calendar.changeCount }) };
  return { items: page.map(({ event }) => event), next };
}

function fullListing(
  view: CalendarView,
  params: ListParams,
  url: URL,
  start: TokenPayload | undefined,
): Page {
  const { calendar } = view;
  let items = [...calendar.events.values()].filter(
    (event) =>
      (params.showDeleted || event.status !== "cancelled") &&
      matchesFilters(event, params, calendar.timeZone),
  );
  if (params.orderBy === "startTime") {
    items = items.toSorted(
      (a, b) =>
        eventEpoch(a.start, calendar.timeZone) - eventEpoch(b.start, calendar.timeZone) ||
        a.id.localeCompare(b.id),
    );
  } else if (params.orderBy === "updated") {
    items = items.toSorted((a, b) => a.updated.localeCompare(b.updated) || a.id.localeCompare(b.id));
  }
  const offset = start?.position ?? 0;
  // The final nextSyncToken points at the change number the listing started at, so changes made while the
  // client was paging are delivered by the next incremental sync.
  const snapshot = start?.snapshot ?? calendar.changeCount;
  const scope = calendar.id;
  const generation = calendar.syncGeneration;
  const page = items.slice(offset, offset + params.maxResults);
  if (offset + params.maxResults < items.length) {
    const position = offset + params.maxResults;
    return {
      items: page,
      next: { nextPageToken: encodeToken({ kind: "page", scope, generation, position, snapshot }) },
    };
  }
  const syncable = NOT_WITH_SYNC_TOKEN.every((name) => !url.searchParams.has(name));
  return {
    items: page,
    next: syncable
      ? { nextSyncToken: encodeToken({ kind: "sync", scope, generation, position: snapshot }) }
      : {},
  };
}

/** `events.list` over one calendar: filters, ordering, paging and incremental sync as the discovery document lists them. */
export function listEvents(url: URL, view: CalendarView, nowIso: string) {
  const params = parseListParams(url);
  const { calendar } = view;
  const syncToken = url.searchParams.get("syncToken");
  const pageToken = url.searchParams.get("pageToken");
  const pageStart =
    pageToken === null ? undefined : readPageToken(pageToken, calendar.id, calendar.syncGeneration);
  const syncing = pageStart ? pageStart.kind === "sync-page" : syncToken !== null;
  if (syncing) {
    const clash = NOT_WITH_SYNC_TOKEN.find((name) => url.searchParams.has(name));
    if (clash) throw invalidValue(`The syncToken parameter cannot be combined with ${clash}.`);
  }
  let page: Page;
  if (pageStart?.kind === "sync-page") page = changedSince(view, params, pageStart.position);
  else if (syncToken !== null && !pageStart) {
    page = changedSince(
      view,
      params,
      readSyncToken(syncToken, calendar.id, calendar.syncGeneration).position,
    );
  } else page = fullListing(view, params, url, pageStart);

  const latest = [...calendar.events.values()].reduce<EventResource | undefined>(
    (a, b) => (a && a.updated >= b.updated ? a : b),
    undefined,
  );
  return {
    kind: "calendar#events",
    etag: latest?.etag ?? '"0"',
    summary: calendar.summary,
    description: calendar.description ?? "",
    updated: latest?.updated ?? nowIso,
    timeZone: params.timeZone && isValidTimeZone(params.timeZone) ? params.timeZone : calendar.timeZone,
    accessRole: view.role,
    defaultReminders: calendar.primaryOf ? [{ method: "popup", minutes: 10 }] : [],
    ...page.next,
    items: page.items,
  };
}
