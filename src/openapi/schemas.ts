import * as z from "zod";
import type { EventJson } from "../events/event-json";
import { PROBLEM_CODES, type ProblemCode } from "../http/problem";

// Response shapes, documented only: handlers build these objects directly (toEventJson, c.json), so the
// schemas are never used to parse. Each `id` becomes a `components.schemas` entry of /openapi.json.

const Timestamp = z.string().meta({ format: "date-time" });

const Account = z
  .object({
    id: z.string().meta({ description: "The Google account's stable id (`sub`)." }),
    email: z.string().meta({ format: "email" }),
  })
  .meta({ id: "Account" });

const EmailStatus = z
  .object({
    to: z.string().meta({ format: "email" }),
    kind: z.enum(["created", "updated", "cancelled"]),
    status: z.enum(["queued", "sent", "failed"]),
    attempts: z.number().int().min(0),
    last_error: z.string().nullable(),
  })
  .meta({ id: "EmailStatus", description: "One participant's mail for one change of the event." });

const Attendee = z
  .object({
    email: z.string().meta({ format: "email" }),
    response_status: z.enum(["needs_action", "accepted", "declined", "tentative"]).meta({
      description: "The participant's answer as Google reports it, kept current by the sync.",
    }),
  })
  .meta({ id: "Attendee" });

/** The contract's Event JSON; `satisfies` keeps it in step with what `toEventJson` returns. */
export const EventSchema = z
  .object({
    id: z.string(),
    google_event_id: z.string(),
    calendar_id: z
      .string()
      .meta({ description: 'The Google calendar the event lives in ("primary" unless one was chosen).' }),
    ical_uid: z
      .string()
      .nullable()
      .meta({ description: "The Google event's iCalUID, also the UID of the mailed .ics." }),
    status: z.enum(["confirmed", "cancelled"]),
    cancelled_by: z.enum(["api", "google"]).nullable().meta({
      description:
        'Who cancelled it: "api" (DELETE here) or "google" (deleted in Google Calendar); null while confirmed.',
    }),
    summary: z.string(),
    description: z.string().nullable(),
    location: z.string().nullable(),
    participants: z.array(z.string().meta({ format: "email" })),
    attendees: z
      .array(Attendee)
      .meta({ description: "The participants, in the same order, with their answers." }),
    start_time: Timestamp.meta({ description: "RFC 3339, with the offset of `time_zone` at that instant." }),
    end_time: Timestamp.meta({ description: "RFC 3339, with the offset of `time_zone` at that instant." }),
    time_zone: z.string().meta({ description: "IANA time zone name." }),
    html_link: z.string().nullable().meta({ description: "The event in Google Calendar." }),
    meet_url: z
      .string()
      .nullable()
      .meta({ description: 'Google Meet link when `conference` was "google_meet".' }),
    changed_in_google_at: Timestamp.nullable().meta({
      description:
        "When the sync last wrote a change made in Google Calendar (times, title, description, location, an answer, deletion); null if never.",
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
    emails: z.array(EmailStatus),
  })
  .meta({ id: "Event" }) satisfies z.ZodType<EventJson>;

/** A page of `GET /api/events/`. */
export const EventListSchema = z
  .object({
    events: z.array(EventSchema),
    next_cursor: z
      .string()
      .nullable()
      .meta({ description: "Pass as `cursor` for the next page; null on the last." }),
  })
  .meta({ id: "EventList" });

/** `GET /api/me`. */
export const MeSchema = z
  .object({
    account: Account,
    google: z.object({
      status: z.enum(["connected", "reauthorization_required", "disconnected"]),
      scopes: z.array(z.string()).meta({ description: "Scopes Google granted (empty when disconnected)." }),
    }),
  })
  .meta({ id: "Me" });

/** The JSON answer of `GET /oauth2callback/`. */
export const ConnectResultSchema = z
  .object({
    account: Account,
    api_token: z.string().meta({ description: "Bearer token for /api/; shown only in this response." }),
    scopes: z.array(z.string()),
  })
  .meta({ id: "ConnectResult" });

/** The JSON answer of `GET /api/google-auth/`. */
export const AuthorizationUrlSchema = z
  .object({ authorization_url: z.string().meta({ format: "uri", description: "Google's consent page." }) })
  .meta({ id: "AuthorizationUrl" });

const Busy = z
  .object({
    start: Timestamp,
    end: Timestamp,
    source: z.enum(["google", "calendar-edge"]).meta({
      description:
        '"google": Google\'s free/busy of `calendar_id`; "calendar-edge": a booking of this service that Google does not show yet (in flight) or on a calendar not asked about.',
    }),
    calendar_id: z.string(),
    event_id: z.string().optional().meta({ description: "The booking's id, for `calendar-edge` intervals." }),
  })
  .meta({ id: "BusyInterval" });

const Period = z.object({ start: Timestamp, end: Timestamp }).meta({ id: "FreeInterval" });

/** `GET /api/availability`. */
export const AvailabilitySchema = z
  .object({
    from: Timestamp,
    to: Timestamp,
    time_zone: z.string(),
    duration_minutes: z.number().int(),
    calendars: z.array(
      z.object({
        id: z.string(),
        errors: z.array(z.string()).meta({
          description:
            "Google's reasons it could not answer for this calendar (e.g. `notFound`); empty when it did.",
        }),
      }),
    ),
    busy: z
      .array(Busy)
      .meta({ description: "Sorted by start; times in `time_zone`, clipped to the window." }),
    free: z.array(Period).meta({ description: "Gaps of at least `duration_minutes` inside [from, to)." }),
  })
  .meta({ id: "Availability" });

/** `GET /api/calendars`. */
export const CalendarListSchema = z
  .object({
    calendars: z.array(
      z.object({
        id: z.string(),
        summary: z.string(),
        primary: z.boolean(),
        access_role: z.enum(["owner", "writer", "reader", "free_busy_reader"]).meta({
          description: "Events can be created where the role is `writer` or `owner`.",
        }),
        time_zone: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: "CalendarList" });

/** `GET /health`. */
export const HealthSchema = z.object({ status: z.literal("ok") }).meta({ id: "Health" });

const PROBLEM_CODE_LIST = Object.keys(PROBLEM_CODES) as [ProblemCode, ...ProblemCode[]];

/** RFC 9457 problem details, as `ProblemError.toJSON` writes them; extra members depend on the code. */
export const ProblemSchema = z
  .looseObject({
    type: z.string().meta({ format: "uri", description: "Identifies the problem type; ends with `code`." }),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string(),
    code: z.enum(PROBLEM_CODE_LIST).meta({ description: "Stable, machine-readable; the list is closed." }),
    instance: z.string().optional().meta({ description: "The request path." }),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: "With `validation_failed`: every field that failed (dotted path)." }),
  })
  .meta({ id: "Problem" });
