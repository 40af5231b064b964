import {
  CreateWebhookBody,
  ListDeliveriesQuery,
  WEBHOOK_URL_MAX,
  WebhookIdParam,
} from "../routes/webhooks.schemas";
import { MAX_WEBHOOK_ATTEMPTS } from "../webhooks/delivery-queue";
import { MAX_ENDPOINTS_PER_ACCOUNT } from "../webhooks/endpoint-store";
import { URL_REFUSAL_REASONS } from "../webhooks/url-safety";
import type { SchemaConverter } from "./json-schema";
import { BEARER, BODY_ERRORS, problemResponses } from "./problems";
import {
  AccountWebhookSchema,
  CreatedWebhookSchema,
  EventWebhookSchema,
  WebhookDeliveryListSchema,
  WebhookEndpointSchema,
  WebhookListSchema,
} from "./webhook-schemas";

// The webhook routes of /openapi.json, and its OpenAPI 3.1 `webhooks` section: what this service POSTs to
// a registered endpoint, with the Standard Webhooks headers.

type Json = Record<string, unknown>;

const CREATE_EXAMPLE = {
  url: "https://app.example.com/hooks/calendar",
  events: ["event.created", "event.updated", "event.cancelled"],
};

/** The `/api/webhooks…` entries of `paths`. */
export function webhookPaths(schemas: SchemaConverter): Record<string, Json> {
  const json = (schema: Parameters<SchemaConverter["convert"]>[0], example?: Json) => ({
    "application/json": { schema: schemas.convert(schema), ...(example ? { example } : {}) },
  });
  const endpointId = schemas.parameters(WebhookIdParam, "path");
  return {
    "/api/webhooks/": {
      post: {
        operationId: "createWebhook",
        tags: ["Webhooks"],
        summary: "Register a webhook endpoint",
        description: [
          "From now on every change of the chosen types is POSTed to `url`, signed per Standard Webhooks with",
          "the `secret` of this answer, which is shown only here (stored encrypted). The URL must be `https`",
          "(plain `http://localhost` only when `WEBHOOK_ALLOW_LOCALHOST=true`), without user name or password,",
          `at most ${WEBHOOK_URL_MAX} characters, and its host must be a public name resolving only to public`,
          "addresses (no private, loopback, link-local, CGNAT, multicast or cloud metadata address, no",
          "`localhost`, `*.local`, `*.internal`); otherwise 422 `webhook_url_refused` with a `reason`",
          `(${URL_REFUSAL_REASONS.map((r) => `\`${r}\``).join(", ")}). At most ${MAX_ENDPOINTS_PER_ACCOUNT}`,
          "endpoints per account (409 `webhook_limit_reached`). See docs/webhooks.md.",
        ].join(" "),
        security: BEARER,
        requestBody: { required: true, content: json(CreateWebhookBody, CREATE_EXAMPLE) },
        responses: {
          201: {
            description: "Registered. Keep the secret: it is not shown again.",
            headers: { Location: { description: "The endpoint's URL.", schema: { type: "string" } } },
            content: json(CreatedWebhookSchema),
          },
          ...problemResponses([
            ...BODY_ERRORS,
            "webhook_url_refused",
            "webhook_limit_reached",
            "dns_unavailable",
            "unauthorized",
            "storage_unavailable",
            "configuration_error",
          ]),
        },
      },
      get: {
        operationId: "listWebhooks",
        tags: ["Webhooks"],
        summary: "List the caller's webhook endpoints",
        description: "Oldest first, never with their secrets. Takes no parameters (unknown ones are a 422).",
        security: BEARER,
        responses: {
          200: { description: "Every endpoint of the account.", content: json(WebhookListSchema) },
          ...problemResponses([
            "unauthorized",
            "validation_failed",
            "storage_unavailable",
            "configuration_error",
          ]),
        },
      },
    },
    "/api/webhooks/{id}": {
      parameters: endpointId,
      get: {
        operationId: "getWebhook",
        tags: ["Webhooks"],
        summary: "Read one webhook endpoint",
        description: "Another account's endpoint is 404 too. The secret is never shown again.",
        security: BEARER,
        responses: {
          200: { description: "The endpoint.", content: json(WebhookEndpointSchema) },
          ...problemResponses(["unauthorized", "not_found", "storage_unavailable", "configuration_error"]),
        },
      },
      delete: {
        operationId: "deleteWebhook",
        tags: ["Webhooks"],
        summary: "Delete a webhook endpoint",
        description:
          "Its pending deliveries go with it and are never sent. Another account's or an unknown id is 404.",
        security: BEARER,
        responses: {
          204: { description: "Deleted." },
          ...problemResponses(["unauthorized", "not_found", "storage_unavailable", "configuration_error"]),
        },
      },
    },
    "/api/webhooks/{id}/deliveries": {
      parameters: endpointId,
      get: {
        operationId: "listWebhookDeliveries",
        tags: ["Webhooks"],
        summary: "An endpoint's recent deliveries",
        description: [
          "Newest first: status, attempts, the last HTTP status and a short, escaped excerpt of the last",
          `error. A delivery is tried up to ${MAX_WEBHOOK_ATTEMPTS} times (30 s, 2 min, 8 min, 32 min and 2 h 8 min apart),`,
          "then `failed`.",
        ].join(" "),
        security: BEARER,
        parameters: schemas.parameters(ListDeliveriesQuery, "query"),
        responses: {
          200: { description: "The most recent deliveries.", content: json(WebhookDeliveryListSchema) },
          ...problemResponses([
            "unauthorized",
            "not_found",
            "validation_failed",
            "storage_unavailable",
            "configuration_error",
          ]),
        },
      },
    },
  };
}

const SIGNATURE_HEADERS = [
  {
    name: "webhook-id",
    description: "The message id (the body's `id`): the same on every retry. De-duplicate by it.",
  },
  {
    name: "webhook-timestamp",
    description: "Seconds since the epoch when this attempt was signed. Reject ones far from now (replays).",
  },
  {
    name: "webhook-signature",
    description:
      '`v1,<base64 HMAC-SHA256>` over `"{webhook-id}.{webhook-timestamp}.{raw body}"` with the base64-decoded secret (after `whsec_`). Verify with any Standard Webhooks library, e.g. `new Webhook(secret).verify(rawBody, headers)`.',
  },
].map(({ name, description }) => ({
  name,
  in: "header",
  required: true,
  description,
  schema: { type: "string" },
}));

const DESCRIPTIONS: Record<string, string> = {
  "event.created": "An event was booked (`POST /api/events/`, or a create the reconciler finished).",
  "event.updated":
    "An event was changed: `PATCH /api/events/{id}`, or in Google Calendar (seen by the sync).",
  "event.cancelled": "An event was cancelled: `DELETE /api/events/{id}`, or deleted in Google Calendar.",
  "attendee.responded":
    "A participant answered the invitation (accepted, declined, tentative), seen by the sync.",
  "account.reauthorization_required":
    "Google stopped accepting the account's grant; the user must connect again at `/api/google-auth/`.",
};

/** The OpenAPI 3.1 `webhooks` section: one entry per event type. */
export function webhookEvents(schemas: SchemaConverter): Record<string, Json> {
  const eventBody = schemas.convert(EventWebhookSchema);
  const accountBody = schemas.convert(AccountWebhookSchema);
  return Object.fromEntries(
    Object.entries(DESCRIPTIONS).map(([type, description]) => [
      type,
      {
        post: {
          operationId: `webhook_${type.replace(/\./g, "_")}`,
          tags: ["Webhooks"],
          summary: `\`${type}\` (POSTed to your endpoint)`,
          description: [
            description,
            "Sent with `content-type: application/json` and `user-agent: calendar-edge-webhooks/1`; redirects",
            "are not followed; an answer must come within 10 s.",
          ].join(" "),
          parameters: SIGNATURE_HEADERS,
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: type === "account.reauthorization_required" ? accountBody : eventBody,
              },
            },
          },
          responses: {
            "2XX": { description: "Delivered: any 2xx within 10 s." },
            default: {
              description: `Anything else (or no answer) is a failed attempt, retried with backoff up to ${MAX_WEBHOOK_ATTEMPTS} attempts in all.`,
            },
          },
        },
      },
    ]),
  );
}
