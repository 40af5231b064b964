import { authorizeCalendarRequest } from "./calendar-auth.ts";
import {
  assembleEvent,
  type EventInput,
  type EventResource,
  isValidEventId,
  mergePatch,
  parseEventBody,
  resolveConference,
  validateEventInput,
  writableView,
} from "./event-resource.ts";
import { formatTimestamp } from "./event-times.ts";
import { listEvents } from "./events-list.ts";
import { ApiError, invalidValue, notFoundResponse } from "./google-errors.ts";
import { jsonResponse } from "./http.ts";
import { writeParams } from "./query-params.ts";
import { randomEventId } from "./random.ts";
import { accountEvents, type EmulatorState, nextEtag, normalizeEmail } from "./state.ts";

/** The Calendar v3 events methods the emulator implements. */
export type EventsMethod = "insert" | "get" | "list" | "patch" | "update" | "delete";

/** The path parts of an events request. */
export interface EventsPath {
  calendarId: string;
  eventId?: string;
}

interface CallContext {
  request: Request;
  url: URL;
  state: EmulatorState;
  account: string;
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

function nextSequence(existing: EventResource, input: EventInput): number {
  if (input.sequence !== undefined) {
    if (input.sequence < existing.sequence) {
      throw invalidValue(
        "Invalid sequence value. The specified sequence number is below the current sequence number of the resource.",
      );
    }
    return input.sequence;
  }
  const rescheduled =
    JSON.stringify(existing.start) !== JSON.stringify(input.start.resource) ||
    JSON.stringify(existing.end) !== JSON.stringify(input.end.resource) ||
    (existing.location ?? "") !== (input.location ?? "");
  return existing.sequence + (rescheduled ? 1 : 0);
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
  const now = formatTimestamp(ctx.state.now());
  const event = assembleEvent(
    {
      id,
      account: ctx.account,
      created: now,
      updated: now,
      etag: nextEtag(ctx.state),
      sequence: input.sequence ?? 0,
      iCalUID: `${id}@google.com`,
    },
    input,
    conference,
  );
  ctx.events.set(id, event);
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
      account: ctx.account,
      created: existing.created,
      updated: formatTimestamp(ctx.state.now()),
      etag: nextEtag(ctx.state),
      sequence: nextSequence(existing, input),
      iCalUID: existing.iCalUID,
    },
    input,
    conference,
    existing.attendees,
  );
  ctx.events.set(existing.id, event);
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
  ctx.events.set(event.id, {
    ...event,
    status: "cancelled",
    etag: nextEtag(ctx.state),
    updated: formatTimestamp(ctx.state.now()),
  });
  return new Response(null, { status: 204 });
}

/** One Calendar events call: credentials, calendar, then the method; Google's errors throughout. */
export async function handleEventsRequest(
  method: EventsMethod,
  path: EventsPath,
  request: Request,
  url: URL,
  state: EmulatorState,
): Promise<Response> {
  const auth = authorizeCalendarRequest(
    request,
    url,
    state,
    method === "get" || method === "list" ? "read" : "write",
  );
  if (!auth.ok) return auth.response;
  const account = auth.token.account;
  // The emulator models one calendar per account: its primary calendar, also addressable by its email.
  if (path.calendarId !== "primary" && normalizeEmail(path.calendarId) !== account) return notFoundResponse();
  const ctx: CallContext = { request, url, state, account, events: accountEvents(state, account) };
  try {
    switch (method) {
      case "insert":
        return await insertEvent(ctx);
      case "get":
        return getEvent(ctx, path.eventId);
      case "list":
        return jsonResponse(listEvents(url, account, [...ctx.events.values()], formatTimestamp(state.now())));
      case "patch":
        return await rewriteEvent(ctx, path.eventId, "patch");
      case "update":
        return await rewriteEvent(ctx, path.eventId, "update");
      case "delete":
        return deleteEvent(ctx, path.eventId);
    }
  } catch (error) {
    if (error instanceof ApiError) return error.toResponse();
    throw error;
  }
}
