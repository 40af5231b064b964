// Drives the Google emulator from tests: plain fetches to Google's real URLs reach it through Miniflare's
// outboundService (see vitest.config.ts).
import type { FaultSpec as EmulatorFaultSpec } from "../../emulator/src/faults";

const CONTROL = "https://www.googleapis.com/__emulator";

/** Options of one injected fault (emulator/README.md "Control surface"); `times` defaults to 1. */
export type FaultSpec = Omit<EmulatorFaultSpec, "times"> & { times?: number };

async function control(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(`${CONTROL}${path}`, {
    ...init,
    headers: { "content-type": "application/json", ...init.headers },
  });
  if (!res.ok) throw new Error(`emulator control ${path} answered ${res.status}: ${await res.text()}`);
  return res;
}

export async function injectFault(fault: FaultSpec): Promise<string> {
  const res = await control("/faults", { method: "POST", body: JSON.stringify(fault) });
  return ((await res.json()) as { id: string }).id;
}

export async function clearFault(id: string): Promise<void> {
  await fetch(`${CONTROL}/faults/${id}`, { method: "DELETE" });
}

export async function expireAccessTokens(email: string): Promise<void> {
  await control(`/accounts/${encodeURIComponent(email)}/expire-tokens`, { method: "POST" });
}

export async function revokeGrantsAtGoogle(email: string): Promise<void> {
  await control(`/accounts/${encodeURIComponent(email)}/revoke-grants`, { method: "POST" });
}

export interface EmulatorCall {
  endpoint: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** null while the call is still in flight; 0 for a dropped connection. */
  status: number | null;
  /** The account the call acted for (emulator/README.md "Call"), null when unknown. */
  account: string | null;
  grantType?: string;
  faultId?: string;
  /** When the call arrived, ISO 8601 on the emulator's clock. */
  at: string;
}

export async function callsOf(email: string, endpoint?: string): Promise<EmulatorCall[]> {
  const q = new URLSearchParams({ account: email, ...(endpoint ? { endpoint } : {}) });
  return (await (await control(`/calls?${q}`)).json()) as EmulatorCall[];
}

/** Every event the emulator holds for the account (cancelled included). */
export async function googleEventsOf(email: string): Promise<GoogleEventResource[]> {
  return (await (
    await control(`/accounts/${encodeURIComponent(email)}/events`)
  ).json()) as GoogleEventResource[];
}

export interface GoogleEventResource {
  id: string;
  etag: string;
  status: string;
  updated: string;
  summary?: string;
  description?: string;
  location?: string;
  iCalUID: string;
  sequence: number;
  start: { dateTime?: string; date?: string; timeZone?: string };
  end: { dateTime?: string; date?: string; timeZone?: string };
  attendees?: { email: string; responseStatus?: string; comment?: string; self?: boolean }[];
  transparency?: string;
  hangoutLink?: string;
  conferenceData?: unknown;
}

/**
 * Waits (bounded) until the emulator has answered every call of this account: a call the app gave up on
 * (timeout) may still land later, as at Google, and a test must not judge the final state before it has.
 */
