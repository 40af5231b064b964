import type { WebhookDeliveryView, WebhookEndpoint } from "./endpoint-store";

/** An endpoint as the API answers it (the secret only ever in the create answer). */
export function toWebhookJson(endpoint: WebhookEndpoint) {
  return { id: endpoint.id, url: endpoint.url, events: endpoint.events, created_at: endpoint.createdAt };
}

/** A delivery as `GET /api/webhooks/{id}/deliveries` answers it; `next_attempt_at` only while queued. */
export function toDeliveryJson(delivery: WebhookDeliveryView) {
  return {
    id: delivery.id,
    message_id: delivery.messageId,
    type: delivery.type,
    status: delivery.status,
    attempts: delivery.attempts,
    last_status: delivery.lastStatus,
    last_error: delivery.lastError,
    created_at: delivery.createdAt,
    delivered_at: delivery.deliveredAt,
    next_attempt_at: delivery.status === "queued" ? delivery.nextAttemptAt : null,
  };
}

export type WebhookJson = ReturnType<typeof toWebhookJson>;
export type WebhookDeliveryJson = ReturnType<typeof toDeliveryJson>;
