import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { Config } from "../config";
import type { Db } from "../db/client";
import { type WebhookEndpointRow, webhookDeliveries, webhookEndpoints } from "../db/schema";
import { ProblemError } from "../http/problem";
import { importEncryptionKey, openJson, type Sealed, sealJson } from "../tokens/crypto";
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from "./event-types";
import { generateWebhookSecret } from "./signing";
import { checkWebhookUrl } from "./url-safety";

// The client app's webhook endpoints, per account like events: another account's endpoint is a 404.

/** Endpoints one account may register: enough for staging + production receivers, not a fan-out amplifier. */
export const MAX_ENDPOINTS_PER_ACCOUNT = 10;

/** What the endpoint store works with. */
export interface WebhookStoreDeps {
  config: Config;
  db: Db;
}

/** An endpoint as the API shows it (never with its secret). */
export interface WebhookEndpoint {
  id: string;
  url: string;
  events: WebhookEventType[];
  createdAt: string;
}

/** One delivery as the API shows it (never with its body). */
export type WebhookDeliveryView = Pick<
  typeof webhookDeliveries.$inferSelect,
  | "id"
  | "messageId"
  | "type"
  | "status"
  | "attempts"
  | "lastStatus"
  | "lastError"
  | "createdAt"
  | "deliveredAt"
  | "nextAttemptAt"
>;

/**
 * Registers an endpoint: the URL must pass `checkWebhookUrl` (422 `webhook_url_refused`, or 503
 * `dns_unavailable` when it cannot be checked now), at most MAX_ENDPOINTS_PER_ACCOUNT (409
 * `webhook_limit_reached`). The new secret is returned once and stored only sealed.
 */
export async function createWebhookEndpoint(
  deps: WebhookStoreDeps,
  accountId: string,
  input: { url: string; events: readonly WebhookEventType[] },
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const verdict = await checkWebhookUrl(deps.config, input.url);
  if (!verdict.allowed) {
    if (verdict.reason === "dns_unavailable") {
      throw new ProblemError("dns_unavailable", { detail: verdict.detail, headers: { "retry-after": "30" } });
    }
    throw new ProblemError("webhook_url_refused", {
      detail: verdict.detail,
      extensions: { reason: verdict.reason },
    });
  }
  const endpoint: WebhookEndpoint = {
    id: `ep_${crypto.randomUUID().replaceAll("-", "")}`,
    url: verdict.url,
    events: WEBHOOK_EVENT_TYPES.filter((type) => input.events.includes(type)),
    createdAt: new Date().toISOString(),
  };
  const secret = generateWebhookSecret();
  const sealed = await sealJson(
    await importEncryptionKey(deps.config.tokenEncryptionKey),
    secret,
    secretContext(endpoint.id),
  );
  // Count and insert in one statement: two concurrent registrations cannot both take the last slot.
  const inserted = await deps.db
    .insert(webhookEndpoints)
    .select(
      sql`SELECT ${endpoint.id}, ${accountId}, ${endpoint.url}, ${JSON.stringify(endpoint.events)}, ${JSON.stringify(sealed)}, ${endpoint.createdAt}
          WHERE (SELECT count(*) FROM ${webhookEndpoints} WHERE ${webhookEndpoints.accountId} = ${accountId}) < ${MAX_ENDPOINTS_PER_ACCOUNT}`,
    )
    .run();
  if (inserted.meta.changes !== 1) {
    throw new ProblemError("webhook_limit_reached", {
      detail: `An account can have at most ${MAX_ENDPOINTS_PER_ACCOUNT} webhook endpoints; delete one first.`,
    });
  }
  return { endpoint, secret };
}

/** The account's endpoints, oldest first. */
export async function listWebhookEndpoints(db: Db, accountId: string): Promise<WebhookEndpoint[]> {
  const rows = await db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.accountId, accountId))
    .orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id))
    .all();
  return rows.map(toEndpoint);
}

/** One of the account's endpoints; undefined for another account's or an unknown id. */
export async function findWebhookEndpoint(
  db: Db,
  accountId: string,
  id: string,
): Promise<WebhookEndpoint | undefined> {
  const row = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.accountId, accountId)))
    .get();
  return row && toEndpoint(row);
}

/** Deletes one of the account's endpoints with its deliveries (pending ones are never sent); false if none. */
export async function deleteWebhookEndpoint(db: Db, accountId: string, id: string): Promise<boolean> {
  const [, removed] = await db.batch([
    db
      .delete(webhookDeliveries)
      .where(and(eq(webhookDeliveries.endpointId, id), eq(webhookDeliveries.accountId, accountId))),
    db
      .delete(webhookEndpoints)
      .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.accountId, accountId))),
  ]);
  return removed.meta.changes === 1;
}

/** The endpoint's most recent deliveries, newest first; undefined when it is not the account's endpoint. */
export async function listWebhookDeliveries(
  db: Db,
  accountId: string,
  endpointId: string,
  limit: number,
): Promise<WebhookDeliveryView[] | undefined> {
  const [endpoint, deliveries] = await db.batch([
    db
      .select({ id: webhookEndpoints.id })
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.accountId, accountId))),
    db
      .select({
        id: webhookDeliveries.id,
        messageId: webhookDeliveries.messageId,
        type: webhookDeliveries.type,
        status: webhookDeliveries.status,
        attempts: webhookDeliveries.attempts,
        lastStatus: webhookDeliveries.lastStatus,
        lastError: webhookDeliveries.lastError,
        createdAt: webhookDeliveries.createdAt,
        deliveredAt: webhookDeliveries.deliveredAt,
        nextAttemptAt: webhookDeliveries.nextAttemptAt,
      })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.accountId, accountId)))
      .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
      .limit(limit),
  ]);
  return endpoint.length === 0 ? undefined : deliveries;
}

/** The endpoint's signing secret, decrypted (fails if the sealed value was moved to another endpoint). */
export async function openEndpointSecret(config: Config, endpoint: WebhookEndpointRow): Promise<string> {
  const key = await importEncryptionKey(config.tokenEncryptionKey);
  const secret = await openJson(key, JSON.parse(endpoint.secret) as Sealed, secretContext(endpoint.id));
  if (typeof secret !== "string")
    throw new Error(`webhook endpoint ${endpoint.id}: sealed secret is not a string`);
  return secret;
}

/** Bound into the ciphertext: a sealed secret copied to another endpoint's row does not decrypt. */
function secretContext(endpointId: string): string {
  return `webhook_endpoint:${endpointId}`;
}

function toEndpoint(row: WebhookEndpointRow): WebhookEndpoint {
  const types = JSON.parse(row.eventTypes) as string[];
  return {
    id: row.id,
    url: row.url,
    events: WEBHOOK_EVENT_TYPES.filter((type) => types.includes(type)),
    createdAt: row.createdAt,
  };
}
