import { authorizeCalendarRequest } from "./calendar-auth.ts";
import { type CalendarRecord, calendarForCaller, roleAtLeast } from "./calendars.ts";
import {
  assembleEvent,
  type EventResource,
  isValidEventId,
  mergePatch,
  nextSequence,
  parseEventBody,
  resolveConference,
  validateEventInput,
  writableView,
} from "./event-resource.ts";
import { type CalendarDeps, saveEvent } from "./event-store.ts";
import { formatTimestamp } from "./event-times.ts";
import { listEvents } from "./events-list.ts";
import { ApiError, answerApiErrors, invalidValue, notFoundResponse } from "./google-errors.ts";
import { jsonResponse } from "./http.ts";
import { writeParams } from "./query-params.ts";
import { randomEventId } from "./random.ts";
import { nextEtag } from "./state.ts";

/** The Calendar v3 events methods the emulator implements (events.watch lives in channels.ts). */
export type EventsMethod = "insert" | "get" | "list" | "patch" | "update" | "delete";

/** The path parts of an events request. */
export interface EventsPath {
  calendarId: string;
  eventId?: string;
}

interface CallContext {
  request: Request;
  url: URL;
  deps: CalendarDeps;
  account: string;
  calendar: CalendarRecord;
  events: Map<string, EventResource>;
}

function deletedError(): ApiError {
  return new ApiError(410, { reason: "deleted", message: "Resource has been deleted" });
}

function findEvent(ctx: CallContext, eventId: string | undefined): EventResource {
  const event = eventId === undefined ? undefined : ctx.events.get(eventId);
  if (!event) throw new ApiError(404, { reason: "notFound", message: "Not Found" });
  return event;
}

function checkIfMatch(request: Request, event: EventResource): void {
  const ifMatch = request.headers.get("if-match");
  if (ifMatch !== null && ifMatch !== "*" && ifMatch !== event.etag) {
    throw new ApiError(412, {
      reason: "conditionNotMet",
      message: "Precondition Failed",
      location: "If-Match",
      locationType: "header",
    });
  }
}

async function insertEvent(ctx: CallContext): Promise<Response> {
  const { conferenceDataVersion } = writeParams(ctx.url, { conference: true });
  const body = parseEventBody(await ctx.request.text());
  // Nothing below awaits, so the duplicate check and the write cannot interleave with another insert.
  if (body.id !== undefined && !isValidEventId(body.id)) throw invalidValue("Invalid resource id value.");
  const id = (body.id as string | undefined) ?? randomEventId();
  if (ctx.events.has(id)) {
    throw new ApiError(409, { reason: "duplicate", message: "The requested identifier already exists." });
  }
  const input = validateEventInput(body);
  const conference = resolveConference(body, undefined, conferenceDataVersion);
  const now = formatTimestamp(ctx.deps.state.now());
  const event = assembleEvent(
    {
      id,
      calendarId: ctx.calendar.id,
      creator: ctx.account,
      created: now,
      updated: now,
      etag: nextEtag(ctx.deps.state),
      sequence: input.sequence ?? 0,
      iCalUID: `${id}@google.com`,
    },
    input,
    conference,
  );
  saveEvent(ctx.deps, ctx.calendar, event);
  return jsonResponse(event);
}

async function rewriteEvent(ctx: CallContext, eventId: string | undefined, mode: "patch" | "update") {
  const { conferenceDataVersion } = writeParams(ctx.url, { conference: true });
  const body = parseEventBody(await ctx.request.text());
  // Nothing below awaits, so the If-Match check and the write see the same stored event.
  const existing = findEvent(ctx, eventId);
  checkIfMatch(ctx.request, existing);
  const merged = mode === "patch" ? mergePatch(writableView(existing), body) : { ...body };
  if (body.sequence !== undefined) merged.sequence = body.sequence;
  const input = validateEventInput(merged);
  const conference = resolveConference(body, existing.conferenceData, conferenceDataVersion);
  const event = assembleEvent(
    {
      id: existing.id,
      calendarId: ctx.calendar.id,
      creator: existing.creator.email,
      created: existing.created,
      updated: formatTimestamp(ctx.deps.state.now()),
      etag: nextEtag(ctx.deps.state),
      sequence: nextSequence(existing, input),
      iCalUID: existing.iCalUID,
    },
    input,
    conference,
    existing.attendees,
  );
  saveEvent(ctx.deps, ctx.calendar, event);
  return jsonResponse(event);
}

function getEvent(ctx: CallContext, eventId: string | undefined): Response {
  const event = findEvent(ctx, eventId);
  if (ctx.request.headers.get("if-none-match") === event.etag) {
    return new Response(null, { status: 304, headers: { etag: event.etag } });
  }
  return jsonResponse(event, 200, { etag: event.etag });
}

function deleteEvent(ctx: CallContext, eventId: string | undefined): Response {
  writeParams(ctx.url, { conference: false });
  const event = findEvent(ctx, eventId);
  if (event.status === "cancelled") throw deletedError();
  checkIfMatch(ctx.request, event);
  saveEvent(ctx.deps, ctx.calendar, {
    ...event,
    status: "cancelled",
    etag: nextEtag(ctx.deps.state),
    updated: formatTimestamp(ctx.deps.state.now()),
  });
  return new Response(null, { status: 204 });
}

function requiredAccessLevel(): ApiError {
  return new ApiError(403, {
    reason: "requiredAccessLevel",
    message: "You need to have writer access to this calendar.",
  });
}

/** One Calendar events call: credentials, calendar and the caller's role on it, then the method; Google's errors throughout. */
export async function handleEventsRequest(
  method: EventsMethod,
  path: EventsPath,
  request: Request,
  url: URL,
  deps: CalendarDeps,
): Promise<Response> {
  const { state } = deps;
  const auth = authorizeCalendarRequest(request, url, state, `events.${method}`);
  if (!auth.ok) return auth.response;
  const account = auth.token.account;
  // A calendar the caller cannot read (unknown, not shared, or free/busy only) does not exist for it.
  const view = calendarForCaller(state, account, path.calendarId);
  if (!view || !roleAtLeast(view.role, "reader")) return notFoundResponse();
  const reading = method === "get" || method === "list";
  if (!reading && !roleAtLeast(view.role, "writer")) return requiredAccessLevel().toResponse();
  const { calendar } = view;
  const ctx: CallContext = { request, url, deps, account, calendar, events: calendar.events };
  return answerApiErrors(async () => {
    switch (method) {
      case "insert":
        return await insertEvent(ctx);
      case "get":
        return getEvent(ctx, path.eventId);
      case "list":
        return jsonResponse(listEvents(url, view, formatTimestamp(state.now())));
      case "patch":
        return await rewriteEvent(ctx, path.eventId, "patch");
      case "update":
        return await rewriteEvent(ctx, path.eventId, "update");
      case "delete":
        return deleteEvent(ctx, path.eventId);
    }
  });
}
