import * as z from "zod/mini";
import { DESCRIPTION_MAX, LOCATION_MAX, MAX_PARTICIPANTS, SUMMARY_MAX } from "../events/event-rules";
import { CalendarIdInput } from "./availability.schemas";
import { pageLimit } from "./page-limit";

// One schema per route, shared by the handlers and the OpenAPI document (src/openapi/document.ts).
// Module-level schemas here and in the Google clients are z.lazy: built on first use, not while a fresh
// isolate evaluates the Worker (cold start, docs/benchmark.md).

const DateTimeInput = z.lazy(() =>
  z.string().check(
    z.maxLength(64),
    z.meta({
      description:
        "RFC 3339 date-time. Without an offset it is wall-clock time in `time_zone`; a wall-clock time skipped by a DST change is moved forward by the gap, an ambiguous one takes the earlier instant.",
      examples: ["2026-12-01T10:00:00+01:00", "2026-12-01T10:00:00"],
    }),
  ),
);

const TimeZoneInput = z.lazy(() =>
  z.string().check(
    z.maxLength(64),
    z.meta({
      description: "IANA time zone name, e.g. Europe/Berlin. Default UTC.",
      examples: ["Europe/Berlin"],
    }),
  ),
);

const Participants = z.lazy(() =>
  z
    .array(z.email({ message: "must be a valid email address" }).check(z.maxLength(254)))
    .check(
      z.minLength(1, { message: "at least one participant is required" }),
      z.maxLength(MAX_PARTICIPANTS, { message: `at most ${MAX_PARTICIPANTS} participants` }),
      z.meta({ description: "Participant addresses; duplicates (case-insensitive) are merged." }),
    ),
);

const Summary = z.lazy(() => z.string().check(z.trim(), z.minLength(1), z.maxLength(SUMMARY_MAX)));
const Description = z.lazy(() => z.nullable(z.string().check(z.maxLength(DESCRIPTION_MAX))));
const Location = z.lazy(() => z.nullable(z.string().check(z.maxLength(LOCATION_MAX))));
const IfFree = z.lazy(() =>
  z.boolean().check(
    z.meta({
      description:
        "Book only if the slot is free: Google's free/busy of the event's calendar and the primary one, and this account's other bookings. Otherwise 409 `slot_unavailable` with the conflicts.",
    }),
  ),
);

const Conference = z.lazy(() =>
  z
    .nullable(z.enum(["google_meet"]))
    .check(z.meta({ description: '"google_meet" asks Google for a Meet link; null removes it on PATCH.' })),
);

/** Body of `POST /api/events/`. */
export const CreateEventBody = z.lazy(() =>
  z
    .strictObject({
      participants: Participants,
      start_time: DateTimeInput,
      end_time: DateTimeInput,
      time_zone: z.optional(TimeZoneInput),
      summary: z.optional(Summary).check(z.meta({ description: 'Default: "Meeting with N participants".' })),
      description: z.optional(Description),
      location: z.optional(Location),
      conference: z.optional(Conference),
      calendar_id: z.optional(CalendarIdInput).check(
        z.meta({
          description:
            'The Google calendar to create the event in: one where the account is writer or owner (`GET /api/calendars`). Default "primary". Kept for every later change.',
        }),
      ),
      if_free: z.optional(IfFree),
    })
    .check(z.meta({ id: "CreateEvent" })),
);

/** Body of `PATCH /api/events/:id`: any create field. */
export const UpdateEventBody = z.lazy(() =>
  z
    .strictObject({
      participants: z.optional(Participants),
      start_time: z.optional(DateTimeInput),
      end_time: z.optional(DateTimeInput),
      time_zone: z.optional(TimeZoneInput),
      summary: z.optional(Summary),
      description: z.optional(Description),
      location: z.optional(Location),
      conference: z.optional(Conference),
      if_free: z.optional(IfFree),
    })
    .check(
      z.refine((body) => Object.keys(body).some((key) => key !== "if_free"), {
        message: "at least one field must be given",
      }),
      z.meta({ id: "UpdateEvent" }),
    ),
);

export type CreateEventInput = z.infer<typeof CreateEventBody>;
export type UpdateEventInput = z.infer<typeof UpdateEventBody>;

/** `GET /api/events/` query. */
export const ListEventsQuery = z.lazy(() =>
  z.strictObject({
    limit: pageLimit("Page size, 1–100 (default 20)."),
    cursor: z
      .optional(z.string().check(z.maxLength(512)))
      .check(z.meta({ description: "`next_cursor` of the previous page." })),
    from: z
      .optional(z.string().check(z.maxLength(64)))
      .check(z.meta({ description: "Only events starting at or after (RFC 3339)." })),
    to: z
      .optional(z.string().check(z.maxLength(64)))
      .check(z.meta({ description: "Only events starting before (RFC 3339)." })),
    calendar_id: z.optional(CalendarIdInput).check(z.meta({ description: "Only events on this calendar." })),
  }),
);

/** Path parameter of the single-event routes. */
export const EventIdParam = z.lazy(() =>
  z.object({ id: z.string().check(z.meta({ description: "The event's id." })) }),
);
