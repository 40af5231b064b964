import { findHeldIntervals, type HeldInterval } from "../events/events-repo";
import { type CalendarBusy, queryFreeBusy } from "../google/freebusy";
import { ProblemError } from "../http/problem";
import { type AccessTokenDeps, requireGrantedScope } from "../tokens/access-token";
import { clip, freeGaps, type Interval, overlaps, subtract } from "./intervals";

// When is the account's person busy: Google's free/busy over the chosen calendars, merged with this
// service's own bookings (in flight ones included, which Google cannot know yet). Own bookings count
// whatever calendar they are on: a person cannot attend two meetings this service booked at once.

/** One busy interval and where it comes from. */
export interface BusyInterval extends Interval {
  source: "google" | "calendar-edge";
  calendarId: string;
  /** Own bookings: the event's id. */
  eventId?: string;
}

/** Free/busy of a window. */
export interface Availability {
  busy: BusyInterval[];
  free: Interval[];
  /** Per requested calendar, Google's errors (e.g. notFound); empty when it answered. */
  calendars: { id: string; errors: string[] }[];
}

/** The longest window one query may ask about (Google's free/busy refuses a little past 90 days). */
export const MAX_WINDOW_DAYS = 62;

/** Free/busy of `calendarIds` over [from, to); free gaps are those of at least `minFreeMs`. */
export async function getAvailability(
  deps: AccessTokenDeps,
  accountId: string,
  query: { from: Date; to: Date; calendarIds: readonly string[]; minFreeMs: number },
): Promise<Availability> {
  await requireGrantedScope(deps, accountId, "freebusy");
  const window = { start: query.from.getTime(), end: query.to.getTime() };
  const [google, held] = await Promise.all([
    queryFreeBusy(deps, accountId, { from: query.from, to: query.to, calendarIds: query.calendarIds }),
    findHeldIntervals(deps.db, accountId, { start: query.from.toISOString(), end: query.to.toISOString() }),
  ]);
  const busy = mergeSources(google, held, window);
  return {
    busy,
    free: freeGaps(window, busy, query.minFreeMs),
    calendars: google.map((c) => ({ id: c.calendarId, errors: c.errors })),
  };
}

/**
 * What stands in the way of booking [start, end): Google's busy intervals on `calendarIds` and the
 * account's own bookings. `self` is the event being booked or moved: its own row never conflicts, and
 * for a reschedule its current slot is taken out of Google's answer (Google cannot say whose busy time
 * it is, so another event inside that slot goes unseen: it overlapped this one already).
 */
export async function findConflicts(
  deps: AccessTokenDeps,
  accountId: string,
  slot: { start: Date; end: Date },
  calendarIds: readonly string[],
  self: { eventId: string; calendarId: string; current?: Interval },
): Promise<BusyInterval[]> {
  await requireGrantedScope(deps, accountId, "freebusy");
  const window = { start: slot.start.getTime(), end: slot.end.getTime() };
  const [google, held] = await Promise.all([
    queryFreeBusy(deps, accountId, { from: slot.start, to: slot.end, calendarIds }),
    findHeldIntervals(
      deps.db,
      accountId,
      { start: slot.start.toISOString(), end: slot.end.toISOString() },
      self.eventId,
    ),
  ]);
  const unanswered = google.filter((c) => c.errors.length > 0);
  if (unanswered.length > 0) {
    throw new ProblemError("google_rejected", {
      detail: `Google could not tell whether the slot is free on ${unanswered.map((c) => c.calendarId).join(", ")} (${unanswered.flatMap((c) => c.errors).join(", ")}).`,
      extensions: { google_reason: unanswered[0]?.errors[0] },
    });
  }
  const { current } = self;
  const busy = google.map((c) =>
    current && c.calendarId === self.calendarId ? { ...c, busy: carve(c.busy, current) } : c,
  );
  return mergeSources(busy, held, window).filter((b) => overlaps(b, window));
}

function carve(busy: CalendarBusy["busy"], hole: Interval): CalendarBusy["busy"] {
  return subtract(
    busy.map((b) => ({ start: b.start.getTime(), end: b.end.getTime() })),
    hole,
  ).map((i) => ({ start: new Date(i.start), end: new Date(i.end) }));
}

/**
 * Google's intervals and the own bookings in one sorted list. A settled own booking that Google already
 * shows as busy on its calendar is not listed twice.
 */
function mergeSources(
  google: readonly CalendarBusy[],
  held: readonly HeldInterval[],
  window: Interval,
): BusyInterval[] {
  const fromGoogle: BusyInterval[] = google.flatMap((c) =>
    c.busy.flatMap((b) => {
      const part = clip({ start: b.start.getTime(), end: b.end.getTime() }, window);
      return part ? [{ ...part, source: "google" as const, calendarId: c.calendarId }] : [];
    }),
  );
  const own: BusyInterval[] = held.flatMap((h) => {
    const interval = { start: Date.parse(h.start), end: Date.parse(h.end) };
    const shown =
      !h.inFlight &&
      fromGoogle.some(
        (g) => g.calendarId === h.calendarId && g.start <= interval.start && g.end >= interval.end,
      );
    const part = clip(interval, window);
    return part && !shown
      ? [{ ...part, source: "calendar-edge" as const, calendarId: h.calendarId, eventId: h.eventId }]
      : [];
  });
  return [...fromGoogle, ...own].toSorted((a, b) => a.start - b.start || a.end - b.end);
}
