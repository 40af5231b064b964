import * as z from "zod/mini";
import { WEBHOOK_EVENT_TYPES } from "../webhooks/event-types";
import type { WebhookDeliveryJson, WebhookJson } from "../webhooks/webhook-json";
import { EventSchema } from "./schemas";

// Response and payload shapes of the webhook routes, documented only: handlers build these objects directly
// (toWebhookJson, toDeliveryJson, webhookPayload). Each `id` becomes a `components.schemas` entry.

const Timestamp = z.string().check(z.meta({ format: "date-time" }));
const EventType = z.enum(WEBHOOK_EVENT_TYPES);

/** An endpoint as listed (never with its secret); `satisfies` keeps it in step with `toWebhookJson`. */
export const WebhookEndpointSchema = z
  .object({
    id: z.string(),
    url: z
      .string()
      .check(z.meta({ format: "uri", description: "As registered, normalised by the URL parser." })),
    events: z
      .array(EventType)
      .check(z.meta({ description: "The event types it receives, in documentation order." })),
    created_at: Timestamp,
  })
  .check(z.meta({ id: "WebhookEndpoint" })) satisfies z.core.$ZodType<WebhookJson>;

/** The answer of `POST /api/webhooks/`: the endpoint and its signing secret, shown only here. */
export const CreatedWebhookSchema = z
  .object({
    id: z.string(),
    url: z.string().check(z.meta({ format: "uri" })),
    events: z.array(EventType),
    secret: z.string().check(
      z.meta({
        description:
          "`whsec_` + base64 of 32 random bytes: the Standard Webhooks signing secret. Shown only in this answer; stored encrypted.",
        examples: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw+Vg4k3k1LQ4="],
      }),
    ),
    created_at: Timestamp,
  })
  .check(z.meta({ id: "CreatedWebhookEndpoint" }));

/** `GET /api/webhooks/`. */
export const WebhookListSchema = z
  .object({ webhooks: z.array(WebhookEndpointSchema) })
  .check(z.meta({ id: "WebhookEndpointList" }));

/** One delivery; `satisfies` keeps it in step with `toDeliveryJson`. */
export const WebhookDeliverySchema = z
  .object({
    id: z.string(),
    message_id: z
      .string()
      .check(
        z.meta({ description: "The body's `id` and the `webhook-id` header, the same on every attempt." }),
      ),
    type: z.string().check(z.meta({ description: "One of the event types." })),
    status: z.enum(["queued", "delivered", "failed"]).check(
      z.meta({
        description:
          "`queued`: not yet delivered, attempts left; `delivered`: a 2xx came back; `failed`: given up.",
      }),
    ),
    attempts: z.number().check(z.int(), z.gte(0), z.lte(6)),
    last_status: z.nullable(z.number().check(z.int())).check(
      z.meta({
        description:
          "HTTP status of the last answer; null if none came (timeout, connection failure, not sent).",
      }),
    ),
    last_error: z.nullable(z.string()).check(
      z.meta({
        description:
          "Why the last attempt failed: `HTTP <status>: <the first ≤ 200 characters of the answer, control characters escaped>`, a network error, or `not sent: <why the URL was refused>`.",
      }),
    ),
    created_at: Timestamp,
    delivered_at: z.nullable(Timestamp),
    next_attempt_at: z
      .nullable(Timestamp)
      .check(z.meta({ description: "When it is tried again (only while `queued`)." })),
  })
  .check(z.meta({ id: "WebhookDelivery" })) satisfies z.core.$ZodType<WebhookDeliveryJson>;

/** `GET /api/webhooks/{id}/deliveries`. */
export const WebhookDeliveryListSchema = z
  .object({
    deliveries: z.array(WebhookDeliverySchema).check(z.meta({ description: "Newest first." })),
  })
  .check(z.meta({ id: "WebhookDeliveryList" }));

const envelope = {
  id: z
    .string()
    .check(z.meta({ description: "The message id, also sent as `webhook-id`: de-duplicate by it." })),
  created_at: Timestamp.check(z.meta({ description: "When the change happened." })),
};

/** The body of `event.created`, `event.updated`, `event.cancelled` and `attendee.responded`. */
export const EventWebhookSchema = z
  .object({
    ...envelope,
    type: z.enum(["event.created", "event.updated", "event.cancelled", "attendee.responded"]),
    data: z.object({ event: EventSchema }).check(
      z.meta({
        description: "`event`: the event as `GET /api/events/{id}` showed it right after the change.",
      }),
    ),
  })
  .check(z.meta({ id: "EventWebhook" }));

/** The body of `account.reauthorization_required`. */
export const AccountWebhookSchema = z
  .object({
    ...envelope,
    type: z.literal("account.reauthorization_required"),
    data: z.object({
      account: z.object({
        id: z.string(),
        email: z.string().check(z.meta({ format: "email" })),
        google: z.object({ status: z.literal("reauthorization_required") }),
      }),
    }),
  })
  .check(z.meta({ id: "AccountWebhook" }));
