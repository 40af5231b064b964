import { dateTimeToEpoch, formatDateTime, isValidTimeZone, parseDate, parseDateTime } from "./event-times.ts";
import { ApiError, invalidValue } from "./google-errors.ts";
import { isEmailAddress } from "./http.ts";
import { randomMeetCode } from "./random.ts";

/** Event `start`/`end` as the Calendar API writes them. */
export interface EventDateTime {
  dateTime?: string;
  date?: string;
  timeZone?: string;
}

/** An attendee as stored and returned. */
export interface EventAttendee {
  email: string;
  displayName?: string;
  optional?: boolean;
  organizer?: boolean;
  self?: boolean;
  comment?: string;
  additionalGuests?: number;
  responseStatus: string;
}

/** The Event resource, field for field as the Calendar API returns it (plus any pass-through fields). */
export interface EventResource {
  [field: string]: unknown;
  kind: "calendar#event";
  etag: string;
  id: string;
  status: string;
  htmlLink: string;
  created: string;
  updated: string;
  summary?: string;
  description?: string;
  location?: string;
  /** `self` marks the calendar this copy of the event is on (Google omits it when false). */
  creator: { email: string; self?: true };
  organizer: { email: string; self: true };
  start: EventDateTime;
  end: EventDateTime;
  iCalUID: string;
  sequence: number;
  attendees?: EventAttendee[];
  hangoutLink?: string;
  conferenceData?: Record<string, unknown>;
  reminders: Record<string, unknown>;
  eventType: string;
}

/** A validated request body, reduced to the writable fields. */
export interface EventInput {
  summary?: string;
  description?: string;
  location?: string;
  status: string;
  start: { resource: EventDateTime; epoch: number };
  end: { resource: EventDateTime; epoch: number };
  attendees?: Array<Omit<EventAttendee, "responseStatus"> & { responseStatus?: string }>;
  reminders: Record<string, unknown>;
  sequence?: number;
  passThrough: Record<string, unknown>;
}

const STATUSES = new Set(["confirmed", "tentative", "cancelled"]);
const TEXT_FIELDS = ["summary", "description", "location"] as const;
const PASS_THROUGH_FIELDS = [
  "colorId",
  "transparency",
  "visibility",
  "guestsCanInviteOthers",
  "guestsCanModify",
  "guestsCanSeeOtherGuests",
  "anyoneCanAddSelf",
  "extendedProperties",
  "source",
  "recurrence",
];
// Fields the server owns: ignored when a client sends them in a patch or update.
const READ_ONLY_FIELDS = [
  "kind",
  "etag",
  "id",
  "htmlLink",
  "created",
  "updated",
  "creator",
  "organizer",
  "iCalUID",
  "hangoutLink",
  "eventType",
  "conferenceData",
  "sequence",
];
const MEET_ICON =
  "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The request body as a JSON object, or Google's 400 `parseError`. */
export function parseEventBody(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(400, { reason: "parseError", message: "Parse Error" });
  }
  if (!isObject(body)) throw new ApiError(400, { reason: "parseError", message: "Parse Error" });
  return body;
}

/** Whether a client-supplied id follows Google's rules: base32hex characters, 5 to 1024 of them. */
export function isValidEventId(id: unknown): id is string {
  return typeof id === "string" && /^[a-v0-9]{5,1024}$/.test(id);
}

function validateTime(value: unknown, which: "start" | "end") {
  if (!isObject(value) || (value.date === undefined && value.dateTime === undefined)) {
    throw new ApiError(400, { reason: "required", message: `Missing ${which} time.` });
  }
  const timeZone = value.timeZone;
  if (timeZone !== undefined && (typeof timeZone !== "string" || !isValidTimeZone(timeZone))) {
    throw invalidValue(`Invalid time zone definition for ${which} time.`);
  }
  const zone = timeZone as string | undefined;
  if (value.date !== undefined && value.dateTime !== undefined) throw invalidValue(`Invalid ${which} time.`);
  if (value.date !== undefined) {
    const epoch = typeof value.date === "string" ? parseDate(value.date) : undefined;
    if (epoch === undefined) throw invalidValue(`Invalid ${which} time.`);
    return {
      resource: { date: value.date as string, ...(zone ? { timeZone: zone } : {}) },
      epoch,
      allDay: true,
    };
  }
  const parsed = typeof value.dateTime === "string" ? parseDateTime(value.dateTime) : undefined;
  if (!parsed) throw invalidValue(`Invalid ${which} time.`);
  if (parsed.offsetMinutes === undefined && !zone) {
    throw new ApiError(400, {
      reason: "required",
      message: `Missing time zone definition for ${which} time.`,
    });
  }
  const epoch = dateTimeToEpoch(parsed, zone);
  return {
    resource: { dateTime: formatDateTime(epoch, zone), ...(zone ? { timeZone: zone } : {}) },
    epoch,
    allDay: false,
  };
}

