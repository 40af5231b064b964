import * as z from "zod";
import { isValidTimeZone, parseRfc3339OrLocal } from "../time/zoned-time";

// One schema per route, shared by the handlers and the OpenAPI document (src/openapi/document.ts).

export const MAX_PARTICIPANTS = 100;
export const MAX_EVENT_LENGTH_DAYS = 31;
export const SUMMARY_MAX = 1024;
export const DESCRIPTION_MAX = 8192;
export const LOCATION_MAX = 1024;

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
  })
  .refine((body) => Object.keys(body).length > 0, { message: "at least one field must be given" })
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
});

/** Path parameter of the single-event routes. */
export const EventIdParam = z.object({ id: z.string().meta({ description: "The event's id." }) });

/** An event's times, resolved to instants and checked together. */
export interface ResolvedTimes {
  start: Date;
  end: Date;
  timeZone: string;
}

/**
 * Turns start/end strings into instants in `timeZone` and checks the rules that span fields: a real IANA
 * zone, end strictly after start, at most 31 days apart. Returns field errors instead of throwing.
 */
export function resolveTimes(input: {
  start_time: string;
  end_time: string;
  time_zone: string;
}): ResolvedTimes | { errors: { path: string; message: string }[] } {
  const errors: { path: string; message: string }[] = [];
  if (!isValidTimeZone(input.time_zone)) {
    return {
      errors: [{ path: "time_zone", message: "must be an IANA time zone name such as Europe/Berlin" }],
    };
  }
  const start = parseRfc3339OrLocal(input.start_time, input.time_zone);
  const end = parseRfc3339OrLocal(input.end_time, input.time_zone);
  if (!start) errors.push({ path: "start_time", message: "must be an RFC 3339 date-time" });
  if (!end) errors.push({ path: "end_time", message: "must be an RFC 3339 date-time" });
  if (start && end) {
    if (end.getTime() <= start.getTime())
      errors.push({ path: "end_time", message: "must be after start_time" });
    else if (end.getTime() - start.getTime() > MAX_EVENT_LENGTH_DAYS * 86_400_000) {
      errors.push({
        path: "end_time",
        message: `must be at most ${MAX_EVENT_LENGTH_DAYS} days after start_time`,
      });
    }
  }
  if (errors.length > 0 || !start || !end) return { errors };
  return { start, end, timeZone: input.time_zone };
}

/** Lower-cases and de-duplicates participant addresses, keeping first-seen order. */
export function normalizeParticipants(participants: readonly string[]): string[] {
  return [...new Set(participants.map((p) => p.trim().toLowerCase()))];
}
