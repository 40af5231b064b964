import * as z from "zod/mini";
import type { AccessTokenDeps } from "../tokens/access-token";
import { callCalendar } from "./calendar";
import { readGoogleJson } from "./http";

// calendarList (developers.google.com/calendar/api/v3/reference/calendarList): the calendars the account
// has in its list, with its access role on each.

const EntrySchema = z.lazy(() =>
  z.object({
    id: z.string(),
    summary: z.optional(z.string()),
    summaryOverride: z.optional(z.string()),
    primary: z.optional(z.boolean()),
    accessRole: z.string(),
    timeZone: z.optional(z.string()),
  }),
);
const PageSchema = z.lazy(() =>
  z.object({
    items: z._default(z.array(EntrySchema), []),
    nextPageToken: z.optional(z.string()),
  }),
);

/** One calendar of the account's list. */
export type CalendarListEntry = z.infer<typeof EntrySchema>;

/** Most pages read for one listing (250 entries each). */
const MAX_PAGES = 20;

/** Every calendar in the account's list (all pages). */
export async function listCalendars(deps: AccessTokenDeps, accountId: string): Promise<CalendarListEntry[]> {
  const entries: CalendarListEntry[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ maxResults: "250" });
    if (pageToken) query.set("pageToken", pageToken);
    const res = await callCalendar(deps, accountId, "GET", `/users/me/calendarList?${query}`, undefined, []);
    const body = await readGoogleJson(res, PageSchema);
    entries.push(...body.items);
    pageToken = body.nextPageToken;
    if (!pageToken) break;
  }
  return entries;
}

/** One calendar of the account's list, or null when it is not in the list. */
export async function getCalendarListEntry(
  deps: AccessTokenDeps,
  accountId: string,
  calendarId: string,
): Promise<CalendarListEntry | null> {
  const res = await callCalendar(
    deps,
    accountId,
    "GET",
    `/users/me/calendarList/${encodeURIComponent(calendarId)}`,
    undefined,
    [404],
  );
  if (res.status === 404) {
    await res.body?.cancel();
    return null;
  }
  return readGoogleJson(res, EntrySchema);
}
