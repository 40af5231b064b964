/**
 * A small RFC 5545 writer for the one-event invitations (RFC 5546 REQUEST) and cancellations (CANCEL)
 * that participants get by mail. Times carry their IANA zone plus a VTIMEZONE computed from Intl, so
 * strict clients (Outlook) resolve them without a zone database of their own.
 */
import { offsetAt, toIcsLocal, toIcsUtc, wallClockToInstant } from "../time/zoned-time";

/** Everything one invitation or cancellation says about its event. */
export interface IcsInput {
  method: "REQUEST" | "CANCEL";
  /** The Google event's iCalUID: clients match updates and cancellations on it. */
  uid: string;
  /** Grows with each update; clients ignore a message whose sequence is lower than one they have seen. */
  sequence: number;
  start: Date;
  end: Date;
  /** IANA name; "UTC" writes UTC times and no VTIMEZONE. */
  timeZone: string;
  summary: string;
  description?: string | null;
  location?: string | null;
  organizer: { email: string; name?: string | null };
  attendees: string[];
  /** Google's htmlLink. */
  url?: string | null;
  meetUrl?: string | null;
  status: "CONFIRMED" | "CANCELLED";
  /** When this message was generated. */
  dtstamp: Date;
}

const CRLF = "\r\n";
const MAX_LINE_OCTETS = 75;
const DAY = 86_400_000;
const UTC_ZONE = /^(Etc\/)?(UTC|UCT|Universal|Zulu)$/i;

/** The iCalendar text of `input`: one VEVENT, CRLF line endings, lines folded at 75 octets. */
export function buildIcs(input: IcsInput): string {
  if (!Number.isSafeInteger(input.sequence) || input.sequence < 0) {
    throw new RangeError(`SEQUENCE must be a non-negative integer, got ${input.sequence}`);
  }
  const utc = UTC_ZONE.test(input.timeZone);
  const meetUrl = toHttpUrl(input.meetUrl);
  const url = toHttpUrl(input.url);
  const description = [input.description?.trim(), meetUrl && `Join with Google Meet: ${meetUrl}`]
    .filter(Boolean)
    .join("\n\n");
  const organizerName = input.organizer.name ? cleanParam(input.organizer.name) : "";

  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//calendar-edge//EN",
    "CALSCALE:GREGORIAN",
    `METHOD:${input.method}`,
    ...(utc ? [] : buildTimeZone(input.timeZone, [input.start, input.end])),
    "BEGIN:VEVENT",
    `UID:${escapeText(input.uid)}`,
    `SEQUENCE:${input.sequence}`,
    `DTSTAMP:${toIcsUtc(input.dtstamp)}`,
    dateTimeLine("DTSTART", input.start, utc ? null : input.timeZone),
    dateTimeLine("DTEND", input.end, utc ? null : input.timeZone),
    `SUMMARY:${escapeText(input.summary)}`,
    description && `DESCRIPTION:${escapeText(description)}`,
    input.location?.trim() && `LOCATION:${escapeText(input.location.trim())}`,
    url && `URL:${url}`,
    `ORGANIZER${organizerName && `;CN=${quoteParam(organizerName)}`}:${toMailto(input.organizer.email)}`,
    ...input.attendees.map(
      (email) =>
        `ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:${toMailto(email)}`,
    ),
    `STATUS:${input.status}`,
    "TRANSP:OPAQUE",
    meetUrl && `X-GOOGLE-CONFERENCE:${meetUrl}`,
    "END:VEVENT",
    "END:VCALENDAR",
  ];
  return lines
    .filter((line): line is string => Boolean(line))
    .map(foldLine)
    .join(CRLF)
    .concat(CRLF);
}

function dateTimeLine(name: string, instant: Date, timeZone: string | null): string {
  // RFC 5545 §3.3.5 reads a repeated wall clock as its first occurrence, but clients differ (ical.js
  // takes the second): the hour that repeats when DST ends is written in UTC, which no one misreads.
  return timeZone && !isRepeatedWallClock(instant, timeZone)
    ? `${name};TZID=${quoteParam(cleanParam(timeZone))}:${toIcsLocal(instant, timeZone)}`
    : `${name}:${toIcsUtc(instant)}`;
}

/** True when the zone's clock shows `instant`'s wall time twice (the hour repeated when DST ends). */
function isRepeatedWallClock(instant: Date, timeZone: string): boolean {
  const time = instant.getTime();
  const local = toIcsLocal(instant, timeZone);
  const own = offsetAt(instant, timeZone);
  return [time - DAY, time + DAY].some((near) => {
    const other = time + (own - offsetAt(new Date(near), timeZone)) * 60_000;
    return other !== time && toIcsLocal(new Date(other), timeZone) === local;
  });
}

interface Observance {
  /** UTC milliseconds at which the offset changes. */
  at: number;
  from: number;
  to: number;
}

const zoneCache = new Map<string, string[]>();

