import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { type AccountRow, accounts } from "../db/schema";

// Every D1 query of the accounts table: the authority on whether an account is connected.

/** A connection state, as `/api/me` shows it. */
export type ConnectionStatus = AccountRow["status"];

/** Records a consent: connected again, with a new grant version. Returns that version. */
export async function recordConsent(
  db: Db,
  account: { id: string; email: string; scopes: readonly string[] },
): Promise<number> {
  const now = new Date().toISOString();
  const scopes = JSON.stringify(account.scopes);
  const row = await db
    .insert(accounts)
    .values({
      id: account.id,
      email: account.email,
      status: "connected",
      grantVersion: 1,
      scopes,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: accounts.id,
      set: {
        email: account.email,
        status: "connected",
        grantVersion: sql`${accounts.grantVersion} + 1`,
        scopes,
        updatedAt: now,
      },
    })
    .returning({ grantVersion: accounts.grantVersion })
    .get();
  return row?.grantVersion ?? 1;
}

export async function findAccountRow(db: Db, id: string): Promise<AccountRow | undefined> {
  return db.select().from(accounts).where(eq(accounts.id, id)).get();
}

/**
 * The row of an account connected before this table existed, created from its KV grant (first use
 * after the upgrade). Never overwrites an existing row.
 */
export async function adoptLegacyAccount(
  db: Db,
  grant: { accountId: string; email: string; scopes: readonly string[]; grantVersion: number; dead: boolean },
): Promise<AccountRow | undefined> {
  const now = new Date().toISOString();
  await db
    .insert(accounts)
    .values({
      id: grant.accountId,
      email: grant.email,
      status: grant.dead ? "reauthorization_required" : "connected",
      grantVersion: grant.grantVersion,
      scopes: JSON.stringify(grant.scopes),
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing();
  return findAccountRow(db, grant.accountId);
}

/** The statement marking a grant dead, only if that very grant is still the connected one. */
export function markGrantDead(db: Db, id: string, grantVersion: number) {
  return db
    .update(accounts)
    .set({ status: "reauthorization_required", updatedAt: new Date().toISOString() })
    .where(
      and(eq(accounts.id, id), eq(accounts.grantVersion, grantVersion), eq(accounts.status, "connected")),
    );
}

/** The statement recording a disconnect (the user revoked the grant through this API). */
export function markDisconnected(db: Db, id: string) {
  return db
    .update(accounts)
    .set({ status: "disconnected", updatedAt: new Date().toISOString() })
    .where(eq(accounts.id, id));
}

/** Keeps the scopes current after a refresh reported different ones. */
export async function updateScopes(db: Db, id: string, scopes: readonly string[]): Promise<void> {
  await db
    .update(accounts)
    .set({ scopes: JSON.stringify(scopes), updatedAt: new Date().toISOString() })
    .where(eq(accounts.id, id));
}
