import type { CalendarRecord } from "./calendars.ts";
import { findCalendar } from "./calendars.ts";
import { ControlError, readControlBody, refuseUnknownFields, reply } from "./control-http.ts";
import {
  assembleEvent,
  type EventResource,
  mergePatch,
  nextSequence,
  validateEventInput,
  writableView,
} from "./event-resource.ts";
import { type CalendarDeps, saveEvent } from "./event-store.ts";
import { formatTimestamp } from "./event-times.ts";
import { ApiError } from "./google-errors.ts";
import { randomEventId } from "./random.ts";
import { nextEtag } from "./state.ts";

const RESPONSE_STATUSES = ["accepted", "declined", "tentative", "needsAction"];
const ORGANIZER_FIELDS = ["summary", "description", "location", "start", "end"];

// Google's validation messages, as control errors.
function validated<T>(validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    if (error instanceof ApiError) throw new ControlError(400, error.message);
    throw error;
  }
}

function calendarOf(deps: CalendarDeps, calendarId: string): CalendarRecord {
  // People act on a real calendar: `primary` would need to know whose, and a control call has no caller.
  if (calendarId === "primary") throw new ControlError(400, "name the calendar by its id, not primary");
  const calendar = findCalendar(deps.state, calendarId);
  if (!calendar) throw new ControlError(404, `no calendar ${calendarId}`);
  return calendar;
}

function eventOf(calendar: CalendarRecord, eventId: string): EventResource {
  const event = calendar.events.get(eventId);
  if (!event) throw new ControlError(404, `no event ${eventId} on ${calendar.id}`);
  return event;
}

function touched(deps: CalendarDeps, event: EventResource, changes: Partial<EventResource>): EventResource {
  return {
    ...event,
    ...changes,
    etag: nextEtag(deps.state),
    updated: formatTimestamp(deps.state.now()),
  };
}

/** An attendee answers the invitation in Google Calendar: their responseStatus changes, the sequence does not. */
async function respond(deps: CalendarDeps, calendar: CalendarRecord, eventId: string, request: Request) {
  const body = await readControlBody(request);
  refuseUnknownFields(body, ["attendee", "responseStatus", "comment"]);
  const { attendee, responseStatus, comment } = body;
  if (typeof attendee !== "string") throw new ControlError(400, "attendee must be an email address");
  if (typeof responseStatus !== "string" || !RESPONSE_STATUSES.includes(responseStatus)) {
    throw new ControlError(400, `responseStatus must be one of ${RESPONSE_STATUSES.join(", ")}`);
  }
  if (comment !== undefined && typeof comment !== "string")
    throw new ControlError(400, "comment must be a string");
  const event = eventOf(calendar, eventId);
  const email = attendee.trim().toLowerCase();
  if (!event.attendees?.some((a) => a.email.toLowerCase() === email)) {
    throw new ControlError(404, `${attendee} is not an attendee of ${eventId}`);
  }
  const attendees = event.attendees.map((a) =>
    a.email.toLowerCase() === email
      ? { ...a, responseStatus, ...(comment !== undefined ? { comment } : {}) }
      : a,
  );
  const updated = touched(deps, event, { attendees });
  saveEvent(deps, calendar, updated);
  return reply(updated);
}

/** The organizer edits the event in Google Calendar: summary, description, location, start, end. */
async function organizerPatch(
  deps: CalendarDeps,
  calendar: CalendarRecord,
  eventId: string,
  request: Request,
) {
  const body = await readControlBody(request);
  refuseUnknownFields(body, ORGANIZER_FIELDS);
  const existing = eventOf(calendar, eventId);
  const input = validated(() => validateEventInput(mergePatch(writableView(existing), body)));
  const event = assembleEvent(
    {
      id: existing.id,
      calendarId: calendar.id,
      creator: existing.creator.email,
      created: existing.created,
      updated: formatTimestamp(deps.state.now()),
      etag: nextEtag(deps.state),
      sequence: nextSequence(existing, input),
      iCalUID: existing.iCalUID,
    },
    input,
    existing.conferenceData,
    existing.attendees,
  );
  saveEvent(deps, calendar, event);
  return reply(event);
}

/** The organizer deletes the event in Google Calendar: it is cancelled, and the sequence goes up. */
function organizerDelete(deps: CalendarDeps, calendar: CalendarRecord, eventId: string) {
  const event = eventOf(calendar, eventId);
  if (event.status === "cancelled") throw new ControlError(410, `${eventId} is already cancelled`);
  const cancelled = touched(deps, event, { status: "cancelled", sequence: event.sequence + 1 });
  saveEvent(deps, calendar, cancelled);
  return reply(cancelled);
}

/** Someone makes a meeting directly in Google Calendar (e.g. to make a slot busy); it gets a random id. */
async function createInGoogle(deps: CalendarDeps, calendar: CalendarRecord, request: Request) {
  const body = await readControlBody(request);
  const { id: _ignored, ...fields } = body;
  const input = validated(() => validateEventInput(fields));
  let id = randomEventId();
  while (calendar.events.has(id)) id = randomEventId();
  const now = formatTimestamp(deps.state.now());
  const event = assembleEvent(
    {
      id,
      calendarId: calendar.id,
      creator: calendar.dataOwner,
      created: now,
      updated: now,
      etag: nextEtag(deps.state),
      sequence: input.sequence ?? 0,
      iCalUID: `${id}@google.com`,
    },
    input,
    undefined,
  );
  saveEvent(deps, calendar, event);
  return reply(event, 201);
}

/**
 * `/__emulator/calendars/{calendarId}/events[/{eventId}[/respond]]`: read a calendar's stored events, or act as
 * a person in Google Calendar. Every change notifies the calendar's channels like a real one.
 */
export async function handlePeopleControl(
  deps: CalendarDeps,
  method: string,
  path: readonly string[],
  request: Request,
): Promise<Response | undefined> {
  const [calendarId, collection, eventId, action] = path;
  if (calendarId === undefined || collection !== "events" || path.length > 4) return undefined;
  if (eventId === undefined) {
    if (method === "GET") return reply([...calendarOf(deps, calendarId).events.values()]);
    if (method === "POST") return createInGoogle(deps, calendarOf(deps, calendarId), request);
    return undefined;
  }
  if (action === "respond" && method === "POST") {
    return respond(deps, calendarOf(deps, calendarId), eventId, request);
  }
  if (action !== undefined) return undefined;
  if (method === "PATCH") return organizerPatch(deps, calendarOf(deps, calendarId), eventId, request);
  if (method === "DELETE") return organizerDelete(deps, calendarOf(deps, calendarId), eventId);
  return undefined;
}
