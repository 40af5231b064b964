import * as z from "zod/mini";
import type { EventJson } from "../events/event-json";
import { PROBLEM_CODES, type ProblemCode } from "../http/problem";

// Response shapes, documented only: handlers build these objects directly (toEventJson, c.json), so the
// schemas are never used to parse. Each `id` becomes a `components.schemas` entry of /openapi.json.

const Timestamp = z.string().check(z.meta({ format: "date-time" }));
const Email = () => z.string().check(z.meta({ format: "email" }));

const Account = z
  .object({
    id: z.string().check(z.meta({ description: "The Google account's stable id (`sub`)." })),
    email: Email(),
  })
  .check(z.meta({ id: "Account" }));

const EmailStatus = z
  .object({
    to: Email(),
    kind: z.enum(["created", "updated", "cancelled"]),
    status: z.enum(["queued", "sent", "failed"]),
    attempts: z.number().check(z.int(), z.gte(0)),
    last_error: z.nullable(z.string()),
  })
  .check(z.meta({ id: "EmailStatus", description: "One participant's mail for one change of the event." }));

const Attendee = z
  .object({
    email: Email(),
    response_status: z
      .enum(["needs_action", "accepted", "declined", "tentative"])
      .check(
        z.meta({ description: "The participant's answer as Google reports it, kept current by the sync." }),
      ),
  })
  .check(z.meta({ id: "Attendee" }));

/** The contract's Event JSON; `satisfies` keeps it in step with what `toEventJson` returns. */
export const EventSchema = z
  .object({
    id: z.string(),
    google_event_id: z.string(),
    calendar_id: z
      .string()
      .check(
        z.meta({ description: 'The Google calendar the event lives in ("primary" unless one was chosen).' }),
      ),
    ical_uid: z
      .nullable(z.string())
      .check(z.meta({ description: "The Google event's iCalUID, also the UID of the mailed .ics." })),
    status: z.enum(["confirmed", "cancelled"]),
    cancelled_by: z.nullable(z.enum(["api", "google"])).check(
      z.meta({
        description:
          'Who cancelled it: "api" (DELETE here) or "google" (deleted in Google Calendar); null while confirmed.',
      }),
    ),
    summary: z.string(),
    description: z.nullable(z.string()),
    location: z.nullable(z.string()),
    participants: z.array(Email()),
    attendees: z
      .array(Attendee)
      .check(z.meta({ description: "The participants, in the same order, with their answers." })),
    start_time: Timestamp.check(
      z.meta({ description: "RFC 3339, with the offset of `time_zone` at that instant." }),
    ),
    end_time: Timestamp.check(
      z.meta({ description: "RFC 3339, with the offset of `time_zone` at that instant." }),
    ),
    time_zone: z.string().check(z.meta({ description: "IANA time zone name." })),
    html_link: z.nullable(z.string()).check(z.meta({ description: "The event in Google Calendar." })),
    meet_url: z
      .nullable(z.string())
      .check(z.meta({ description: 'Google Meet link when `conference` was "google_meet".' })),
    changed_in_google_at: z.nullable(Timestamp).check(
      z.meta({
        description:
          "When the sync last wrote a change made in Google Calendar (times, title, description, location, an answer, deletion); null if never.",
      }),
    ),
    created_at: Timestamp,
    updated_at: Timestamp,
    emails: z.array(EmailStatus),
  })
  .check(z.meta({ id: "Event" })) satisfies z.core.$ZodType<EventJson>;

/** A page of `GET /api/events/`. */
export const EventListSchema = z
  .object({
    events: z.array(EventSchema),
    next_cursor: z
      .nullable(z.string())
      .check(z.meta({ description: "Pass as `cursor` for the next page; null on the last." })),
  })
  .check(z.meta({ id: "EventList" }));

