import type { EventRow } from "../db/schema";
import type { Attendee, ResponseStatus } from "../events/event-model";
import { timeColumns } from "../events/time-columns";
import type { GoogleEvent } from "../google/calendar";
import { canonicalTimeZone, isValidTimeZone, parseRfc3339OrLocal } from "../time/zoned-time";

// What changed in Google Calendar for an event this service owns, field by field. Only differences
// count: this service's own writes come back with the fields it wrote, so they are never changes.

/** One participant's new answer. */
export interface ResponseChange {
  email: string;
  from: ResponseStatus;
  to: ResponseStatus;
}

/** Row columns the organizer can change in Google Calendar. */
export interface ChangedFields {
  summary?: string;
  description?: string | null;
  location?: string | null;
  startTime?: string;
  endTime?: string;
  timeZone?: string;
  startOffset?: number;
  endOffset?: number;
}

/** The differences between a stored event and Google's copy. */
export interface GoogleChange {
  cancelled: boolean;
  fields: ChangedFields;
  responses: ResponseChange[];
}

const GOOGLE_RESPONSES: Record<string, ResponseStatus> = {
  needsAction: "needs_action",
  accepted: "accepted",
  declined: "declined",
  tentative: "tentative",
};

/** Compares Google's event with the stored row and its attendees; an empty change means nothing to do. */
export function diffGoogleEvent(
  row: EventRow,
  attendees: readonly Attendee[],
  google: GoogleEvent,
): GoogleChange {
  const change: GoogleChange = { cancelled: false, fields: {}, responses: [] };
  if (row.status === "cancelled") return change;
  if (google.status === "cancelled") return { ...change, cancelled: true };

  const summary = google.summary ?? "";
  if (summary !== row.summary) change.fields.summary = summary;
  const description = google.description ?? null;
  if (description !== row.description) change.fields.description = description;
  const location = google.location ?? null;
  if (location !== row.location) change.fields.location = location;

  const zone = zoneOf(google, row.timeZone);
  const start = instantOf(google.start, zone);
  const end = instantOf(google.end, zone);
  if (start && end && end > start) {
    const times = timeColumns(start, end, zone);
    if (times.startTime !== row.startTime || times.endTime !== row.endTime || zone !== row.timeZone) {
      Object.assign(change.fields, times);
    }
  }

  for (const attendee of attendees) {
    const theirs = google.attendees?.find((a) => a.email?.toLowerCase() === attendee.email);
    const to = theirs?.responseStatus ? GOOGLE_RESPONSES[theirs.responseStatus] : undefined;
    if (to && to !== attendee.responseStatus) {
      change.responses.push({ email: attendee.email, from: attendee.responseStatus, to });
    }
  }
  return change;
}

/** Whether a change has anything in it. */
export function isEmptyChange(change: GoogleChange): boolean {
  return !change.cancelled && Object.keys(change.fields).length === 0 && change.responses.length === 0;
}

function zoneOf(google: GoogleEvent, fallback: string): string {
  const zone = google.start?.timeZone;
  return zone && isValidTimeZone(zone) ? canonicalTimeZone(zone) : fallback;
}

// Google writes timed events with an offset; an event turned into an all-day one in Google Calendar has
// dates only, which this service reads as midnight in the event's zone.
function instantOf(time: GoogleEvent["start"], zone: string): Date | null {
  if (time?.dateTime) return parseRfc3339OrLocal(time.dateTime, zone);
  if (time?.date && /^\d{4}-\d{2}-\d{2}$/.test(time.date))
    return parseRfc3339OrLocal(`${time.date}T00:00:00`, zone);
  return null;
}
