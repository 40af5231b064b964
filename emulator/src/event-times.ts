const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** A parsed `dateTime`: the wall-clock fields and, when the string had one, its UTC offset in minutes. */
export interface ParsedDateTime {
  wall: WallTime;
  offsetMinutes: number | undefined;
}

function validWall(wall: WallTime): boolean {
  const probe = new Date(Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second));
  return (
    probe.getUTCFullYear() === wall.year &&
    probe.getUTCMonth() === wall.month - 1 &&
    probe.getUTCDate() === wall.day &&
    probe.getUTCHours() === wall.hour &&
    probe.getUTCMinutes() === wall.minute
  );
}

/** Parses an RFC 3339 date-time; the offset may be missing (then `offsetMinutes` is undefined). */
export function parseDateTime(value: string): ParsedDateTime | undefined {
  const match = RFC3339.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, , zone] = match;
  const wall = { year: +y!, month: +mo!, day: +d!, hour: +h!, minute: +mi!, second: +s! };
  if (wall.second > 59 || !validWall(wall)) return undefined;
  let offsetMinutes: number | undefined;
  if (zone === "Z" || zone === "z") offsetMinutes = 0;
  else if (zone) {
    const sign = zone.startsWith("-") ? -1 : 1;
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(4, 6));
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = sign * (hours * 60 + minutes);
  }
  return { wall, offsetMinutes };
}

/** An RFC 3339 timestamp with a mandatory offset as epoch ms (fractions ignored, as Google does). */
export function parseTimestamp(value: string): number | undefined {
  const parsed = parseDateTime(value);
  if (!parsed || parsed.offsetMinutes === undefined) return undefined;
  return wallToUtc(parsed.wall) - parsed.offsetMinutes * 60_000;
}

/** A `yyyy-mm-dd` date as epoch ms of its UTC midnight. */
export function parseDate(value: string): number | undefined {
  const match = DATE.exec(value);
  if (!match) return undefined;
  const wall = { year: +match[1]!, month: +match[2]!, day: +match[3]!, hour: 0, minute: 0, second: 0 };
  return validWall(wall) ? wallToUtc(wall) : undefined;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

function wallToUtc(wall: WallTime): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
}

function wallIn(epochMs: number, timeZone: string): WallTime {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(epochMs));
  const field = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  return {
    year: field("year"),
    month: field("month"),
    day: field("day"),
    hour: field("hour"),
    minute: field("minute"),
    second: field("second"),
  };
}

/** The zone's UTC offset at an instant, in minutes. */
function offsetAt(epochMs: number, timeZone: string): number {
  const truncated = Math.floor(epochMs / 1000) * 1000;
  return Math.round((wallToUtc(wallIn(truncated, timeZone)) - truncated) / 60_000);
}

/** A `dateTime` (+ optional `timeZone`) as epoch ms; wall-clock times are read in `timeZone`. */
export function dateTimeToEpoch(parsed: ParsedDateTime, timeZone: string | undefined): number {
  const asUtc = wallToUtc(parsed.wall);
  if (parsed.offsetMinutes !== undefined) return asUtc - parsed.offsetMinutes * 60_000;
  const zone = timeZone ?? "UTC";
  // Offsets a day either side cover any one transition. A repeated wall time (DST end) takes the earlier
  // instant; a skipped one (DST start) is read with the offset before the gap, so it moves forward (RFC 5545).
  const before = offsetAt(asUtc - DAY_MS, zone);
  const candidates = [before, offsetAt(asUtc + DAY_MS, zone)]
    .map((offset) => asUtc - offset * 60_000)
    .filter((epoch) => offsetAt(epoch, zone) * 60_000 === asUtc - epoch);
  return candidates.length > 0 ? Math.min(...candidates) : asUtc - before * 60_000;
}

/** An instant as Google writes it back: in `timeZone`'s offset (`+01:00`), or `Z` for UTC. */
export function formatDateTime(epochMs: number, timeZone: string | undefined): string {
  const zone = timeZone ?? "UTC";
  const offset = offsetAt(epochMs, zone);
  const wall = new Date(epochMs + offset * 60_000).toISOString().slice(0, 19);
  if (offset === 0) return `${wall}Z`;
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return `${wall}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** An instant as an RFC 3339 UTC timestamp with milliseconds (Google's `created`/`updated`). */
export function formatTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
