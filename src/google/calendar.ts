import * as z from "zod/mini";
import { ProblemError, reauthorizationRequired } from "../http/problem";
import { type AccessTokenDeps, getAccessToken } from "../tokens/access-token";
import { describeEndpoint, readGoogleFailure, readGoogleJson, sendGoogleRequest } from "./http";

// Calendar v3 events on one of the account's calendars (`primary` unless the event lives elsewhere). Every
// write asks Google not to notify anyone (sendUpdates=none): participants get this service's own mail,
// never a second invitation from Google.

const EventDateTimeSchema = z.lazy(() =>
  z.object({
    dateTime: z.optional(z.string()),
    date: z.optional(z.string()),
    timeZone: z.optional(z.string()),
  }),
);

const AttendeeSchema = z.lazy(() =>
  z.object({
    email: z.optional(z.string()),
    responseStatus: z.optional(z.string()),
    self: z.optional(z.boolean()),
    organizer: z.optional(z.boolean()),
  }),
);

/** The calendar of a call; the default keeps callers of the primary calendar short. */
export const PRIMARY_CALENDAR = "primary";

export const GoogleEventSchema = z.lazy(() =>
  z.object({
    id: z.string(),
    etag: z.optional(z.string()),
    status: z.optional(z.string()),
    htmlLink: z.optional(z.string()),
    iCalUID: z.optional(z.string()),
    sequence: z.optional(z.number()),
    summary: z.optional(z.string()),
    description: z.optional(z.string()),
    location: z.optional(z.string()),
    created: z.optional(z.string()),
    updated: z.optional(z.string()),
    start: z.optional(EventDateTimeSchema),
    end: z.optional(EventDateTimeSchema),
    attendees: z.optional(z.array(AttendeeSchema)),
    hangoutLink: z.optional(z.string()),
    extendedProperties: z.optional(z.object({ private: z.optional(z.record(z.string(), z.string())) })),
    conferenceData: z.optional(
      z.object({
        entryPoints: z.optional(z.array(z.object({ entryPointType: z.string(), uri: z.string() }))),
      }),
    ),
  }),
);

/** The parts of Google's Event resource this service reads. */
export type GoogleEvent = z.infer<typeof GoogleEventSchema>;

/** What this service writes to Google for an event. */
export interface GoogleEventBody {
  id?: string;
  summary: string;
  description: string | null;
  location: string | null;
  start: { dateTime: string; timeZone: string };
  end: { dateTime: string; timeZone: string };
  attendees: { email: string }[];
  sequence?: number;
  status?: "confirmed";
  conferenceData?: {
    createRequest: { requestId: string; conferenceSolutionKey: { type: "hangoutsMeet" } };
  } | null;
  guestsCanModify?: boolean;
  /** Private extended properties (visible to this app's reads of the calendar only). */
  extendedProperties?: { private: Record<string, string> };
}

/** Google answered 412: the stored etag is stale (someone else changed the event). */
export class EtagMismatchError extends Error {
  constructor() {
    super("Google reports the event changed since it was stored (412)");
    this.name = "EtagMismatchError";
  }
}

const RETRYABLE_RATE_REASONS = new Set(["rateLimitExceeded", "userRateLimitExceeded"]);
const MAX_ATTEMPTS = 3;
const BACKOFF_BASE_MS = 200;
/** Longest Retry-After this service waits in-request; beyond it the client is told to come back later. */
const MAX_INLINE_WAIT_MS = 2_000;

/** The Meet link of an event, if Google made one. */
export function meetUrlOf(event: GoogleEvent): string | null {
  const video = event.conferenceData?.entryPoints?.find((e) => e.entryPointType === "video");
  return video?.uri ?? event.hangoutLink ?? null;
}

/** Creates an event with our chosen id. A 409 (the id exists) returns the existing event instead. */
export async function insertEvent(
  deps: AccessTokenDeps,
  accountId: string,
  body: GoogleEventBody & { id: string },
  calendarId: string = PRIMARY_CALENDAR,
): Promise<{ event: GoogleEvent; existed: boolean }> {
  const withMeet = body.conferenceData ? "&conferenceDataVersion=1" : "";
  // On insert an absent field and a null one mean the same; Google's validator only accepts the former.
  const fields = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null));
  const res = await callCalendar(
    deps,
    accountId,
    "POST",
    `${eventsPath(calendarId)}?sendUpdates=none${withMeet}`,
    fields,
    [409],
  );
  if (res.status === 409) {
    const existing = await getEvent(deps, accountId, body.id, calendarId);
    if (!existing) throw rejected(409, "duplicate");
    if (existing.status === "cancelled") {
      // An earlier attempt with this id was rolled back: bring the same event back rather than a second one.
      const { id: _id, ...fields } = body;
      const revived = await patchEvent(
        deps,
        accountId,
        body.id,
        { ...fields, sequence: (existing.sequence ?? 0) + 1, status: "confirmed" },
        { conference: Boolean(body.conferenceData) },
        calendarId,
      );
      if (!revived) throw rejected(409, "duplicate");
      return { event: revived, existed: true };
    }
    return { event: existing, existed: true };
  }
  return { event: await readGoogleJson(res, GoogleEventSchema), existed: false };
}

/** The event, or null if Google has no event with that id. */
export async function getEvent(
  deps: AccessTokenDeps,
  accountId: string,
  googleEventId: string,
  calendarId: string = PRIMARY_CALENDAR,
): Promise<GoogleEvent | null> {
  const res = await callCalendar(
    deps,
    accountId,
    "GET",
    `${eventsPath(calendarId)}/${enc(googleEventId)}`,
    undefined,
    [404, 410],
  );
  if (res.status === 404 || res.status === 410) return null;
  return readGoogleJson(res, GoogleEventSchema);
}

