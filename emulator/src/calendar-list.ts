import { authorizeCalendarRequest } from "./calendar-auth.ts";
import {
  CALENDAR_ROLES,
  type CalendarRole,
  type CalendarView,
  calendarForCaller,
  calendarListState,
  calendarsOf,
  roleAtLeast,
} from "./calendars.ts";
import { answerApiErrors, invalidValue, notFoundResponse } from "./google-errors.ts";
import { jsonResponse } from "./http.ts";
import { booleanParam, enumParam, integerParam } from "./query-params.ts";
import type { EmulatorState } from "./state.ts";
import { encodeToken, readPageToken, readSyncToken } from "./sync-tokens.ts";

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 250;
/** Google's calendar colour palette (the `calendar` section of the colors endpoint), by colorId 1–24. */
const CALENDAR_COLORS = [
  "#ac725e",
  "#d06b64",
  "#f83a22",
  "#fa573c",
  "#ff7537",
  "#ffad46",
  "#42d692",
  "#16a765",
  "#7bd148",
  "#b3dc6c",
  "#fbe983",
  "#fad165",
  "#92e1c0",
  "#9fe1e7",
  "#9fc6e7",
  "#4986e7",
  "#9a9cff",
  "#b99aff",
  "#c2c2c2",
  "#cabdbf",
  "#cca6ac",
  "#f691b2",
  "#cd74e6",
  "#a47ae2",
];

function colorIndex(id: string): number {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) % CALENDAR_COLORS.length;
  return hash;
}

/** A calendar as a CalendarListEntry for `account`, field for field as Google returns it. */
export function calendarListEntry(view: CalendarView, account: string) {
  const { calendar, role } = view;
  const grant = calendar.acl.get(account);
  const primary = calendar.primaryOf === account;
  const index = colorIndex(calendar.id);
  return {
    kind: "calendar#calendarListEntry",
    etag: grant?.etag ?? '"0"',
    id: calendar.id,
    summary: calendar.summary,
    ...(calendar.description !== undefined ? { description: calendar.description } : {}),
    timeZone: calendar.timeZone,
    ...(calendar.primaryOf ? {} : { dataOwner: calendar.dataOwner }),
    colorId: String(index + 1),
    backgroundColor: CALENDAR_COLORS[index],
    foregroundColor: "#000000",
    selected: true,
    accessRole: role,
    defaultReminders: primary ? [{ method: "popup", minutes: 10 }] : [],
    ...(primary
      ? {
          notificationSettings: {
            notifications: [
              { type: "eventCreation", method: "email" },
              { type: "eventChange", method: "email" },
              { type: "eventCancellation", method: "email" },
              { type: "eventResponse", method: "email" },
            ],
          },
          primary: true,
        }
      : {}),
    conferenceProperties: { allowedConferenceSolutionTypes: ["hangoutsMeet"] },
  };
}

function listCalendars(url: URL, state: EmulatorState, account: string) {
  const maxResults = Math.min(integerParam(url, "maxResults", 1) ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const minAccessRole = enumParam(url, "minAccessRole", [...CALENDAR_ROLES].sort());
  const showDeleted = booleanParam(url, "showDeleted");
  const showHidden = booleanParam(url, "showHidden");
  const list = calendarListState(state, account);
  const syncToken = url.searchParams.get("syncToken");
  const pageToken = url.searchParams.get("pageToken");
  const start = pageToken === null ? undefined : readPageToken(pageToken, account, list.syncGeneration);
  const syncing = start ? start.kind === "sync-page" : syncToken !== null;
  if (syncing && minAccessRole !== undefined) {
    throw invalidValue("The syncToken parameter cannot be combined with minAccessRole.");
  }
  if (syncing && (showDeleted === false || showHidden === false)) {
    throw invalidValue(
      "The syncToken parameter cannot be combined with showDeleted=false or showHidden=false.",
    );
  }
  const since = syncing
    ? (start?.position ?? readSyncToken(syncToken ?? "", account, list.syncGeneration).position)
    : undefined;
  const views = calendarsOf(state, account)
    .filter((view) => minAccessRole === undefined || roleAtLeast(view.role, minAccessRole as CalendarRole))
    .map((view) => ({ view, listedAt: view.calendar.acl.get(account)?.listedAt ?? 0 }));
  const scope = account;
  const generation = list.syncGeneration;
  let items: typeof views;
  let next: Record<string, string>;
  if (since !== undefined) {
    // Incremental: entries added since the token, in the order they were added; pages continue from the last one.
    const changed = views.filter((entry) => entry.listedAt > since).sort((a, b) => a.listedAt - b.listedAt);
    items = changed.slice(0, maxResults);
    const last = items.at(-1);
    next =
      changed.length > maxResults && last
        ? { nextPageToken: encodeToken({ kind: "sync-page", scope, generation, position: last.listedAt }) }
        : { nextSyncToken: encodeToken({ kind: "sync", scope, generation, position: list.changeCount }) };
  } else {
    const offset = start?.position ?? 0;
    const snapshot = start?.snapshot ?? list.changeCount;
    items = views.slice(offset, offset + maxResults);
    const more = offset + maxResults < views.length;
    next = more
      ? {
          nextPageToken: encodeToken({
            kind: "page",
            scope,
            generation,
            position: offset + maxResults,
            snapshot,
          }),
        }
      : minAccessRole === undefined
        ? { nextSyncToken: encodeToken({ kind: "sync", scope, generation, position: snapshot }) }
        : {};
  }
  const entries = items.map(({ view }) => calendarListEntry(view, account));
  const etag = entries.reduce(
    (latest, entry) => (Number(entry.etag.slice(1, -1)) > Number(latest.slice(1, -1)) ? entry.etag : latest),
    '"0"',
  );
  return { kind: "calendar#calendarList", etag, ...next, items: entries };
}

/** `GET /calendar/v3/users/me/calendarList[/{calendarId}]`: calendarList.list and calendarList.get. */
export async function handleCalendarListRequest(
  calendarId: string | undefined,
  request: Request,
  url: URL,
  state: EmulatorState,
): Promise<Response> {
  const method = calendarId === undefined ? "calendarList.list" : "calendarList.get";
  const auth = authorizeCalendarRequest(request, url, state, method);
  if (!auth.ok) return auth.response;
  const account = auth.token.account;
  if (calendarId === undefined)
    return answerApiErrors(() => jsonResponse(listCalendars(url, state, account)));
  const view = calendarForCaller(state, account, calendarId);
  return view ? jsonResponse(calendarListEntry(view, account)) : notFoundResponse();
}
