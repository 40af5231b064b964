import * as z from "zod";
import { MAX_WINDOW_DAYS } from "../availability/availability-service";

// Query of GET /api/availability; shared by the handler and the OpenAPI document.

/** Most calendars one availability query may name. */
export const MAX_QUERY_CALENDARS = 20;

/** A Google calendar id as a client may send it: `primary`, an address, or a group calendar id. */
export const CalendarIdInput = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x2b\x2d-\x7e]+$/, { message: "must be a calendar id: visible ASCII, no commas" })
  .meta({
    description: 'A calendar id from `GET /api/calendars` ("primary" for the main calendar).',
    examples: ["primary"],
  });

const Instant = z
  .string()
  .max(64)
  .meta({
    description: "RFC 3339; without an offset, a wall-clock time in `time_zone`.",
    examples: ["2026-12-07T09:00:00"],
  });

export const AvailabilityQuery = z.strictObject({
  from: Instant.meta({ description: "Start of the window (inclusive)." }),
  to: Instant.meta({
    description: `End of the window (exclusive); at most ${MAX_WINDOW_DAYS} days after \`from\`.`,
  }),
  time_zone: z
    .string()
    .max(64)
    .optional()
    .meta({ description: "IANA zone for wall-clock `from`/`to` and for the answer's times. Default UTC." }),
  duration_minutes: z
    .string()
    .regex(/^\d{1,4}$/, { message: "must be a whole number of minutes from 1 to 1440" })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(1, { message: "must be at least 1" })
        .max(1440, { message: "must be at most 1440" }),
    )
    .optional()
    .meta({ description: "Shortest free gap worth listing, in minutes (default 30)." }),
  calendars: z
    .string()
    .max(4096)
    .optional()
    .meta({
      description: `Comma-separated calendar ids (at most ${MAX_QUERY_CALENDARS}); default "primary".`,
      examples: ["primary,team@group.calendar.google.com"],
    }),
});
