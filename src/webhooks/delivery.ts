import { and, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Config } from "../config";
import type { Db } from "../db/client";
import {
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
  webhookDeliveries,
  webhookEndpoints,
} from "../db/schema";
import { CLAIM_MS, MAX_WEBHOOK_ATTEMPTS } from "./delivery-queue";
import { openEndpointSecret } from "./endpoint-store";
import { signatureHeaders } from "./signing";
import { checkWebhookUrl } from "./url-safety";

// One attempt at one delivery: claim the row, check the URL again (DNS may have changed since it was
// registered), POST the stored body signed for this attempt, and record what happened. At least once: the
// receiver de-duplicates by `webhook-id`, which is the same on every attempt.

/** What a delivery needs. */
export interface WebhookDeliveryDeps {
  config: Config;
  db: Db;
}

/** How an attempt ended; a retry delay when it failed and attempts remain. */
export type WebhookOutcome = "delivered" | "failed" | "skipped" | { retryInSeconds: number };

/** The receiver has this long to answer (headers and the start of the body). */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Sent as `user-agent` on every delivery. */
export const WEBHOOK_USER_AGENT = "calendar-edge-webhooks/1";
/** Longest `last_error` kept: a receiver's answer is evidence for the client, not something to store. */
const MAX_ERROR_LENGTH = 200;
/** Bytes of a failed answer read for the excerpt; the rest is never read. */
const EXCERPT_BYTES = 1024;

/** Seconds before attempt `attempt + 1`, after attempt `attempt` failed: 30 s, 2 min, 8 min, 32 min, 2 h 8 min. */
export function webhookRetryDelaySeconds(attempt: number): number {
  return 30 * 4 ** (Math.max(1, attempt) - 1);
}

type Attempt =
  | { kind: "delivered"; status: number }
  /** Must not be sent (the URL is refused now): final. */
  | { kind: "refused"; error: string }
  | { kind: "failed"; status: number | null; error: string };

/**
 * Makes one attempt at a delivery row. "skipped" when it is no longer due (delivered, failed, claimed by a
 * concurrent delivery, or its endpoint deleted); "failed" when it is refused or out of attempts.
 */
export async function deliverWebhook(
  deps: WebhookDeliveryDeps,
  deliveryId: string,
  now = Date.now(),
): Promise<WebhookOutcome> {
  // One conditional UPDATE: of two deliveries of the same row (a duplicate message, the sweep), only one
  // gets it back, so only one sends at a time.
  const nowIso = new Date(now).toISOString();
  const claim = await deps.db
    .update(webhookDeliveries)
    .set({
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      claimedUntil: new Date(now + CLAIM_MS).toISOString(),
    })
    .where(
      and(
        eq(webhookDeliveries.id, deliveryId),
        eq(webhookDeliveries.status, "queued"),
        lt(webhookDeliveries.attempts, MAX_WEBHOOK_ATTEMPTS),
        or(isNull(webhookDeliveries.claimedUntil), lt(webhookDeliveries.claimedUntil, nowIso)),
      ),
    )
    .returning()
    .get();
  if (!claim) return "skipped";
  const endpoint = await deps.db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.id, claim.endpointId))
    .get();
  if (!endpoint) return "skipped";

  let attempt: Attempt;
  try {
    attempt = await send(deps.config, claim, endpoint, now);
  } catch (err) {
    attempt = { kind: "failed", status: null, error: escapeExcerpt(String(err), MAX_ERROR_LENGTH) };
  }

  if (attempt.kind === "delivered") {
    await deps.db
      .update(webhookDeliveries)
      .set({
        status: "delivered",
        deliveredAt: new Date().toISOString(),
        lastStatus: attempt.status,
        lastError: null,
        claimedUntil: null,
      })
      .where(eq(webhookDeliveries.id, deliveryId));
    return "delivered";
  }
  const final = attempt.kind === "refused" || claim.attempts >= MAX_WEBHOOK_ATTEMPTS;
  const retryInSeconds = webhookRetryDelaySeconds(claim.attempts);
  const lastStatus = attempt.kind === "failed" ? attempt.status : null;
  await deps.db
    .update(webhookDeliveries)
    .set({
      status: final ? "failed" : "queued",
      lastStatus,
      lastError: attempt.error,
      claimedUntil: null,
      nextAttemptAt: final ? claim.nextAttemptAt : new Date(now + retryInSeconds * 1000).toISOString(),
    })
    .where(eq(webhookDeliveries.id, deliveryId));
  console.error(
    JSON.stringify({
      level: "warn",
      msg: "webhook delivery failed",
      delivery_id: deliveryId,
      endpoint_id: endpoint.id,
      attempt: claim.attempts,
      final,
      status: lastStatus,
      error: attempt.error,
    }),
  );
  return final ? "failed" : { retryInSeconds };
}

