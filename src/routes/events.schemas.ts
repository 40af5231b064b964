import * as z from "zod";
import { DESCRIPTION_MAX, LOCATION_MAX, MAX_PARTICIPANTS, SUMMARY_MAX } from "../events/event-rules";
import { CalendarIdInput } from "./availability.schemas";

// One schema per route, shared by the handlers and the OpenAPI document (src/openapi/document.ts).

const DateTimeInput = z
  .string()
  .max(64)
  .meta({
    description:
      "RFC 3339 date-time. Without an offset it is wall-clock time in `time_zone`; a wall-clock time skipped by a DST change is moved forward by the gap, an ambiguous one takes the earlier instant.",
    examples: ["2026-12-01T10:00:00+01:00", "2026-12-01T10:00:00"],
  });

const TimeZoneInput = z
  .string()
  .max(64)
  .meta({
    description: "IANA time zone name, e.g. Europe/Berlin. Default UTC.",
    examples: ["Europe/Berlin"],
  });

const Participants = z
  .array(z.email({ message: "must be a valid email address" }).max(254))
  .min(1, { message: "at least one participant is required" })
  .max(MAX_PARTICIPANTS, { message: `at most ${MAX_PARTICIPANTS} participants` })
  .meta({ description: "Participant addresses; duplicates (case-insensitive) are merged." });

const Summary = z.string().trim().min(1).max(SUMMARY_MAX);
const Description = z.string().max(DESCRIPTION_MAX).nullable();
const Location = z.string().max(LOCATION_MAX).nullable();
const IfFree = z.boolean().meta({
  description:
    "Book only if the slot is free: Google's free/busy of the event's calendar and the primary one, and this account's other bookings. Otherwise 409 `slot_unavailable` with the conflicts.",
});

const Conference = z
  .enum(["google_meet"])
  .nullable()
  .meta({ description: '"google_meet" asks Google for a Meet link; null removes it on PATCH.' });

/** Body of `POST /api/events/`. */
export const CreateEventBody = z
  .strictObject({
    participants: Participants,
    start_time: DateTimeInput,
    end_time: DateTimeInput,
    time_zone: TimeZoneInput.optional(),
    summary: Summary.optional().meta({ description: 'Default: "Meeting with N participants".' }),
    description: Description.optional(),
    location: Location.optional(),
    conference: Conference.optional(),
    calendar_id: CalendarIdInput.optional().meta({
      description:
        'The Google calendar to create the event in: one where the account is writer or owner (`GET /api/calendars`). Default "primary". Kept for every later change.',
    }),
    if_free: IfFree.optional(),
  })
  .meta({ id: "CreateEvent" });

/** Body of `PATCH /api/events/:id`: any create field. */
export const UpdateEventBody = z
  .strictObject({
    participants: Participants.optional(),
    start_time: DateTimeInput.optional(),
    end_time: DateTimeInput.optional(),
    time_zone: TimeZoneInput.optional(),
    summary: Summary.optional(),
    description: Description.optional(),
    location: Location.optional(),
    conference: Conference.optional(),
    if_free: IfFree.optional(),
  })
  .refine((body) => Object.keys(body).some((key) => key !== "if_free"), {
    message: "at least one field must be given",
  })
  .meta({ id: "UpdateEvent" });

export type CreateEventInput = z.infer<typeof CreateEventBody>;
export type UpdateEventInput = z.infer<typeof UpdateEventBody>;

/** `GET /api/events/` query. */
export const ListEventsQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, { message: "must be a whole number from 1 to 100" })
    .transform(Number)
    .pipe(z.number().int().min(1).max(100))
    .optional()
    .meta({ description: "Page size, 1–100 (default 20)." }),
  cursor: z.string().max(512).optional().meta({ description: "`next_cursor` of the previous page." }),
  from: z.string().max(64).optional().meta({ description: "Only events starting at or after (RFC 3339)." }),
  to: z.string().max(64).optional().meta({ description: "Only events starting before (RFC 3339)." }),
  calendar_id: CalendarIdInput.optional().meta({ description: "Only events on this calendar." }),
});

/** Path parameter of the single-event routes. */
export const EventIdParam = z.object({ id: z.string().meta({ description: "The event's id." }) });
