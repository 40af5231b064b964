import type { CalendarRecord } from "./calendars.ts";
import type { WatchChannel } from "./channels.ts";
import type { EmulatorClient, EmulatorOptions } from "./emulator.ts";

/** A Google account of the emulator; any address becomes one on first use. */
export interface Account {
  email: string;
  name: string;
  /** Stable 21-digit numeric subject derived from the email, like Google's `sub`. */
  sub: string;
}

/** An authorization code issued by the consent page: single use, 10 minutes. */
export interface AuthorizationCode {
  code: string;
  clientId: string;
  redirectUri: string;
  account: string;
  grantId: string;
  scopes: string[];
  codeChallenge?: string;
  codeChallengeMethod?: "S256" | "plain";
  accessType: "online" | "offline";
  promptConsent: boolean;
  nonce?: string;
  expiresAt: number;
  used: boolean;
}

/** A user's consent to one client: revoking any of its tokens revokes all of them. */
export interface Grant {
  id: string;
  account: string;
  clientId: string;
  scopes: string[];
  refreshTokenIssued: boolean;
  revoked: boolean;
}

/** An issued access or refresh token; its validity also depends on its grant. */
export interface IssuedToken {
  token: string;
  grantId: string;
  account: string;
  clientId: string;
  scopes: string[];
  /** Epoch ms; refresh tokens never expire by time. */
  expiresAt: number;
}

/** Everything the emulator remembers, all of it in memory. */
export interface EmulatorState {
  now: () => number;
  clients: Map<string, EmulatorClient>;
  accounts: Map<string, Account>;
  codes: Map<string, AuthorizationCode>;
  grants: Map<string, Grant>;
  accessTokens: Map<string, IssuedToken>;
  refreshTokens: Map<string, IssuedToken>;
  /** Calendar id → calendar (events, ACL, sync state); primary calendars are keyed by their account's address. */
  calendars: Map<string, CalendarRecord>;
  /** Account → its calendar-list change counter and sync-token generation. */
  calendarLists: Map<string, { changeCount: number; syncGeneration: number }>;
  /** Every watch channel ever opened, stopped and expired ones included, in creation order. */
  channels: WatchChannel[];
  /** Last etag value handed out, so every write gets a new, increasing etag. */
  lastEtag: number;
  /** The accounts the consent page lists as radio buttons. */
  chooserEmails: string[];
}

/** The accounts the consent page offers before anyone types another address. */
const BUILT_IN_ACCOUNTS: ReadonlyArray<{ email: string; name: string }> = [
  { email: "alice@example.com", name: "Alice Example" },
  { email: "bob@example.com", name: "Bob Example" },
  { email: "carol@example.com", name: "Carol Example" },
];

/** Fresh state for one emulator instance. */
export function createState(options: EmulatorOptions): EmulatorState {
  const state: EmulatorState = {
    now: options.now ?? (() => Date.now()),
    clients: new Map(options.clients.map((client) => [client.clientId, client])),
    accounts: new Map(),
    codes: new Map(),
    grants: new Map(),
    accessTokens: new Map(),
    refreshTokens: new Map(),
    calendars: new Map(),
    calendarLists: new Map(),
    channels: [],
    lastEtag: 0,
    chooserEmails: [],
  };
  for (const account of options.accounts ?? BUILT_IN_ACCOUNTS) {
    state.chooserEmails.push(ensureAccount(state, account.email, account.name).email);
  }
  return state;
}

/** Email addresses are compared case-insensitively everywhere. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The account for `email`, created on first use. */
export function ensureAccount(state: EmulatorState, email: string, name?: string): Account {
  const key = normalizeEmail(email);
  let account = state.accounts.get(key);
  if (!account) {
    account = { email: key, name: name ?? key.split("@")[0] ?? key, sub: subjectFor(key) };
    state.accounts.set(key, account);
  }
  return account;
}

/** The grant still in force for this account and client, if any. */
export function activeGrant(state: EmulatorState, account: string, clientId: string): Grant | undefined {
  for (const grant of state.grants.values()) {
    if (grant.account === account && grant.clientId === clientId && !grant.revoked) return grant;
  }
  return undefined;
}

/** Whether an access token can still be used: known, not expired, grant not revoked. */
export function isAccessTokenValid(state: EmulatorState, token: IssuedToken): boolean {
  return token.expiresAt > state.now() && !state.grants.get(token.grantId)?.revoked;
}

/** A new etag (a quoted, increasing number like Google's), distinct from every earlier one. */
export function nextEtag(state: EmulatorState): string {
  state.lastEtag = Math.max(state.now() * 1000, state.lastEtag + 1);
  return `"${state.lastEtag}"`;
}

// Two FNV-1a 64-bit hashes with different offsets give enough bits for 20 stable digits.
function subjectFor(email: string): string {
  const fnv = (offset: bigint) => {
    let hash = offset;
    for (const byte of new TextEncoder().encode(email)) {
      hash ^= BigInt(byte);
      hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
    }
    return hash;
  };
  const wide = (fnv(0xcbf29ce484222325n) << 64n) | fnv(0x84222325cbf29ce4n);
  return `1${(wide % 10n ** 20n).toString().padStart(20, "0")}`;
}
