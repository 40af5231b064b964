import { calendarListEntry } from "./calendar-list.ts";
import {
  type CalendarRole,
  calendarForCaller,
  calendarsOf,
  createCalendar,
  ensurePrimaryCalendar,
  expireSyncTokens,
  findCalendar,
  grantCalendar,
  isCalendarRole,
} from "./calendars.ts";
import { ControlError, readControlBody, refuseUnknownFields, reply } from "./control-http.ts";
import { isValidTimeZone } from "./event-times.ts";
import { isEmailAddress } from "./http.ts";
import { type EmulatorState, nextEtag } from "./state.ts";

interface CalendarFields {
  summary?: string;
  timeZone?: string;
  description?: string;
}

function calendarFields(body: Record<string, unknown>): CalendarFields {
  const fields: CalendarFields = {};
  for (const name of ["summary", "timeZone", "description"] as const) {
    const value = body[name];
    if (value === undefined) continue;
    if (typeof value !== "string") throw new ControlError(400, `${name} must be a string`);
    fields[name] = value;
  }
  if (fields.timeZone !== undefined && !isValidTimeZone(fields.timeZone)) {
    throw new ControlError(400, `unknown time zone: ${fields.timeZone}`);
  }
  return fields;
}

function applyFields(state: EmulatorState, calendarId: string, fields: CalendarFields): void {
  const calendar = state.calendars.get(calendarId);
  if (!calendar || Object.keys(fields).length === 0) return;
  Object.assign(calendar, fields);
  // Calendar properties are part of every calendar-list entry, so every entry gets a new etag.
  for (const grant of calendar.acl.values()) grant.etag = nextEtag(state);
}

// A person's address names their primary calendar; Google's own calendar addresses (group, resource, import
// calendars: …@group.calendar.google.com and the like) name secondary calendars.
function isPersonAddress(id: string): boolean {
  return isEmailAddress(id) && !/calendar\.google\.com$/i.test(id.trim());
}

/**
 * `POST /__emulator/accounts/{email}/calendars`: puts a calendar on the account's list with a role, creating the
 * calendar if the id is new. A person's email address names that person's primary calendar.
 */
export async function addCalendar(
  state: EmulatorState,
  account: string,
  request: Request,
): Promise<Response> {
  const body = await readControlBody(request);
  refuseUnknownFields(body, ["id", "summary", "timeZone", "accessRole", "description"]);
  if (typeof body.id !== "string" || body.id.trim() === "" || body.id === "primary") {
    throw new ControlError(400, "id must be a calendar id (not primary)");
  }
  const role: CalendarRole = body.accessRole === undefined ? "owner" : (body.accessRole as CalendarRole);
  if (!isCalendarRole(role))
    throw new ControlError(400, "accessRole must be owner, writer, reader or freeBusyReader");
  const fields = calendarFields(body);
  ensurePrimaryCalendar(state, account);
  const calendar =
    (isPersonAddress(body.id) ? ensurePrimaryCalendar(state, body.id) : findCalendar(state, body.id)) ??
    createCalendar(
      state,
      { id: body.id, summary: fields.summary ?? body.id, timeZone: fields.timeZone ?? "UTC" },
      account,
    );
  grantCalendar(state, calendar, account, role);
  applyFields(state, calendar.id, fields);
  return reply(calendarListEntry({ calendar, role }, account), 201);
}

/** `PATCH /__emulator/accounts/{email}/calendars/{calendarId}`: changes a calendar's summary, zone or description. */
export async function setCalendar(
  state: EmulatorState,
  account: string,
  calendarId: string,
  request: Request,
): Promise<Response> {
  const body = await readControlBody(request);
  refuseUnknownFields(body, ["summary", "timeZone", "description"]);
  const view = calendarForCaller(state, account, calendarId);
  if (!view) throw new ControlError(404, `${account} has no calendar ${calendarId}`);
  applyFields(state, view.calendar.id, calendarFields(body));
  return reply(calendarListEntry(view, account));
}

/** `GET /__emulator/accounts/{email}/calendars`: the account's calendar list, as calendarList.list shows it. */
export function listCalendarsOf(state: EmulatorState, account: string): Response {
  return reply(calendarsOf(state, account).map((view) => calendarListEntry(view, account)));
}

/** `POST /__emulator/accounts/{email}/expire-sync-tokens`: every sync token issued so far answers 410. */
export function expireSyncTokensOf(state: EmulatorState, account: string): Response {
  return reply({ expired: expireSyncTokens(state, account) });
}