function validateAttendees(value: unknown): EventInput["attendees"] {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw invalidValue("Invalid attendees.");
  return value.map((attendee: unknown) => {
    if (!isObject(attendee) || attendee.email === undefined || attendee.email === "") {
      throw new ApiError(400, { reason: "required", message: "Missing attendee email." });
    }
    if (typeof attendee.email !== "string" || !isEmailAddress(attendee.email)) {
      throw invalidValue("Invalid attendee email.");
    }
    const result: NonNullable<EventInput["attendees"]>[number] = { email: attendee.email };
    if (typeof attendee.displayName === "string") result.displayName = attendee.displayName;
    if (typeof attendee.optional === "boolean") result.optional = attendee.optional;
    if (typeof attendee.comment === "string") result.comment = attendee.comment;
    if (typeof attendee.additionalGuests === "number") result.additionalGuests = attendee.additionalGuests;
    if (typeof attendee.responseStatus === "string") result.responseStatus = attendee.responseStatus;
    return result;
  });
}

/** Validates a full event body (insert, update, or a patch merged onto the stored event). */
export function validateEventInput(body: Record<string, unknown>): EventInput {
  const start = validateTime(body.start, "start");
  const end = validateTime(body.end, "end");
  if (start.allDay !== end.allDay) {
    throw invalidValue("Start and end times must either both be date or both be dateTime.");
  }
  if (end.epoch < start.epoch) {
    throw new ApiError(400, { reason: "timeRangeEmpty", message: "The specified time range is empty." });
  }
  const input: EventInput = {
    status: "confirmed",
    start: { resource: start.resource, epoch: start.epoch },
    end: { resource: end.resource, epoch: end.epoch },
    reminders: { useDefault: true },
    passThrough: {},
  };
  for (const field of TEXT_FIELDS) {
    const value = body[field];
    if (value === undefined) continue;
    if (typeof value !== "string") throw invalidValue(`Invalid value for: ${field}`);
    input[field] = value;
  }
  if (body.status !== undefined) {
    if (typeof body.status !== "string" || !STATUSES.has(body.status))
      throw invalidValue("Invalid value for: status");
    input.status = body.status;
  }
  const attendees = validateAttendees(body.attendees);
  if (attendees) input.attendees = attendees;
  if (body.reminders !== undefined) {
    if (!isObject(body.reminders)) throw invalidValue("Invalid value for: reminders");
    input.reminders = body.reminders;
  }
  if (body.sequence !== undefined) {
    if (!Number.isInteger(body.sequence) || (body.sequence as number) < 0)
      throw invalidValue("Invalid sequence value.");
    input.sequence = body.sequence as number;
  }
  for (const field of PASS_THROUGH_FIELDS) {
    if (body[field] !== undefined) input.passThrough[field] = body[field];
  }
  return input;
}

/** The stored event's writable fields, as a body a patch can be merged onto. */
export function writableView(event: EventResource): Record<string, unknown> {
  const view: Record<string, unknown> = { ...event };
  for (const field of READ_ONLY_FIELDS) delete view[field];
  return view;
}

/** A patch body merged onto the stored event (RFC 7396: objects merge, arrays replace, `null` removes). */
export function mergePatch(
  target: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const writable: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (READ_ONLY_FIELDS.includes(key)) continue;
    if ((key === "start" || key === "end") && isObject(value)) {
      // `date` and `dateTime` are alternatives: sending one drops the stored other.
      const time = { ...value };
      if ("date" in time) time.dateTime ??= null;
      if ("dateTime" in time) time.date ??= null;
      writable[key] = time;
    } else writable[key] = value;
  }
  return mergeValues(target, writable) as Record<string, unknown>;
}

function mergeValues(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergeValues(result[key], value);
  }
  return result;
}

/** A new Google Meet conference for a create request, as Google fills it in once it succeeded. */
function meetConference(requestId: string): Record<string, unknown> {
  const code = randomMeetCode();
  return {
    createRequest: {
      requestId,
      conferenceSolutionKey: { type: "hangoutsMeet" },
      status: { statusCode: "success" },
    },
    entryPoints: [
      { entryPointType: "video", uri: `https://meet.google.com/${code}`, label: `meet.google.com/${code}` },
    ],
    conferenceSolution: { key: { type: "hangoutsMeet" }, name: "Google Meet", iconUri: MEET_ICON },
    conferenceId: code,
  };
}