export async function waitForGoogleIdle(email: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await callsOf(email)).some((call) => call.status === null)) {
    if (Date.now() > deadline)
      throw new Error(`emulator calls of ${email} still in flight after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function enc(value: string): string {
  return encodeURIComponent(value);
}

/** A calendar-list entry as the emulator's control surface and calendarList.get return it. */
export interface CalendarListEntry {
  kind: "calendar#calendarListEntry";
  etag: string;
  id: string;
  summary: string;
  description?: string;
  timeZone: string;
  accessRole: CalendarRole;
  primary?: true;
  dataOwner?: string;
  backgroundColor: string;
  foregroundColor: string;
  colorId: string;
  selected: boolean;
  defaultReminders: { method: string; minutes: number }[];
  conferenceProperties: { allowedConferenceSolutionTypes: string[] };
}

export type CalendarRole = "owner" | "writer" | "reader" | "freeBusyReader";

/**
 * Puts a calendar on `email`'s calendar list with a role (default owner), creating it if the id is new. An id
 * that is an email address is that person's primary calendar, so two accounts can share one calendar.
 */
export async function addCalendar(
  email: string,
  entry: { id: string; summary?: string; timeZone?: string; accessRole?: CalendarRole; description?: string },
): Promise<CalendarListEntry> {
  const res = await control(`/accounts/${enc(email)}/calendars`, {
    method: "POST",
    body: JSON.stringify(entry),
  });
  return (await res.json()) as CalendarListEntry;
}

/** Changes a calendar on `email`'s list (`primary` allowed here), e.g. the primary calendar's time zone. */
export async function setCalendar(
  email: string,
  calendarId: string,
  patch: { timeZone?: string; summary?: string; description?: string },
): Promise<CalendarListEntry> {
  const res = await control(`/accounts/${enc(email)}/calendars/${enc(calendarId)}`, {
    method: "PATCH",
    body: JSON.stringify(patch),
  });
  return (await res.json()) as CalendarListEntry;
}

/** Every event stored on a calendar (its real id, e.g. the owner's address), cancelled included. */
export async function googleEventsOfCalendar(calendarId: string): Promise<GoogleEventResource[]> {
  return (await (await control(`/calendars/${enc(calendarId)}/events`)).json()) as GoogleEventResource[];
}

/** An attendee answers the invitation in Google Calendar (new etag and `updated`, same sequence); notifies. */
export async function respondAsAttendee(
  calendarId: string,
  eventId: string,
  attendee: string,
  responseStatus: "accepted" | "declined" | "tentative" | "needsAction",
  comment?: string,
): Promise<GoogleEventResource> {
  const res = await control(`/calendars/${enc(calendarId)}/events/${enc(eventId)}/respond`, {
    method: "POST",
    body: JSON.stringify({ attendee, responseStatus, ...(comment !== undefined ? { comment } : {}) }),
  });
  return (await res.json()) as GoogleEventResource;
}

/** Event fields the organizer can change in the Google Calendar UI. */
export interface GooglePatch {
  summary?: string;
  description?: string;
  location?: string;
  start?: { dateTime?: string; date?: string; timeZone?: string };
  end?: { dateTime?: string; date?: string; timeZone?: string };
}

/** The organizer edits the event in Google Calendar (sequence +1 when start, end or location change); notifies. */
export async function patchInGoogle(
  calendarId: string,
  eventId: string,
  patch: GooglePatch,
): Promise<GoogleEventResource> {
  const res = await control(`/calendars/${enc(calendarId)}/events/${enc(eventId)}`, {
    method: "PATCH",
    body: JSON.stringify(patch),
  });
  return (await res.json()) as GoogleEventResource;
}

/** The organizer deletes the event in Google Calendar: cancelled, sequence +1; notifies. */
export async function deleteInGoogle(calendarId: string, eventId: string): Promise<GoogleEventResource> {
  const res = await control(`/calendars/${enc(calendarId)}/events/${enc(eventId)}`, { method: "DELETE" });
  return (await res.json()) as GoogleEventResource;
}

/** Someone makes a meeting directly in Google Calendar (random id), e.g. to make a slot busy; notifies. */
export async function createInGoogle(
  calendarId: string,
  event: GooglePatch & {
    start: NonNullable<GooglePatch["start"]>;
    end: NonNullable<GooglePatch["end"]>;
    transparency?: "opaque" | "transparent";
    attendees?: { email: string; responseStatus?: string }[];
    status?: "confirmed" | "tentative" | "cancelled";
  },
): Promise<GoogleEventResource> {
  const res = await control(`/calendars/${enc(calendarId)}/events`, {
    method: "POST",
    body: JSON.stringify(event),
  });
  return (await res.json()) as GoogleEventResource;
}

/** A watch notification held for a test (`notifications: "hold"`), with exactly the headers Google sends. */
export interface HeldNotification {
  id: string;
  channelId: string;
  address: string;
  headers: Record<string, string>;
  state: "sync" | "exists";
  messageNumber: number;
}

/** A notification as the emulator recorded it, whatever became of it. */
export interface NotificationRecord extends HeldNotification {
  calendarId: string;
  delivery: "held" | "taken" | "pending" | "delivered" | "failed" | "dropped";
  status?: number;
  error?: string;
  delayMs?: number;
  createdAt: string;
}

/** Removes and returns the held notifications of the channels `email` opened, oldest first. */
export async function takeNotifications(email: string): Promise<HeldNotification[]> {
  const res = await control(`/accounts/${enc(email)}/notifications/take`, { method: "POST" });
  return (await res.json()) as HeldNotification[];
}

/** Every notification of the channels `email` opened (held, taken, delivered, dropped), oldest first. */
export async function notificationsOf(email: string): Promise<NotificationRecord[]> {
  return (await (await control(`/accounts/${enc(email)}/notifications`)).json()) as NotificationRecord[];
}

/** The next `times` notifications of `email`'s channels are dropped, or held back / delayed by `delayMs`. */
export async function failNotifications(
  email: string,
  fault: { drop?: boolean; delayMs?: number; times: number },
): Promise<void> {
  await control(`/accounts/${enc(email)}/notifications/faults`, {
    method: "POST",
    body: JSON.stringify(fault),
  });
}

/** A watch channel as the emulator's control surface lists it. */
export interface ChannelSummary {
  id: string;
  resourceId: string;
  calendarId: string;
  address: string;
  /** Epoch ms. */
  expiration: number;
  stopped: boolean;
  expired: boolean;
  tokenSet: boolean;
}

/** The channels `email` opened with events.watch, stopped and expired ones included. */
export async function channelsOf(email: string): Promise<ChannelSummary[]> {
  return (await (await control(`/accounts/${enc(email)}/channels`)).json()) as ChannelSummary[];
}

/** Makes `email`'s live channel `id` expire now: no more notifications, channels.stop answers 404. */
export async function expireChannel(email: string, id: string): Promise<void> {
  await control(`/accounts/${enc(email)}/channels/${enc(id)}/expire`, { method: "POST" });
}

/** Every sync token issued so far for the calendars `email` owns (and its calendar list) answers 410. */
export async function expireSyncTokens(email: string): Promise<void> {
  await control(`/accounts/${enc(email)}/expire-sync-tokens`, { method: "POST" });
}