/** VTIMEZONE lines covering the calendar years of `instants`: every offset change of those years. */
function buildTimeZone(timeZone: string, instants: Date[]): string[] {
  const years = [...new Set(instants.map((instant) => Number(toIcsLocal(instant, timeZone).slice(0, 4))))];
  const lines = ["BEGIN:VTIMEZONE", `TZID:${escapeText(timeZone)}`];
  for (const year of years.sort((a, b) => a - b)) {
    const key = `${timeZone}|${year}`;
    let observances = zoneCache.get(key);
    if (!observances) {
      observances = buildObservances(timeZone, year);
      if (zoneCache.size > 200) zoneCache.clear();
      zoneCache.set(key, observances);
    }
    lines.push(...observances);
  }
  lines.push("END:VTIMEZONE");
  return lines;
}

function buildObservances(timeZone: string, year: number): string[] {
  const offset = (time: number) => Math.round(offsetAt(new Date(time), timeZone) * 60) * 1000;
  const yearStart = wallClockToInstant(`${String(year).padStart(4, "0")}-01-01T00:00`, timeZone).getTime();
  const yearEnd = wallClockToInstant(`${String(year + 1).padStart(4, "0")}-01-01T00:00`, timeZone).getTime();
  // The year's first observance starts at its first instant, so every time in the year has one to fall in.
  const observances: Observance[] = [{ at: yearStart, from: offset(yearStart - 1), to: offset(yearStart) }];
  let at = yearStart;
  let current = offset(at);
  while (at < yearEnd) {
    const next = Math.min(at + DAY, yearEnd);
    if (offset(next) === current) {
      at = next;
      continue;
    }
    // The offset changed within this day: find the first millisecond of the new offset.
    let low = at;
    let high = next;
    while (high - low > 1) {
      const middle = low + Math.floor((high - low) / 2);
      if (offset(middle) === current) low = middle;
      else high = middle;
    }
    const to = offset(high);
    observances.push({ at: high, from: current, to });
    at = high;
    current = to;
  }
  // Offsets above the year's lowest are daylight time; that also holds for the southern hemisphere.
  const standard = Math.min(...observances.map((observance) => observance.to));
  return observances.flatMap(({ at, from, to }) => {
    const kind = to > standard ? "DAYLIGHT" : "STANDARD";
    return [
      `BEGIN:${kind}`,
      // An observance's DTSTART is the local time of the change, read in the offset in force before it.
      `DTSTART:${toIcsUtc(new Date(at + from)).slice(0, -1)}`,
      `TZOFFSETFROM:${formatUtcOffset(from)}`,
      `TZOFFSETTO:${formatUtcOffset(to)}`,
      `END:${kind}`,
    ];
  });
}

/** RFC 5545 utc-offset: "+0200", "-0430", "+005328"; zero is "+0000" ("-0000" is not allowed). */
function formatUtcOffset(milliseconds: number): string {
  const hhmmss = new Date(Math.abs(milliseconds)).toISOString().slice(11, 19).replaceAll(":", "");
  return `${milliseconds < 0 ? "-" : "+"}${hhmmss.endsWith("00") ? hhmmss.slice(0, 4) : hhmmss}`;
}

/** RFC 5545 TEXT: backslash, semicolon and comma escaped, any line break as "\n", other controls dropped. */
function escapeText(value: string): string {
  return (
    value
      .toWellFormed()
      .replace(/\r\n?/g, "\n")
      // Unescaped CR or LF would end the property and let the text inject its own (header injection).
      .replace(/[^\P{Cc}\n\t]/gu, "")
      .replace(/[\\;,]/g, (char) => `\\${char}`)
      .replaceAll("\n", "\\n")
  );
}

/** A parameter value (CN, TZID) may hold neither controls nor DQUOTE, even when quoted. */
function cleanParam(value: string): string {
  return value
    .toWellFormed()
    .replace(/\p{Cc}+/gu, " ")
    .replaceAll('"', "")
    .trim();
}

function quoteParam(value: string): string {
  return /[:;,]/.test(value) ? `"${value}"` : value;
}

function toMailto(email: string): string {
  return `mailto:${email.toWellFormed().replace(/[\p{Cc}\s]/gu, "")}`;
}

/** The normalized href of an http(s) URL, or null: other schemes never reach a calendar. */
function toHttpUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  const url = URL.parse(value);
  return url && (url.protocol === "https:" || url.protocol === "http:") ? url.href : null;
}

/** Folds a content line at 75 octets of UTF-8 (RFC 5545 §3.1), never inside a character. */
function foldLine(line: string): string {
  let folded = "";
  let octets = 0;
  for (const char of line) {
    const size = utf8Length(char.codePointAt(0) ?? 0);
    if (octets + size > MAX_LINE_OCTETS) {
      folded += `${CRLF} `;
      octets = 1;
    }
    folded += char;
    octets += size;
  }
  return folded;
}

function utf8Length(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}
