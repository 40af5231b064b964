import * as z from "zod/mini";
import type { AccessTokenDeps } from "../tokens/access-token";
import { callCalendar } from "./calendar";
import { readGoogleJson } from "./http";

// freebusy.query (developers.google.com/calendar/api/v3/reference/freebusy/query): busy intervals of up
// to 50 calendars over one window. A calendar Google cannot answer for comes back with its own errors.

const TimePeriodSchema = z.lazy(() => z.object({ start: z.string(), end: z.string() }));
const FreeBusyResponseSchema = z.lazy(() =>
  z.object({
    calendars: z._default(
      z.record(
        z.string(),
        z.object({
          busy: z._default(z.array(TimePeriodSchema), []),
          errors: z.optional(
            z.array(z.object({ domain: z.optional(z.string()), reason: z.optional(z.string()) })),
          ),
        }),
      ),
      {},
    ),
  }),
);

/** Google's answer for one calendar: its busy intervals (instants), or the reasons it had none. */
export interface CalendarBusy {
  calendarId: string;
  busy: { start: Date; end: Date }[];
  errors: string[];
}

/** The most calendars one query may name (FreeBusyRequest.calendarExpansionMax). */
export const FREEBUSY_MAX_CALENDARS = 50;

/** Busy intervals of each calendar between `from` and `to`, in the order the ids were given. */
export async function queryFreeBusy(
  deps: AccessTokenDeps,
  accountId: string,
  window: { from: Date; to: Date; calendarIds: readonly string[] },
): Promise<CalendarBusy[]> {
  const res = await callCalendar(
    deps,
    accountId,
    "POST",
    "/freeBusy",
    {
      timeMin: window.from.toISOString(),
      timeMax: window.to.toISOString(),
      timeZone: "UTC",
      calendarExpansionMax: FREEBUSY_MAX_CALENDARS,
      items: window.calendarIds.map((id) => ({ id })),
    },
    [],
  );
  const { calendars } = await readGoogleJson(res, FreeBusyResponseSchema);
  return window.calendarIds.map((calendarId) => {
    const entry = calendars[calendarId];
    if (!entry) return { calendarId, busy: [], errors: ["notFound"] };
    const busy = entry.busy
      .map((period) => ({ start: new Date(period.start), end: new Date(period.end) }))
      .filter((period) => !Number.isNaN(period.start.getTime()) && period.end > period.start);
    const errors = (entry.errors ?? []).map((e) => safeReason(e.reason));
    return { calendarId, busy, errors };
  });
}

function safeReason(reason: string | undefined): string {
  return reason && /^[A-Za-z]{1,64}$/.test(reason) ? reason : "unknown";
}
