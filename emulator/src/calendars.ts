import type { EventResource } from "./event-resource.ts";
import { randomString } from "./random.ts";
import { type EmulatorState, ensureAccount, nextEtag, normalizeEmail } from "./state.ts";

/** Access roles, weakest first (Calendar ACL roles, as calendarList's `accessRole` and `minAccessRole` name them). */
export const CALENDAR_ROLES = ["freeBusyReader", "reader", "writer", "owner"] as const;

/** One of `CALENDAR_ROLES`. */
export type CalendarRole = (typeof CALENDAR_ROLES)[number];

/** One account's access to a calendar, and when it joined the account's calendar list. */
export interface CalendarGrant {
  role: CalendarRole;
  /** The account's calendar-list change number when the entry was added (calendarList sync). */
  listedAt: number;
  /** Changes whenever the entry does (role or calendar properties). */
  etag: string;
}

/** A calendar: its properties, its events, who may see it, and the state behind sync tokens. */
export interface CalendarRecord {
  id: string;
  summary: string;
  description?: string;
  timeZone: string;
  /** The account whose primary calendar this is, if it is one. */
  primaryOf?: string;
  /** The account that created it. */
  dataOwner: string;
  /** The opaque id events.watch reports for this calendar's events, the same for every channel on it. */
  resourceId: string;
  events: Map<string, EventResource>;
  /** Event id → the calendar's change number when the event last changed. */
  eventChanges: Map<string, number>;
  /** Bumped by every event change. */
  changeCount: number;
  /** Sync tokens of an older generation answer 410 (see `expireSyncTokens`). */
  syncGeneration: number;
  /** Account → its role on the calendar. */
  acl: Map<string, CalendarGrant>;
}

/** A calendar as one account sees it. */
export interface CalendarView {
  calendar: CalendarRecord;
  role: CalendarRole;
}

/** Whether `role` is at least `minimum`. */
export function roleAtLeast(role: CalendarRole | undefined, minimum: CalendarRole): boolean {
  return role !== undefined && CALENDAR_ROLES.indexOf(role) >= CALENDAR_ROLES.indexOf(minimum);
}

/** Whether a value names a role. */
export function isCalendarRole(value: unknown): value is CalendarRole {
  return typeof value === "string" && (CALENDAR_ROLES as readonly string[]).includes(value);
}

/** Calendar ids are compared like email addresses: trimmed, case-insensitively when they hold an `@`. */
export function normalizeCalendarId(id: string): string {
  return id.includes("@") ? normalizeEmail(id) : id.trim();
}

/** The calendar-list bookkeeping of one account (calendarList sync tokens). */
export function calendarListState(state: EmulatorState, account: string) {
  let list = state.calendarLists.get(account);
  if (!list) {
    list = { changeCount: 0, syncGeneration: 0 };
    state.calendarLists.set(account, list);
  }
  return list;
}

/** Gives `account` a role on `calendar` (a new calendar-list entry if it had none). */
export function grantCalendar(
  state: EmulatorState,
  calendar: CalendarRecord,
  account: string,
  role: CalendarRole,
): CalendarGrant {
  const existing = calendar.acl.get(account);
  if (existing) {
    if (existing.role !== role) existing.etag = nextEtag(state);
    existing.role = role;
    return existing;
  }
  const list = calendarListState(state, account);
  list.changeCount += 1;
  const grant: CalendarGrant = { role, listedAt: list.changeCount, etag: nextEtag(state) };
  calendar.acl.set(account, grant);
  return grant;
}

/** Creates an empty calendar, owned by `dataOwner`. */
export function createCalendar(
  state: EmulatorState,
  fields: { id: string; summary: string; timeZone: string; description?: string; primaryOf?: string },
  dataOwner: string,
): CalendarRecord {
  const calendar: CalendarRecord = {
    ...fields,
    id: normalizeCalendarId(fields.id),
    dataOwner,
    resourceId: randomString(27, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
    events: new Map(),
    eventChanges: new Map(),
    changeCount: 0,
    syncGeneration: 0,
    acl: new Map(),
  };
  state.calendars.set(calendar.id, calendar);
  return calendar;
}

/** The account's primary calendar (id = its address, summary = its address, zone UTC), created on first use. */
export function ensurePrimaryCalendar(state: EmulatorState, email: string): CalendarRecord {
  const account = ensureAccount(state, email).email;
  const existing = state.calendars.get(account);
  if (existing) return existing;
  const calendar = createCalendar(
    state,
    { id: account, summary: account, timeZone: "UTC", primaryOf: account },
    account,
  );
  grantCalendar(state, calendar, account, "owner");
  return calendar;
}

/** The calendar with this id; an existing account's primary calendar is created when first looked up. */
export function findCalendar(state: EmulatorState, id: string): CalendarRecord | undefined {
  const key = normalizeCalendarId(id);
  const calendar = state.calendars.get(key);
  if (calendar) return calendar;
  return state.accounts.has(key) ? ensurePrimaryCalendar(state, key) : undefined;
}

/** A calendar id of a request (`primary` = the caller's primary calendar) with the caller's role on it. */
export function calendarForCaller(
  state: EmulatorState,
  account: string,
  calendarId: string,
): CalendarView | undefined {
  const calendar =
    calendarId === "primary" ? ensurePrimaryCalendar(state, account) : findCalendar(state, calendarId);
  const grant = calendar?.acl.get(account);
  return calendar && grant ? { calendar, role: grant.role } : undefined;
}

/** Every calendar on the account's calendar list, primary first, then in the order they were added. */
export function calendarsOf(state: EmulatorState, account: string): CalendarView[] {
  ensurePrimaryCalendar(state, account);
  const views: Array<CalendarView & { listedAt: number }> = [];
  for (const calendar of state.calendars.values()) {
    const grant = calendar.acl.get(account);
    if (grant) views.push({ calendar, role: grant.role, listedAt: grant.listedAt });
  }
  const rank = (view: CalendarView) => (view.calendar.primaryOf === account ? 0 : 1);
  return views
    .sort((a, b) => rank(a) - rank(b) || a.listedAt - b.listedAt)
    .map(({ calendar, role }) => ({ calendar, role }));
}

/** Makes every sync token issued so far for the account's owned calendars (and its calendar list) answer 410. */
export function expireSyncTokens(state: EmulatorState, account: string): number {
  let expired = 0;
  for (const calendar of state.calendars.values()) {
    if (calendar.acl.get(account)?.role === "owner") {
      calendar.syncGeneration += 1;
      expired += 1;
    }
  }
  calendarListState(state, account).syncGeneration += 1;
  return expired;
}
