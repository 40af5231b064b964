/**
 * Time-zone arithmetic with nothing but Intl.DateTimeFormat: UTC offsets, wall clocks, RFC 3339 and
 * iCalendar forms. Wall-clock times that a DST change skips or repeats resolve like Temporal's
 * `disambiguation: "compatible"` (RFC 5545 §3.3.5): a skipped time moves forward by the gap length,
 * a repeated time takes the earlier instant.
 */

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;

// YYYY-MM-DDTHH:mm[:ss[.fff…]][Z|±HH:MM]; RFC 3339 allows a lowercase "t" and "z".
const DATE_TIME =
  /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.(\d+))?)?([Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)?$/;
const OFFSET = /([+-])(\d\d):(\d\d)(?::(\d\d))?/;

const offsetFormats = new Map<string, Intl.DateTimeFormat>();
// Offsets already computed, by zone and exact instant: one request asks for the same few instants many
// times (validation, Google's body, the answer, the mail), and formatToParts is the costly part.
const offsets = new Map<string, number>();
const OFFSETS_MAX = 2_000;

/** The zone's offset in milliseconds at `time`; throws RangeError for an unknown zone. */
function offsetMs(time: number, timeZone: string): number {
  if (timeZone === "UTC") return 0;
  const key = `${timeZone}|${time}`;
  const known = offsets.get(key);
  if (known !== undefined) return known;
  let format = offsetFormats.get(timeZone);
  if (!format) {
    // Callers validate zones, but letter-case variants could still grow the cache without bound.
    if (offsetFormats.size > 500) offsetFormats.clear();
    format = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" });
    offsetFormats.set(timeZone, format);
  }
  // "GMT+05:30", "GMT-03:00", and "GMT+00:53:28" for local mean time before standard time existed.
  const name = format.formatToParts(time).find((part) => part.type === "timeZoneName")?.value ?? "";
  const offset = parseOffset(name);
  if (offsets.size >= OFFSETS_MAX) offsets.clear();
  offsets.set(key, offset);
  return offset;
}

function parseOffset(text: string): number {
  const match = OFFSET.exec(text);
  if (!match) return 0;
  const [, sign, hours, minutes, seconds = "0"] = match;
  return (sign === "-" ? -1 : 1) * ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
}

/** The wall clock of `value` read as if it were UTC, plus its offset text (if any); null when malformed. */
function parseDateTime(value: string): { wall: number; offset: string | undefined } | null {
  const match = DATE_TIME.exec(value);
  if (!match) return null;
  const [, year, month, day, hour, minute, second, fraction = "", offset] = match;
  if (offset && second === undefined) return null;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, keeps years 0-99 as they are; a rolled-over day means no such date.
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  if (date.getUTCDate() !== Number(day)) return null;
  const seconds = (Number(hour) * 60 + Number(minute)) * 60 + Number(second ?? 0);
  return { wall: date.getTime() + seconds * 1000 + Number(`${fraction}00`.slice(0, 3)), offset };
}

/** The instant a wall-clock time (as UTC milliseconds) names in `timeZone`, DST resolved "compatible". */
function resolveWallClock(wall: number, timeZone: string): number {
  // Offsets a day either side bracket any transition: the wall clock can only mean one of these instants.
  const earlier = wall - offsetMs(wall - DAY, timeZone);
  const later = wall - offsetMs(wall + DAY, timeZone);
  const valid = [earlier, later].filter((instant) => instant + offsetMs(instant, timeZone) === wall);
  // Repeated (overlap): both are valid, take the first. Skipped (gap): neither is; the pre-transition
  // offset lands the same distance past the gap, i.e. the time moves forward by the gap length.
  return valid.length > 0 ? Math.min(...valid) : earlier;
}

/** True when `name` is an IANA time-zone name that Intl knows (such as "Europe/Berlin" or "UTC"). */
export function isValidTimeZone(name: string): boolean {
  // Intl also takes offset zones ("+01:00"), which are not IANA names, and tzdb's "Factory", which stands for
  // "no zone set" rather than a place: Google Calendar refuses it.
  if (!/^[A-Za-z]/.test(name) || name.toLowerCase() === "factory") return false;
  // Zones already in use answer from the formatter cache: building an Intl formatter is the costly part.
  if (offsetFormats.has(name)) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The UTC offset of `timeZone` at `instant`, in minutes (east of Greenwich positive). */
export function offsetAt(instant: Date, timeZone: string): number {
  return offsetMs(instant.getTime(), timeZone) / MINUTE;
}

/**
 * The instant that wall-clock `localDateTime` ("YYYY-MM-DDTHH:mm[:ss[.fff]]") names in `timeZone`: a time
 * skipped by a DST change moves forward by the gap, a repeated one takes the earlier instant.
 */
export function wallClockToInstant(localDateTime: string, timeZone: string): Date {
  const parsed = parseDateTime(localDateTime);
  if (!parsed || parsed.offset) throw new RangeError(`Not a local date-time: ${localDateTime}`);
  return new Date(resolveWallClock(parsed.wall, timeZone));
}

/**
 * An RFC 3339 instant when `value` carries `Z` or `±HH:MM` (seconds required), otherwise a wall-clock time
 * in `timeZone` (seconds optional); null when malformed or not a real calendar date.
 */
export function parseRfc3339OrLocal(value: string, timeZone: string): Date | null {
  const parsed = typeof value === "string" ? parseDateTime(value) : null;
  if (!parsed) return null;
  if (parsed.offset) return new Date(parsed.wall - parseOffset(parsed.offset));
  return new Date(resolveWallClock(parsed.wall, timeZone));
}

/** `instant` as RFC 3339 in the zone's offset at that instant, e.g. "2026-03-29T03:30:00+02:00" ("Z" at 0). */
export function formatInZone(instant: Date, timeZone: string): string {
  return formatWithOffset(instant, offsetAt(instant, timeZone));
}

/**
 * `instant` as RFC 3339 with a UTC offset already known (minutes east, rounded to whole minutes as RFC
 * 3339 requires; the wall clock follows the rounded offset so both agree).
 */
export function formatWithOffset(instant: Date, offsetMinutes: number): string {
  const minutes = Math.round(offsetMinutes);
  const iso = new Date(instant.getTime() + minutes * MINUTE).toISOString();
  const wall = iso.endsWith(".000Z") ? iso.slice(0, 19) : iso.slice(0, 23);
  if (minutes === 0) return `${wall}Z`;
  const hhmm = new Date(Math.abs(minutes) * MINUTE).toISOString().slice(11, 16);
  return `${wall}${minutes < 0 ? "-" : "+"}${hhmm}`;
}

const humanFormats = new Map<string, Intl.DateTimeFormat>();

/** `instant` for people, e.g. "Monday, March 30, 2026 at 10:00 AM GMT+2 (Europe/Berlin)". */
export function formatForHumans(instant: Date, timeZone: string, locale = "en-US"): string {
  const key = `${locale}|${timeZone}`;
  let format = humanFormats.get(key);
  if (!format) {
    // Building a formatter costs far more than using one: one per locale and zone, bounded.
    if (humanFormats.size > 200) humanFormats.clear();
    format = new Intl.DateTimeFormat(locale, {
      timeZone,
      weekday: "long",
      year: "numeric",
      month: "long",
      day: "numeric",
      hour: "numeric",
      minute: "2-digit",
      timeZoneName: "short",
    });
    humanFormats.set(key, format);
  }
  const text = format.format(instant);
  // ICU puts narrow no-break spaces before "AM"; plain spaces survive mail headers and old clients.
  const plain = text.replace(/[\u00a0\u202f]/g, " ");
  return plain.endsWith(timeZone) ? plain : `${plain} (${timeZone})`;
}

/** `instant` as an iCalendar local DATE-TIME in `timeZone`, e.g. "20260329T033000". */
export function toIcsLocal(instant: Date, timeZone: string): string {
  return toIcsForm(instant.getTime() + offsetMs(instant.getTime(), timeZone));
}

/** `instant` as an iCalendar UTC DATE-TIME, e.g. "20260329T013000Z". */
export function toIcsUtc(instant: Date): string {
  return `${toIcsForm(instant.getTime())}Z`;
}

function toIcsForm(wall: number): string {
  return new Date(wall).toISOString().slice(0, 19).replace(/[-:]/g, "");
}

/** The zone's canonical IANA spelling (`europe/berlin` → `Europe/Berlin`), as Intl resolves it. */
export function canonicalTimeZone(name: string): string {
  let canonical = canonicalZones.get(name);
  if (canonical === undefined) {
    if (canonicalZones.size > 500) canonicalZones.clear();
    canonical = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
    canonicalZones.set(name, canonical);
  }
  return canonical;
}

const canonicalZones = new Map<string, string>();
