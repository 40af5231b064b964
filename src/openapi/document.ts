import { AvailabilityQuery } from "../routes/availability.schemas";
import { CreateEventBody, EventIdParam, ListEventsQuery, UpdateEventBody } from "../routes/events.schemas";
import { SchemaConverter } from "./json-schema";
import { BEARER, BODY_ERRORS, describeErrors, problemResponses } from "./problems";
import {
  AuthorizationUrlSchema,
  AvailabilitySchema,
  CalendarListSchema,
  ConnectResultSchema,
  EventListSchema,
  EventSchema,
  HealthSchema,
  MeSchema,
  ProblemSchema,
} from "./schemas";
import { webhookEvents, webhookPaths } from "./webhook-paths";

type Json = Record<string, unknown>;

const GOOGLE_ERRORS = ["google_unavailable", "google_rate_limited", "google_timeout"] as const;
const CALENDAR_ERRORS = ["reauthorization_required", "google_rejected", ...GOOGLE_ERRORS] as const;

const SET_COOKIE = {
  description: "Binds the OAuth state to this browser (HttpOnly, SameSite=Lax, Max-Age=600).",
  schema: { type: "string" },
};

// Shown by Swagger UI instead of values generated from the schemas (the email pattern makes gibberish).
const CREATE_EXAMPLE = {
  participants: ["ada@example.com", "grace@example.com"],
  start_time: "2026-12-01T10:00:00",
  end_time: "2026-12-01T10:30:00",
  time_zone: "Europe/Berlin",
  summary: "Design review",
  conference: "google_meet",
};
const UPDATE_EXAMPLE = { start_time: "2026-12-01T11:00:00", end_time: "2026-12-01T11:30:00" };

/**
 * Builds the OpenAPI 3.1 document of every route from the handlers' zod schemas and the response shapes. Runs
 * at build time in Node (scripts/openapi-json.mjs writes it to public/openapi.json), never in the Worker.
 */
