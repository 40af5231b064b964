import type { EventRow } from "../db/schema";

/** What a client controls about an event, fully resolved (instants, normalized participants). */
export interface EventState {
  summary: string;
  description: string | null;
  location: string | null;
  participants: string[];
  start: Date;
  end: Date;
  timeZone: string;
  conference: "google_meet" | null;
}

/** One recipient's mail for one change, as shown under `emails`. */
export interface EmailStatus {
  to: string;
  kind: "created" | "updated" | "cancelled";
  status: "queued" | "sent" | "failed";
  attempts: number;
  lastError: string | null;
  sequence: number;
}

/** A participant's answer to the invitation, as Google reports it. */
export type ResponseStatus = "needs_action" | "accepted" | "declined" | "tentative";

/** A participant with their answer. */
export interface Attendee {
  email: string;
  responseStatus: ResponseStatus;
}

/** An event as stored: its row, participants (with their answers) and mail states. */
export interface StoredEvent extends EventView {
  row: EventRow;
}

/** The columns of a row an event's JSON shows. */
export type EventViewRow = Pick<
  EventRow,
  | "id"
  | "googleEventId"
  | "calendarId"
  | "icalUid"
  | "status"
  | "cancelledBy"
  | "summary"
  | "description"
  | "location"
  | "startTime"
  | "endTime"
  | "timeZone"
  | "startOffset"
  | "endOffset"
  | "htmlLink"
  | "meetUrl"
  | "changedInGoogleAt"
  | "createdAt"
  | "updatedAt"
>;

/** What an event's JSON is made of: the shown columns, participants (with answers) and mail states. */
export interface EventView {
  row: EventViewRow;
  participants: string[];
  attendees: Attendee[];
  emails: EmailStatus[];
}

/** The resolved state a stored row describes. */
export function stateOfRow(row: EventRow, participants: string[]): EventState {
  return {
    summary: row.summary,
    description: row.description,
    location: row.location,
    participants,
    start: new Date(row.startTime),
    end: new Date(row.endTime),
    timeZone: row.timeZone,
    conference: row.conference,
  };
}

/** The seed's default title. */
export function defaultSummary(participantCount: number): string {
  return `Meeting with ${participantCount} participant${participantCount === 1 ? "" : "s"}`;
}
