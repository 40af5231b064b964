import { formatInZone, formatWithOffset } from "../time/zoned-time";
import type { EventView } from "./event-model";

/** The contract's Event JSON. Times are shown with the event's own zone offset. */
export function toEventJson(event: EventView) {
  const { row } = event;
  return {
    id: row.id,
    google_event_id: row.googleEventId,
    calendar_id: row.calendarId,
    ical_uid: row.icalUid,
    status: row.status,
    cancelled_by: row.status === "cancelled" ? (row.cancelledBy ?? "api") : null,
    summary: row.summary,
    description: row.description,
    location: row.location,
    participants: event.participants,
    attendees: event.attendees.map((a) => ({ email: a.email, response_status: a.responseStatus })),
    start_time: inZone(row.startTime, row.startOffset, row.timeZone),
    end_time: inZone(row.endTime, row.endOffset, row.timeZone),
    time_zone: row.timeZone,
    html_link: row.htmlLink,
    meet_url: row.meetUrl,
    changed_in_google_at: row.changedInGoogleAt,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    emails: event.emails.map((e) => ({
      to: e.to,
      kind: e.kind,
      status: e.status,
      attempts: e.attempts,
      last_error: e.lastError,
    })),
  };
}

export type EventJson = ReturnType<typeof toEventJson>;

/** A stored instant in the event's zone: from the offset stored with it, else computed (older rows). */
function inZone(instant: string, offset: number | null, timeZone: string): string {
  const date = new Date(instant);
  return offset === null ? formatInZone(date, timeZone) : formatWithOffset(date, offset);
}
