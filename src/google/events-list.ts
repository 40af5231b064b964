import * as z from "zod/mini";
import type { AccessTokenDeps } from "../tokens/access-token";
import { callCalendar, eventsPath, GoogleEventSchema } from "./calendar";
import { readGoogleJson } from "./http";

// events.list as the incremental sync uses it (developers.google.com/calendar/api/guides/sync): a full
// listing (deleted events included) ends with a nextSyncToken; a listing from a sync token returns what
// changed since, and answers 410 when Google wants a full sync again.

const EventsPageSchema = z.lazy(() =>
  z.object({
    items: z._default(z.array(GoogleEventSchema), []),
    nextPageToken: z.optional(z.string()),
    nextSyncToken: z.optional(z.string()),
  }),
);

/** One page of an events listing. */
export type EventsPage = z.infer<typeof EventsPageSchema>;

/** Google no longer accepts the sync token (410 fullSyncRequired): list everything again. */
export class FullSyncRequiredError extends Error {
  constructor() {
    super("Google asked for a full sync (410)");
    this.name = "FullSyncRequiredError";
  }
}

/** Largest page Google serves for events.list. */
const PAGE_SIZE = 2500;

/**
 * One page of the calendar's events for the sync: from `syncToken` when given (changes only), else the
 * full listing with deleted events. Throws FullSyncRequiredError on 410.
 */
export async function listEventsForSync(
  deps: AccessTokenDeps,
  accountId: string,
  calendarId: string,
  position: { syncToken?: string | null; pageToken?: string | undefined },
): Promise<EventsPage> {
  const query = new URLSearchParams({ maxResults: String(PAGE_SIZE), showDeleted: "true" });
  if (position.syncToken) query.set("syncToken", position.syncToken);
  if (position.pageToken) query.set("pageToken", position.pageToken);
  const res = await callCalendar(
    deps,
    accountId,
    "GET",
    `${eventsPath(calendarId)}?${query}`,
    undefined,
    [410],
  );
  if (res.status === 410) {
    await res.body?.cancel();
    throw new FullSyncRequiredError();
  }
  return readGoogleJson(res, EventsPageSchema);
}