/** `GET /api/me`. */
export const MeSchema = z
  .object({
    account: Account,
    google: z.object({
      status: z.enum(["connected", "reauthorization_required", "disconnected"]),
      scopes: z
        .array(z.string())
        .check(z.meta({ description: "Scopes Google granted (empty when disconnected)." })),
    }),
  })
  .check(z.meta({ id: "Me" }));

/** The JSON answer of `GET /oauth2callback/`. */
export const ConnectResultSchema = z
  .object({
    account: Account,
    api_token: z
      .string()
      .check(z.meta({ description: "Bearer token for /api/; shown only in this response." })),
    scopes: z.array(z.string()),
  })
  .check(z.meta({ id: "ConnectResult" }));

/** The JSON answer of `GET /api/google-auth/`. */
export const AuthorizationUrlSchema = z
  .object({
    authorization_url: z.string().check(z.meta({ format: "uri", description: "Google's consent page." })),
  })
  .check(z.meta({ id: "AuthorizationUrl" }));

const Busy = z
  .object({
    start: Timestamp,
    end: Timestamp,
    source: z.enum(["google", "calendar-edge"]).check(
      z.meta({
        description:
          '"google": Google\'s free/busy of `calendar_id`; "calendar-edge": a booking of this service that Google does not show yet (in flight) or on a calendar not asked about.',
      }),
    ),
    calendar_id: z.string(),
    event_id: z
      .optional(z.string())
      .check(z.meta({ description: "The booking's id, for `calendar-edge` intervals." })),
  })
  .check(z.meta({ id: "BusyInterval" }));

const Period = z.object({ start: Timestamp, end: Timestamp }).check(z.meta({ id: "FreeInterval" }));

/** `GET /api/availability`. */
export const AvailabilitySchema = z
  .object({
    from: Timestamp,
    to: Timestamp,
    time_zone: z.string(),
    duration_minutes: z.number().check(z.int()),
    calendars: z.array(
      z.object({
        id: z.string(),
        errors: z.array(z.string()).check(
          z.meta({
            description:
              "Google's reasons it could not answer for this calendar (e.g. `notFound`); empty when it did.",
          }),
        ),
      }),
    ),
    busy: z
      .array(Busy)
      .check(z.meta({ description: "Sorted by start; times in `time_zone`, clipped to the window." })),
    free: z
      .array(Period)
      .check(z.meta({ description: "Gaps of at least `duration_minutes` inside [from, to)." })),
  })
  .check(z.meta({ id: "Availability" }));

/** `GET /api/calendars`. */
export const CalendarListSchema = z
  .object({
    calendars: z.array(
      z.object({
        id: z.string(),
        summary: z.string(),
        primary: z.boolean(),
        access_role: z
          .enum(["owner", "writer", "reader", "free_busy_reader"])
          .check(z.meta({ description: "Events can be created where the role is `writer` or `owner`." })),
        time_zone: z.nullable(z.string()),
      }),
    ),
  })
  .check(z.meta({ id: "CalendarList" }));

/** `GET /health`. */
export const HealthSchema = z.object({ status: z.literal("ok") }).check(z.meta({ id: "Health" }));

const PROBLEM_CODE_LIST = Object.keys(PROBLEM_CODES) as [ProblemCode, ...ProblemCode[]];

/** RFC 9457 problem details, as `ProblemError.toJSON` writes them; extra members depend on the code. */
export const ProblemSchema = z
  .looseObject({
    type: z
      .string()
      .check(z.meta({ format: "uri", description: "Identifies the problem type; ends with `code`." })),
    title: z.string(),
    status: z.number().check(z.int(), z.gte(400), z.lte(599)),
    detail: z.string(),
    code: z
      .enum(PROBLEM_CODE_LIST)
      .check(z.meta({ description: "Stable, machine-readable; the list is closed." })),
    instance: z.optional(z.string()).check(z.meta({ description: "The request path." })),
    errors: z
      .optional(z.array(z.object({ path: z.string(), message: z.string() })))
      .check(z.meta({ description: "With `validation_failed`: every field that failed (dotted path)." })),
  })
  .check(z.meta({ id: "Problem" }));
