import * as z from "zod/mini";
import { WEBHOOK_EVENT_TYPES } from "../webhooks/event-types";
import { pageLimit } from "./page-limit";

// One schema per route, shared by the handlers and the OpenAPI document (src/openapi/document.ts).

/** Longest webhook URL accepted. */
export const WEBHOOK_URL_MAX = 2048;

/** Body of `POST /api/webhooks/`. */
export const CreateWebhookBody = z.lazy(() =>
  z
    .strictObject({
      url: z.string().check(
        z.maxLength(WEBHOOK_URL_MAX),
        z.refine((value) => URL.canParse(value), { message: "must be an absolute URL" }),
        z.meta({
          description: [
            "Where deliveries are POSTed: `https` only, no user name or password, a public host name that",
            "resolves (A/AAAA) to public addresses only (checked again before every delivery).",
            `At most ${WEBHOOK_URL_MAX} characters.`,
          ].join(" "),
          examples: ["https://app.example.com/hooks/calendar"],
        }),
      ),
      events: z
        .optional(
          z
            .array(z.enum(WEBHOOK_EVENT_TYPES))
            .check(
              z.minLength(1, { message: "at least one event type is required" }),
              z.maxLength(20, { message: "at most 20 entries" }),
            ),
        )
        .check(z.meta({ description: "Event types to receive (duplicates merged). Default: all of them." })),
    })
    .check(z.meta({ id: "CreateWebhook" })),
);

export type CreateWebhookInput = z.infer<typeof CreateWebhookBody>;

/** `GET /api/webhooks/` takes no parameters; unknown ones are rejected like everywhere else. */
export const ListWebhooksQuery = z.lazy(() => z.strictObject({}));

/** `GET /api/webhooks/{id}/deliveries` query. */
export const ListDeliveriesQuery = z.lazy(() =>
  z.strictObject({
    limit: pageLimit("How many of the most recent deliveries, 1–100 (default 20)."),
  }),
);

/** Path parameter of the single-endpoint routes. */
export const WebhookIdParam = z.lazy(() =>
  z.object({
    id: z.string().check(z.meta({ description: "The endpoint's id." })),
  }),
);