/** Marks deliveries whose messages exhausted the queue's retries (dead-letter queue) as failed for good. */
export async function markWebhooksDeadLettered(db: Db, deliveryIds: readonly string[]): Promise<void> {
  for (let i = 0; i < deliveryIds.length; i += 90) {
    await db
      .update(webhookDeliveries)
      .set({
        status: "failed",
        claimedUntil: null,
        lastError: sql`coalesce(${webhookDeliveries.lastError}, 'gave up after retries')`,
      })
      .where(
        and(
          inArray(webhookDeliveries.id, deliveryIds.slice(i, i + 90)),
          eq(webhookDeliveries.status, "queued"),
        ),
      );
  }
}

async function send(
  config: Config,
  delivery: WebhookDeliveryRow,
  endpoint: WebhookEndpointRow,
  now: number,
): Promise<Attempt> {
  const verdict = await checkWebhookUrl(config, endpoint.url);
  if (!verdict.allowed) {
    const error = escapeExcerpt(`not sent: ${verdict.detail}`, MAX_ERROR_LENGTH);
    // A resolver outage says nothing about the URL: try again later. A refusal is final.
    return verdict.reason === "dns_unavailable"
      ? { kind: "failed", status: null, error }
      : { kind: "refused", error };
  }
  const secret = await openEndpointSecret(config, endpoint);
  const signed = await signatureHeaders(secret, delivery.messageId, Math.floor(now / 1000), delivery.payload);
  let res: Response;
  try {
    res = await fetch(verdict.url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": WEBHOOK_USER_AGENT, ...signed },
      body: delivery.payload,
      // A redirect could point anywhere, past every check above: it is a failed attempt, never followed.
      redirect: "manual",
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    const error = timedOut
      ? `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`
      : `connection failed: ${err instanceof Error ? err.message : String(err)}`;
    return { kind: "failed", status: null, error: escapeExcerpt(error, MAX_ERROR_LENGTH) };
  }
  if (res.status >= 200 && res.status < 300) {
    await res.body?.cancel().catch(() => undefined);
    return { kind: "delivered", status: res.status };
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel().catch(() => undefined);
    return { kind: "failed", status: res.status, error: `HTTP ${res.status}: redirects are not followed` };
  }
  const prefix = `HTTP ${res.status}`;
  const excerpt = escapeExcerpt(await readStart(res), MAX_ERROR_LENGTH - prefix.length - 2);
  return { kind: "failed", status: res.status, error: excerpt ? `${prefix}: ${excerpt}` : prefix };
}

/** The first EXCERPT_BYTES of a body as text (the rest is not read); empty if reading fails. */
async function readStart(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body that breaks off still leaves what arrived.
  } finally {
    reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(Math.min(size, EXCERPT_BYTES));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - offset);
    bytes.set(part, offset);
    offset += part.length;
    if (offset >= bytes.length) break;
  }
  return new TextDecoder().decode(bytes).trim();
}

/**
 * Text made safe to show and log: control characters, bidi and zero-width marks, line separators and lone
 * surrogates become `\uXXXX` (backslash doubled, so nothing is ambiguous), cut whole at `max` characters.
 */
function escapeExcerpt(text: string, max: number): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    const piece = ch === "\\" ? "\\\\" : isInvisible(code) ? `\\u${code.toString(16).padStart(4, "0")}` : ch;
    if (out.length + piece.length > max) break;
    out += piece;
  }
  return out;
}

function isInvisible(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0x2028 && code <= 0x202e) ||
    (code >= 0x2060 && code <= 0x2069) ||
    code === 0xfeff ||
    (code >= 0xd800 && code <= 0xdfff)
  );
}