/** Patches an event; with `etag`, only if Google's copy is the one stored (else EtagMismatchError). */
export async function patchEvent(
  deps: AccessTokenDeps,
  accountId: string,
  googleEventId: string,
  body: Partial<GoogleEventBody>,
  options: { etag?: string | null; conference?: boolean } = {},
  calendarId: string = PRIMARY_CALENDAR,
): Promise<GoogleEvent | null> {
  const path = `${eventsPath(calendarId)}/${enc(googleEventId)}?sendUpdates=none${options.conference ? "&conferenceDataVersion=1" : ""}`;
  const headers = options.etag ? { "if-match": options.etag } : undefined;
  const res = await callCalendar(deps, accountId, "PATCH", path, body, [404, 410, 412], headers);
  if (res.status === 412) throw new EtagMismatchError();
  if (res.status === 404 || res.status === 410) return null;
  return readGoogleJson(res, GoogleEventSchema);
}

/** Cancels an event at Google. Already gone (404/410) counts as done. */
export async function deleteEvent(
  deps: AccessTokenDeps,
  accountId: string,
  googleEventId: string,
  calendarId: string = PRIMARY_CALENDAR,
): Promise<void> {
  await callCalendar(
    deps,
    accountId,
    "DELETE",
    `${eventsPath(calendarId)}/${enc(googleEventId)}?sendUpdates=none`,
    undefined,
    [404, 410],
  );
}

/**
 * One Calendar call with the whole policy: a 401 gets one forced token refresh and one retry; rate limits
 * (429, 403 rateLimitExceeded/userRateLimitExceeded) and 5xx get bounded exponential backoff with jitter;
 * then 503 with Retry-After, 502, or 504. Statuses in `expected` are returned for the caller to interpret.
 */
export async function callCalendar(
  deps: AccessTokenDeps,
  accountId: string,
  method: string,
  path: string,
  json: unknown,
  expected: number[],
  headers?: Record<string, string>,
): Promise<Response> {
  const url = `${deps.config.googleCalendarApiUrl}${path}`;
  let refreshed = false;
  let forceRefresh = false;
  for (let attempt = 1; ; attempt++) {
    const accessToken = await getAccessToken(deps, accountId, { force: forceRefresh });
    forceRefresh = false;
    const res = await sendGoogleRequest(deps.config, { method, url, accessToken, json, headers });
    if (res.ok || expected.includes(res.status)) return res;

    const failure = await readGoogleFailure(res);
    const reason = googleReason(failure.body);
    if (res.status === 401 && !refreshed) {
      refreshed = true;
      forceRefresh = true;
      attempt--;
      continue;
    }
    if (res.status === 401) throw reauthorizationRequired();
    if (res.status === 403 && (reason === "insufficientPermissions" || reason === "forbidden")) {
      throw reauthorizationRequired(
        "Google refused calendar access for this account. Open /api/google-auth/ and grant calendar access.",
      );
    }
    const rateLimited = res.status === 429 || (res.status === 403 && RETRYABLE_RATE_REASONS.has(reason));
    if (rateLimited || res.status >= 500) {
      const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
      const wait = retryAfterMs ?? backoff(attempt);
      if (attempt < MAX_ATTEMPTS && wait <= MAX_INLINE_WAIT_MS) {
        await sleep(wait);
        continue;
      }
      if (rateLimited) {
        const seconds = Math.max(1, Math.ceil((retryAfterMs ?? backoff(attempt + 1)) / 1000));
        throw new ProblemError("google_rate_limited", {
          detail: `Google is rate limiting this account's calendar requests. Retry after ${seconds} s.`,
          headers: { "retry-after": String(seconds) },
          internal: `${method} ${describeEndpoint(url)} → ${res.status} ${reason}`,
        });
      }
      throw new ProblemError("google_unavailable", {
        detail: `Google Calendar answered ${res.status} after ${attempt} attempts`,
        internal: `${method} ${describeEndpoint(url)} → ${res.status} ${reason}`,
      });
    }
    throw rejected(res.status, reason);
  }
}

/** Google refused the request itself (4xx other than auth and rate limits): 502 naming its status and reason. */
export function rejected(status: number, reason: string): ProblemError {
  return new ProblemError("google_rejected", {
    detail: `Google Calendar rejected the request (${status}${reason ? ` ${reason}` : ""})`,
    extensions: { google_status: status, ...(reason ? { google_reason: reason } : {}) },
  });
}

/** Google's machine-readable reason (e.g. `rateLimitExceeded`), filtered to a safe token. */
function googleReason(body: unknown): string {
  const parsed = z
    .object({ error: z.object({ errors: z.optional(z.array(z.object({ reason: z.string() }))) }) })
    .safeParse(body);
  const reason = parsed.success ? (parsed.data.error.errors?.[0]?.reason ?? "") : "";
  return /^[A-Za-z]{1,64}$/.test(reason) ? reason : "";
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function backoff(attempt: number): number {
  const ceiling = BACKOFF_BASE_MS * 2 ** (attempt - 1);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Path (below the Calendar base URL) of a calendar's events collection. */
export function eventsPath(calendarId: string): string {
  return `/calendars/${enc(calendarId)}/events`;
}

function enc(id: string): string {
  return encodeURIComponent(id);
}
