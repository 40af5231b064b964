import * as z from "zod/mini";
import { MAX_WINDOW_DAYS } from "../availability/availability-service";

// Query of GET /api/availability; shared by the handler and the OpenAPI document.

/** Most calendars one availability query may name. */
export const MAX_QUERY_CALENDARS = 20;

/** A Google calendar id as a client may send it: `primary`, an address, or a group calendar id. */
export const CalendarIdInput = z.lazy(() =>
  z.string().check(
    z.minLength(1),
    z.maxLength(255),
    z.regex(/^[\x21-\x2b\x2d-\x7e]+$/, { message: "must be a calendar id: visible ASCII, no commas" }),
    z.meta({
      description: 'A calendar id from `GET /api/calendars` ("primary" for the main calendar).',
      examples: ["primary"],
    }),
  ),
);

const Instant = z.lazy(() =>
  z.string().check(
    z.maxLength(64),
    z.meta({
      description: "RFC 3339; without an offset, a wall-clock time in `time_zone`.",
      examples: ["2026-12-07T09:00:00"],
    }),
  ),
);

export const AvailabilityQuery = z.lazy(() =>
  z.strictObject({
    from: Instant.check(z.meta({ description: "Start of the window (inclusive)." })),
    to: Instant.check(
      z.meta({
        description: `End of the window (exclusive); at most ${MAX_WINDOW_DAYS} days after \`from\`.`,
      }),
    ),
    time_zone: z.optional(z.string().check(z.maxLength(64))).check(
      z.meta({
        description: "IANA zone for wall-clock `from`/`to` and for the answer's times. Default UTC.",
      }),
    ),
    duration_minutes: z
      .optional(
        z.pipe(
          z.pipe(
            z
              .string()
              .check(z.regex(/^\d{1,4}$/, { message: "must be a whole number of minutes from 1 to 1440" })),
            z.transform(Number),
          ),
          z
            .number()
            .check(
              z.int(),
              z.gte(1, { message: "must be at least 1" }),
              z.lte(1440, { message: "must be at most 1440" }),
            ),
        ),
      )
      .check(z.meta({ description: "Shortest free gap worth listing, in minutes (default 30)." })),
    calendars: z.optional(z.string().check(z.maxLength(4096))).check(
      z.meta({
        description: `Comma-separated calendar ids (at most ${MAX_QUERY_CALENDARS}); default "primary".`,
        examples: ["primary,team@group.calendar.google.com"],
      }),
    ),
  }),
);
