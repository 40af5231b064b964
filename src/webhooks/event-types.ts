/** Every event type a webhook endpoint can subscribe to, in documentation order. */
export const WEBHOOK_EVENT_TYPES = [
  "event.created",
  "event.updated",
  "event.cancelled",
  "attendee.responded",
  "account.reauthorization_required",
] as const;

/** One of `WEBHOOK_EVENT_TYPES`. */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
