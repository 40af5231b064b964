import { type GoogleEvent, type GoogleEventBody, meetUrlOf } from "../google/calendar";
import { formatInZone } from "../time/zoned-time";
import type { EventState } from "./event-model";
import type { GoogleFields } from "./events-repo";

/** The private extended property that marks Google events this service created (and its row's id). */
export const OWNER_PROPERTY = "calendarEdgeId";

/**
 * The Google Event body for a state; a Meet link is requested with a request id unique to this event.
 * `rowId` marks the event as this service's (a private extended property): the sync recognises by it an
 * event whose row was never written.
 */
export function toGoogleBody(
  state: EventState,
  googleEventId: string,
  sequence: number,
  rowId?: string,
): GoogleEventBody {
  return {
    ...(rowId ? { extendedProperties: { private: { [OWNER_PROPERTY]: rowId } } } : {}),
    summary: state.summary,
    description: state.description,
    location: state.location,
    start: { dateTime: formatInZone(state.start, state.timeZone), timeZone: state.timeZone },
    end: { dateTime: formatInZone(state.end, state.timeZone), timeZone: state.timeZone },
    attendees: state.participants.map((email) => ({ email })),
    sequence,
    guestsCanModify: false,
    conferenceData:
      state.conference === "google_meet"
        ? {
            createRequest: {
              requestId: `${googleEventId}-${sequence}`,
              conferenceSolutionKey: { type: "hangoutsMeet" },
            },
          }
        : null,
  };
}

/** What D1 keeps of Google's answer. */
export function googleFieldsOf(event: GoogleEvent, fallbackSequence: number): GoogleFields {
  return {
    icalUid: event.iCalUID ?? null,
    htmlLink: event.htmlLink ?? null,
    meetUrl: meetUrlOf(event),
    etag: event.etag ?? null,
    sequence: event.sequence ?? fallbackSequence,
  };
}
