import { canonicalTimeZone, isValidTimeZone, parseRfc3339OrLocal } from "../time/zoned-time";

// The rules of a valid event that span fields or need time-zone data; the per-field limits live here too
// so the route schemas and the service agree.

export const MAX_PARTICIPANTS = 100;
export const MAX_EVENT_LENGTH_DAYS = 31;
export const SUMMARY_MAX = 1024;
export const DESCRIPTION_MAX = 8192;
export const LOCATION_MAX = 1024;

// Outside these instants some zone's wall clock leaves the years 1900–9998: the times could not be written as
// RFC 3339 (four-digit years) for Google, nor the invitation's VTIMEZONE built (it spans the following year).
const EARLIEST_INSTANT = Date.UTC(1900, 0, 2);
const LATEST_INSTANT = Date.UTC(9998, 11, 31);

/** An event's times, resolved to instants and checked together. */
export interface ResolvedTimes {
  start: Date;
  end: Date;
  timeZone: string;
}

/**
 * Turns start/end strings into instants in `timeZone` and checks the rules that span fields: a real IANA
 * zone, years 1900–9998, end strictly after start, at most 31 days apart. Returns field errors instead of
 * throwing.
 */
export function resolveTimes(input: {
  start_time: string;
  end_time: string;
  time_zone: string;
}): ResolvedTimes | { errors: { path: string; message: string }[] } {
  const errors: { path: string; message: string }[] = [];
  if (!isValidTimeZone(input.time_zone)) {
    return {
      errors: [{ path: "time_zone", message: "must be an IANA time zone name such as Europe/Berlin" }],
    };
  }
  const start = parseRfc3339OrLocal(input.start_time, input.time_zone);
  const end = parseRfc3339OrLocal(input.end_time, input.time_zone);
  if (!start) errors.push({ path: "start_time", message: "must be an RFC 3339 date-time" });
  if (!end) errors.push({ path: "end_time", message: "must be an RFC 3339 date-time" });
  for (const [path, instant] of [
    ["start_time", start],
    ["end_time", end],
  ] as const) {
    if (instant && (instant.getTime() < EARLIEST_INSTANT || instant.getTime() > LATEST_INSTANT))
      errors.push({ path, message: "must be between the years 1900 and 9998" });
  }
  if (start && end && errors.length === 0) {
    if (end.getTime() <= start.getTime())
      errors.push({ path: "end_time", message: "must be after start_time" });
    else if (end.getTime() - start.getTime() > MAX_EVENT_LENGTH_DAYS * 86_400_000) {
      errors.push({
        path: "end_time",
        message: `must be at most ${MAX_EVENT_LENGTH_DAYS} days after start_time`,
      });
    }
  }
  if (errors.length > 0 || !start || !end) return { errors };
  // Stored and sent to Google in its canonical spelling: Google does not accept every case variant.
  return { start, end, timeZone: canonicalTimeZone(input.time_zone) };
}

/** Lower-cases and de-duplicates participant addresses, keeping first-seen order. */
export function normalizeParticipants(participants: readonly string[]): string[] {
  return [...new Set(participants.map((p) => p.trim().toLowerCase()))];
}