/**
 * The conference data after a write. Without `conferenceDataVersion=1` the body's `conferenceData` is ignored
 * (the stored one stays); with it, a new `createRequest.requestId` creates a Meet, `null` removes it.
 */
export function resolveConference(
  body: Record<string, unknown>,
  existing: Record<string, unknown> | undefined,
  conferenceDataVersion: number,
): Record<string, unknown> | undefined {
  if (conferenceDataVersion < 1 || !("conferenceData" in body)) return existing;
  const data = body.conferenceData;
  if (data === null) return undefined;
  if (!isObject(data)) throw invalidValue("Invalid conference data.");
  const request = data.createRequest;
  if (request === undefined) return data;
  if (!isObject(request) || typeof request.requestId !== "string" || request.requestId === "") {
    throw invalidValue("Invalid conference create request.");
  }
  const key = request.conferenceSolutionKey;
  if (!isObject(key) || key.type !== "hangoutsMeet") throw invalidValue("Invalid conference type value.");
  const existingRequest = existing?.createRequest;
  if (isObject(existingRequest) && existingRequest.requestId === request.requestId) return existing;
  return meetConference(request.requestId);
}

/** `hangoutLink` for a Meet conference: its video entry point. */
function hangoutLinkOf(conference: Record<string, unknown> | undefined): string | undefined {
  const entryPoints = conference?.entryPoints;
  if (!Array.isArray(entryPoints)) return undefined;
  const video = entryPoints.find((entry: unknown) => isObject(entry) && entry.entryPointType === "video");
  return isObject(video) && typeof video.uri === "string" ? video.uri : undefined;
}

/** The server-owned parts of an event that a write keeps or sets. */
export interface EventIdentity {
  id: string;
  /** The calendar the event is on: its organizer, and what `self` marks. */
  calendarId: string;
  /** The account that created the event. */
  creator: string;
  created: string;
  updated: string;
  etag: string;
  sequence: number;
  iCalUID: string;
}

/** The full Event resource for validated input, in Google's field order. */
export function assembleEvent(
  identity: EventIdentity,
  input: EventInput,
  conference: Record<string, unknown> | undefined,
  previousAttendees: readonly EventAttendee[] = [],
): EventResource {
  const self = identity.calendarId;
  const attendees = input.attendees?.map((attendee): EventAttendee => {
    const previous = previousAttendees.find((p) => p.email.toLowerCase() === attendee.email.toLowerCase());
    const isSelf = attendee.email.toLowerCase() === self;
    return {
      ...attendee,
      ...(isSelf ? { organizer: true, self: true } : {}),
      responseStatus:
        attendee.responseStatus ?? previous?.responseStatus ?? (isSelf ? "accepted" : "needsAction"),
    };
  });
  const hangoutLink = hangoutLinkOf(conference);
  const event: EventResource = {
    kind: "calendar#event",
    etag: identity.etag,
    id: identity.id,
    status: input.status,
    htmlLink: `https://www.google.com/calendar/event?eid=${btoa(`${identity.id} ${self}`).replace(/=+$/, "")}`,
    created: identity.created,
    updated: identity.updated,
    ...(input.summary !== undefined ? { summary: input.summary } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.location !== undefined ? { location: input.location } : {}),
    creator: { email: identity.creator, ...(identity.creator === self ? { self: true as const } : {}) },
    organizer: { email: self, self: true },
    start: input.start.resource,
    end: input.end.resource,
    ...input.passThrough,
    iCalUID: identity.iCalUID,
    sequence: identity.sequence,
    ...(attendees ? { attendees } : {}),
    ...(hangoutLink ? { hangoutLink } : {}),
    ...(conference ? { conferenceData: conference } : {}),
    reminders: input.reminders,
    eventType: "default",
  };
  return event;
}

/** The sequence after a patch or update: the client's if not lower, else +1 when start, end or location changed. */
export function nextSequence(existing: EventResource, input: EventInput): number {
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

/** Epoch ms of a stored event's start or end; all-day dates start at midnight in `allDayZone` (default UTC). */
export function eventEpoch(time: EventDateTime, allDayZone = "UTC"): number {
  if (time.date) {
    const midnight = parseDateTime(`${time.date}T00:00:00`);
    return midnight ? dateTimeToEpoch(midnight, allDayZone) : 0;
  }
  const parsed = time.dateTime ? parseDateTime(time.dateTime) : undefined;
  return parsed ? dateTimeToEpoch(parsed, time.timeZone) : 0;
}