export function buildOpenApiDocument(): Json {
  const schemas = new SchemaConverter();
  const json = (schema: Parameters<SchemaConverter["convert"]>[0], example?: Json) => ({
    "application/json": { schema: schemas.convert(schema), ...(example ? { example } : {}) },
  });
  const event = json(EventSchema);
  const eventId = schemas.parameters(EventIdParam, "path");
  schemas.convert(ProblemSchema);

  const paths: Record<string, Json> = {
    "/health": {
      get: {
        operationId: "getHealth",
        tags: ["Service"],
        summary: "Liveness check",
        description: "Answers without touching configuration or storage.",
        responses: {
          200: { description: "The Worker is up.", content: json(HealthSchema) },
          ...problemResponses([]),
        },
      },
    },
    "/api/google-auth/": {
      get: {
        operationId: "startGoogleConsent",
        tags: ["Google connection"],
        summary: "Start connecting a Google account",
        description: [
          "Redirects the browser to Google's consent page (PKCE, `access_type=offline`, `prompt=consent`,",
          "scopes `openid email https://www.googleapis.com/auth/calendar.events` and, for availability, the",
          "read-only `calendar.events.freebusy` and `calendar.calendarlist.readonly`; `include_granted_scopes=true`).",
          "With `Accept: application/json` it answers 200 with the URL instead. Either way it sets an HttpOnly",
          "cookie that binds the OAuth `state` to this browser for 10 minutes (`__Host-calendar_edge_oauth`",
          "over https, `calendar_edge_oauth` on plain-http local development); `/oauth2callback/` needs it back.",
        ].join(" "),
        responses: {
          200: {
            description: "With `Accept: application/json`: the consent URL to open in the same browser.",
            headers: { "Set-Cookie": SET_COOKIE },
            content: json(AuthorizationUrlSchema),
          },
          302: {
            description: "Otherwise: a redirect to Google's consent page.",
            headers: {
              Location: { description: "Google's consent page.", schema: { type: "string", format: "uri" } },
              "Set-Cookie": SET_COOKIE,
            },
          },
          ...problemResponses(["configuration_error"]),
        },
      },
    },
    "/oauth2callback/": {
      get: {
        operationId: "completeGoogleConsent",
        tags: ["Google connection"],
        summary: "Google's redirect back: issue an API token",
        description: [
          "Checks `state` against the browser's cookie (single use), exchanges `code` with the PKCE verifier,",
          "verifies the ID token, requires the calendar scope and stores the tokens encrypted.",
          "With `Accept: application/json` the answer and errors are JSON; otherwise HTML pages.",
          "The API token is shown only once.",
        ].join(" "),
        parameters: [
          { name: "code", in: "query", required: false, schema: { type: "string" } },
          { name: "state", in: "query", required: false, schema: { type: "string" } },
          {
            name: "error",
            in: "query",
            required: false,
            description: "Set by Google when consent failed, e.g. `access_denied`.",
            schema: { type: "string" },
          },
          {
            name: "__Host-calendar_edge_oauth",
            in: "cookie",
            required: false,
            description: "Set by `GET /api/google-auth/` (named `calendar_edge_oauth` over plain http).",
            schema: { type: "string" },
          },
        ],
        responses: {
          200: {
            description: "The account is connected.",
            content: {
              ...json(ConnectResultSchema),
              "text/html": {
                schema: { type: "string", description: "The account's email and the API token." },
              },
            },
          },
          ...problemResponses(
            [
              "invalid_oauth_state",
              "oauth_callback_invalid",
              "access_denied",
              "insufficient_scope",
              "google_oauth_error",
              "invalid_id_token",
              ...GOOGLE_ERRORS,
              "storage_unavailable",
              "configuration_error",
            ],
            { html: true },
          ),
        },
      },
    },
    "/api/me": {
      get: {
        operationId: "getMe",
        tags: ["Google connection"],
        summary: "The caller's account and Google connection",
        security: BEARER,
        responses: {
          200: { description: "The account and its Google grant.", content: json(MeSchema) },
          ...problemResponses(["unauthorized", "storage_unavailable", "configuration_error"]),
        },
      },
    },
    "/api/google-auth/revoke/": {
      post: {
        operationId: "revokeGoogleGrant",
        tags: ["Google connection"],
        summary: "Disconnect Google",
        description:
          "Revokes the grant at Google and deletes the stored tokens; `/api/me` then shows `disconnected`.",
        security: BEARER,
        responses: {
          204: { description: "Revoked (also when nothing was connected)." },
          ...problemResponses([
            "unauthorized",
            "google_oauth_error",
            ...GOOGLE_ERRORS,
            "storage_unavailable",
            "configuration_error",
          ]),
        },
      },
    },
    "/api/events/": {
      post: {
        operationId: "createEvent",
        tags: ["Events"],
        summary: "Book an event",
        description: [
          "Creates the event in the connected Google Calendar (`sendUpdates=none`) and mails every participant",
          "an iCalendar invitation (`METHOD:REQUEST`). Mail leaves after the response; see `emails`.",
        ].join(" "),
        security: BEARER,
        parameters: [
          {
            name: "Idempotency-Key",
            in: "header",
            required: false,
            description:
              "The same key with the same body returns the same event (still one Google event); with another body → 422 `idempotency_key_reused`.",
            schema: { type: "string", pattern: "^[\\x21-\\x7e]{1,255}$" },
          },
        ],
        requestBody: { required: true, content: json(CreateEventBody, CREATE_EXAMPLE) },
        responses: {
          201: {
            description: "Created.",
            headers: { Location: { description: "The event's URL.", schema: { type: "string" } } },
            content: event,
          },
          200: {
            description: "A retry with the same `Idempotency-Key`: the event created before.",
            content: event,
          },
          ...problemResponses([
            ...BODY_ERRORS,
            "idempotency_key_invalid",
            "idempotency_key_reused",
            "request_in_progress",
            "slot_unavailable",
            "insufficient_scope",
            "unauthorized",
            ...CALENDAR_ERRORS,
            "storage_unavailable",
            "configuration_error",
          ]),
        },
      },
      get: {
        operationId: "listEvents",
        tags: ["Events"],
        summary: "List the caller's events",
        description:
          "Ordered by start time, then id; cancelled events included. Unknown parameters are rejected (422).",
        security: BEARER,
        parameters: schemas.parameters(ListEventsQuery, "query"),
        responses: {
          200: { description: "One page.", content: json(EventListSchema) },
          ...problemResponses([
            "unauthorized",
            "validation_failed",
            "storage_unavailable",
            "configuration_error",
          ]),
        },
      },
    },
    "/api/events/{id}": {
      parameters: eventId,
      get: {
        operationId: "getEvent",
        tags: ["Events"],
        summary: "Read one event",
        description: "Another account's event is 404 too.",
        security: BEARER,
        responses: {
          200: { description: "The event.", content: event },
          ...problemResponses(["unauthorized", "not_found", "storage_unavailable", "configuration_error"]),
        },
      },
      patch: {
        operationId: "updateEvent",
        tags: ["Events"],
        summary: "Change or reschedule an event",
        description:
          "Any create field. Google is updated and every participant is mailed (removed ones a cancellation).",
        security: BEARER,
        requestBody: { required: true, content: json(UpdateEventBody, UPDATE_EXAMPLE) },
        responses: {
          200: { description: "The updated event.", content: event },
          ...problemResponses([
            ...BODY_ERRORS,
            "unauthorized",
            "not_found",
            "event_cancelled",
            "request_in_progress",
            "slot_unavailable",
            "insufficient_scope",
            ...CALENDAR_ERRORS,
            "storage_unavailable",
            "configuration_error",
          ]),
        },
      },
      delete: {
        operationId: "cancelEvent",
        tags: ["Events"],
        summary: "Cancel an event",
        description:
          "Cancels it at Google and mails every participant a `METHOD:CANCEL`. Repeating it is harmless.",
        security: BEARER,
        responses: {
          204: { description: "Cancelled." },
          ...problemResponses([
            "unauthorized",
            "not_found",
            "request_in_progress",
            ...CALENDAR_ERRORS,
            "storage_unavailable",
            "configuration_error",
          ]),
        },
      },
    },
    "/api/availability": {
      get: {
        operationId: "getAvailability",
        tags: ["Availability"],
        summary: "When the account is free",
        description: [
          "Google's free/busy of the chosen calendars (default the primary one), merged with this service's own",
          "bookings, in flight ones included (they count whatever calendar they are on); `free` lists the gaps of",
          "at least `duration_minutes`. Windows up to 62 days (Google refuses free/busy queries a little past 90).",
          "A calendar Google cannot answer for is reported in `calendars[].errors`, not as an error. Needs the",
          "free/busy scope: an account connected before it gets 403 `insufficient_scope` with `authorize_url`.",
        ].join(" "),
        security: BEARER,
        parameters: schemas.parameters(AvailabilityQuery, "query"),
        responses: {
          200: { description: "Busy and free intervals.", content: json(AvailabilitySchema) },
          ...problemResponses([
            "unauthorized",
            "validation_failed",
            "insufficient_scope",
            ...CALENDAR_ERRORS,
            "storage_unavailable",
            "configuration_error",
          ]),
        },
      },
    },
    "/api/calendars": {
      get: {
        operationId: "listCalendars",
        tags: ["Availability"],
        summary: "The account's Google calendars",
        description:
          "The calendar list with the account's access role on each. `calendar_id` of an event must be one with `writer` or `owner`. Needs the calendar-list scope (403 `insufficient_scope` otherwise).",
        security: BEARER,
        responses: {
          200: { description: "Every calendar of the list.", content: json(CalendarListSchema) },
          ...problemResponses([
            "unauthorized",
            "insufficient_scope",
            ...CALENDAR_ERRORS,
            "storage_unavailable",
            "configuration_error",
          ]),
        },
      },
    },
    "/webhooks/google": {
      post: {
        operationId: "receiveGoogleNotification",
        tags: ["Google connection"],
        summary: "Google's push notifications (called by Google, not by clients)",
        description: [
          "The address of the push channels this service opens with `events.watch` (`{PUBLIC_URL}/webhooks/google`).",
          "Google sends headers only. A notification counts only with a known channel id, its secret token and a",
          "message number above every one seen on the channel; `exists` then schedules one coalesced sync.",
        ].join(" "),
        parameters: [
          "X-Goog-Channel-ID",
          "X-Goog-Channel-Token",
          "X-Goog-Resource-ID",
          "X-Goog-Resource-State",
          "X-Goog-Message-Number",
        ].map((name) => ({ name, in: "header", required: true, schema: { type: "string" } })),
        responses: {
          204: { description: "Accepted (a replay is accepted too, and changes nothing)." },
          ...problemResponses(["notification_rejected", "storage_unavailable", "configuration_error"]),
        },
      },
    },
    ...webhookPaths(schemas),
    "/openapi.json": {
      get: {
        operationId: "getOpenApiDocument",
        tags: ["Service"],
        summary: "This document",
        responses: {
          200: {
            description: "OpenAPI 3.1.",
            content: { "application/json": { schema: { type: "object" } } },
          },
          ...problemResponses([]),
        },
      },
    },
    "/docs": {
      get: {
        operationId: "getApiReference",
        tags: ["Service"],
        summary: "API reference (Swagger UI, served by this Worker, works offline)",
        responses: {
          200: { description: "An HTML page.", content: { "text/html": { schema: { type: "string" } } } },
          ...problemResponses([]),
        },
      },
    },
  };

  return {
    openapi: "3.1.1",
    info: { title: "calendar-edge", version: "0.1.0", description: describeErrors() },
    tags: [
      { name: "Google connection", description: "Connect a Google account and get an API token." },
      { name: "Events", description: "Book, list, reschedule and cancel events." },
      { name: "Availability", description: "Free/busy, free slots and the account's calendars." },
      {
        name: "Webhooks",
        description:
          "Register endpoints of your app; every change is POSTed to them, signed per Standard Webhooks.",
      },
      { name: "Service", description: "Health and documentation." },
    ],
    paths,
    webhooks: webhookEvents(schemas),
    components: {
      schemas: schemas.components,
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "API token from /oauth2callback/." },
      },
    },
  };
}
