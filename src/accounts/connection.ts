import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { accounts, watchChannels } from "../db/schema";
import { PRIMARY_CALENDAR } from "../google/calendar";
import { followCalendar } from "../sync/sync-repo";
import type { GrantRecord, TokenStore } from "../tokens/token-store";
import type { WebhookQueueDeps } from "../webhooks/delivery-queue";
import { enqueueWebhookDeliveries, fanOutWebhook, webhookDeliveryIds } from "../webhooks/fan-out";
import { reauthorizationRequiredMessage } from "../webhooks/messages";
import {
  adoptLegacyAccount,
  type ConnectionStatus,
  findAccountRow,
  markDisconnected,
  markGrantDead,
  recordConsent,
} from "./accounts-repo";

// A Google connection's life: consent, death of the grant (invalid_grant), disconnect. D1 decides the
// state; KV only holds the tokens of the grant D1 calls connected.

export interface ConnectionDeps {
  db: Db;
  tokens: TokenStore;
}

/**
 * Records a consent: the account connected with a new grant version (and its primary calendar followed),
 * then the tokens in KV under that version.
 */
export async function connectAccount(
  deps: ConnectionDeps,
  grant: Omit<GrantRecord, "grantVersion" | "status" | "updatedAt">,
): Promise<GrantRecord> {
  const grantVersion = await recordConsent(deps.db, {
    id: grant.accountId,
    email: grant.email,
    scopes: grant.scopes,
  });
  await followCalendar(deps.db, grant.accountId, PRIMARY_CALENDAR);
  const record: GrantRecord = {
    ...grant,
    status: "connected",
    grantVersion,
    updatedAt: new Date().toISOString(),
  };
  await deps.tokens.put(record);
  return record;
}

/**
 * Google refused the grant for good (invalid_grant). If it is still the connected one, the account needs
 * reauthorization and its channels are forgotten, in one batch; the tokens leave KV. Never writes tokens:
 * a stale copy of a disconnected or reconnected account cannot come back this way.
 */
export async function grantDied(
  deps: ConnectionDeps & Partial<Pick<WebhookQueueDeps, "webhookQueue">>,
  grant: GrantRecord,
): Promise<void> {
  // True once this grant is recorded as dead (by this batch or an earlier one): only then are its
  // channels forgotten and the client told, once per grant (the message id derives from its version).
  const stillThisGrant = sql`EXISTS (SELECT 1 FROM ${accounts} WHERE ${accounts.id} = ${grant.accountId} AND ${accounts.grantVersion} = ${grant.grantVersion} AND ${accounts.status} = 'reauthorization_required')`;
  const message = await reauthorizationRequiredMessage(
    { id: grant.accountId, email: grant.email },
    grant.grantVersion,
    new Date().toISOString(),
  );
  const [, , announced] = await deps.db.batch([
    markGrantDead(deps.db, grant.accountId, grant.grantVersion),
    deps.db.delete(watchChannels).where(and(eq(watchChannels.accountId, grant.accountId), stillThisGrant)),
    fanOutWebhook(deps.db, grant.accountId, message, { onlyIf: stillThisGrant }),
  ]);
  // Without a queue at hand (a caller that only refreshes tokens), the cron sweep sends it within a minute.
  if (deps.webhookQueue)
    await enqueueWebhookDeliveries({ webhookQueue: deps.webhookQueue }, webhookDeliveryIds([announced]));
  const account = await findAccountRow(deps.db, grant.accountId);
  // KV keeps a grant only if it belongs to a newer consent than the dead one.
  if (account?.status !== "connected" || account.grantVersion === grant.grantVersion) {
    await deps.tokens.delete(grant.accountId);
  }
}

/** Records a disconnect (after the grant was revoked at Google): state, channels, tokens. */
export async function disconnectAccount(deps: ConnectionDeps, accountId: string): Promise<void> {
  await deps.db.batch([
    markDisconnected(deps.db, accountId),
    deps.db.delete(watchChannels).where(eq(watchChannels.accountId, accountId)),
  ]);
  await deps.tokens.delete(accountId);
}

/** The connection as `/api/me` shows it: D1's state, and the scopes Google granted. */
export async function connectionOf(
  deps: ConnectionDeps,
  accountId: string,
): Promise<{ status: ConnectionStatus; scopes: string[] }> {
  let account = await findAccountRow(deps.db, accountId);
  if (!account) {
    // Connected before the accounts table existed: its grant in KV says how it stands.
    const grant = await deps.tokens.get(accountId);
    if (!grant) return { status: "disconnected", scopes: [] };
    account = await adoptLegacyAccount(deps.db, { ...grant, dead: grant.status !== "connected" });
    if (!account) return { status: "disconnected", scopes: [] };
  }
  return {
    status: account.status,
    scopes: account.status === "disconnected" ? [] : parseScopeList(account.scopes),
  };
}

function parseScopeList(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((s): s is string => typeof s === "string") : [];
  } catch {
    return [];
  }
}
