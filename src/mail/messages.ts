/**
 * What each participant receives for a created, rescheduled or cancelled event: subject, plain-text and
 * HTML bodies with the time in the event's own zone, and the iCalendar REQUEST or CANCEL to attach.
 */
import { formatForHumans } from "../time/zoned-time";
import { escapeHtml } from "./html-escape";
import { buildIcs } from "./ics";

/** Which change a mail announces; "removed" is the cancellation sent to a participant taken off the event. */
export type MailKind = "created" | "updated" | "cancelled" | "removed";

/** The event as the mail describes it. */
export interface MailEvent {
  icalUid: string;
  sequence: number;
  summary: string;
  description: string | null;
  location: string | null;
  startTime: Date;
  endTime: Date;
  timeZone: string;
  participants: string[];
  htmlLink: string | null;
  meetUrl: string | null;
}

/** One participant mail, ready for the mailer. */
export interface BuiltMessage {
  subject: string;
  text: string;
  html: string;
  ics: string;
  icsMethod: "REQUEST" | "CANCEL";
}

const MAX_SUBJECT_LENGTH = 200;
const UNTITLED = "(No title)";

const WORDING: Record<MailKind, { subject: string; lead: string }> = {
  created: { subject: "Invitation", lead: "You have been invited to this event." },
  updated: {
    subject: "Updated invitation",
    lead: "This event has been updated. Please check the new details.",
  },
  cancelled: { subject: "Cancelled", lead: "This event has been cancelled and will not take place." },
  removed: {
    subject: "Removed from event",
    lead: "You have been removed from this event and no longer need to attend.",
  },
};

/** The mail for one `kind` of change to `event`, sent on behalf of `organizer`, stamped `now`. */
export function buildMessage(
  kind: MailKind,
  event: MailEvent,
  organizer: { email: string; name?: string | null },
  now: Date,
): BuiltMessage {
  const cancelled = kind === "cancelled";
  // Both a cancellation and a removal take the event off the recipient's calendar.
  const withdrawn = cancelled || kind === "removed";
  const wording = WORDING[kind];
  const title = toOneLine(event.summary) || UNTITLED;
  const start = formatForHumans(event.startTime, event.timeZone);
  const end = formatForHumans(event.endTime, event.timeZone);
  const location = toOneLine(event.location ?? "");
  const description = toPlainText(event.description ?? "");
  const organizerName = toOneLine(organizer.name ?? "");
  const organizerEmail = toOneLine(organizer.email);
  const organizerLabel = organizerName ? `${organizerName} <${organizerEmail}>` : organizerEmail;
  const participants = event.participants.map(toOneLine);
  // A cancelled meeting, or one the recipient was taken off, has nothing to join.
  const meetUrl = withdrawn ? null : toHttpUrl(event.meetUrl);
  const googleUrl = toHttpUrl(event.htmlLink);

  const prefix = `${wording.subject}: `;
  const suffix = ` @ ${start}`;
  const room = Math.max(20, MAX_SUBJECT_LENGTH - prefix.length - suffix.length);
  const subject = truncate(`${prefix}${truncate(title, room)}${suffix}`, MAX_SUBJECT_LENGTH);

  const text = [
    wording.lead,
    "",
    cancelled ? `Cancelled: ${title}` : title,
    "",
    `Starts: ${start}`,
    `Ends: ${end}`,
    `Organizer: ${organizerLabel}`,
    ...(kind === "removed" ? [] : ["Participants:", ...participants.map((email) => `  - ${email}`)]),
    location ? `Location: ${location}` : null,
    meetUrl ? `Join with Google Meet: ${meetUrl}` : null,
    googleUrl ? `Open in Google Calendar: ${googleUrl}` : null,
    description ? `\n${description}` : null,
    "",
  ]
    .filter((line) => line !== null)
    .join("\n");

  const row = (label: string, value: string) =>
    `<tr><th align="left" valign="top" style="padding:2px 12px 2px 0">${label}</th><td>${value}</td></tr>`;
  const link = (href: string, label: string) => `<p><a href="${escapeHtml(href)}">${label}</a></p>`;
  const html = [
    '<!doctype html><html><head><meta charset="utf-8"></head>',
    '<body style="font-family:Arial,Helvetica,sans-serif;color:#202124">',
    `<p>${escapeHtml(wording.lead)}</p>`,
    cancelled ? `<h2><s>${escapeHtml(title)}</s> (cancelled)</h2>` : `<h2>${escapeHtml(title)}</h2>`,
    "<table>",
    row("Starts", escapeHtml(start)),
    row("Ends", escapeHtml(end)),
    row("Organizer", escapeHtml(organizerLabel)),
    kind !== "removed" && row("Participants", participants.map(escapeHtml).join("<br>")),
    location && row("Location", escapeHtml(location)),
    "</table>",
    meetUrl && link(meetUrl, "Join with Google Meet"),
    googleUrl && link(googleUrl, "Open in Google Calendar"),
    description && `<p>${escapeHtml(description).replaceAll("\n", "<br>")}</p>`,
    "</body></html>",
  ]
    .filter(Boolean)
    .join("\n");

  const icsMethod = withdrawn ? "CANCEL" : "REQUEST";
  const ics = buildIcs({
    method: icsMethod,
    uid: event.icalUid,
    sequence: event.sequence,
    start: event.startTime,
    end: event.endTime,
    timeZone: event.timeZone,
    summary: event.summary,
    description: event.description,
    location: event.location,
    organizer,
    attendees: event.participants,
    url: event.htmlLink,
    meetUrl: event.meetUrl,
    status: withdrawn ? "CANCELLED" : "CONFIRMED",
    dtstamp: now,
  });
  return { subject, text, html, ics, icsMethod };
}

/**
 * User text for a single line (subject, title, location): any run of whitespace or control characters
 * becomes one space, so CR/LF in a summary can never start a new mail header.
 */
function toOneLine(value: string): string {
  return (
    value
      .toWellFormed()
      // Bidi overrides would reorder whatever follows them in the subject line.
      .replace(/[\u202a-\u202e\u2066-\u2069]/g, "")
      .replace(/[\s\p{Cc}]+/gu, " ")
      .trim()
  );
}

/** User text for a body: line breaks kept as "\n", other control characters dropped. */
function toPlainText(value: string): string {
  return value
    .toWellFormed()
    .replace(/\r\n?/g, "\n")
    .replace(/[^\P{Cc}\n\t]/gu, "")
    .trim();
}

function truncate(value: string, maxLength: number): string {
  const chars = Array.from(value);
  return chars.length <= maxLength
    ? value
    : `${chars
        .slice(0, maxLength - 1)
        .join("")
        .trimEnd()}…`;
}

/** The normalized href of an http(s) URL, or null: only links we got from Google become links. */
function toHttpUrl(value: string | null): string | null {
  const url = value ? URL.parse(value) : null;
  return url && (url.protocol === "https:" || url.protocol === "http:") ? url.href : null;
}
