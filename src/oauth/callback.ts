import { connectAccount } from "../accounts/connection";
import type { Config } from "../config";
import type { Db } from "../db/client";
import { exchangeAuthorizationCode, GoogleOAuthError } from "../google/oauth-endpoints";
import { ProblemError } from "../http/problem";
import { issueApiToken } from "../tokens/api-tokens";
import type { TokenStore } from "../tokens/token-store";
import type { Account } from "../types";
import { verifyGoogleIdToken } from "./id-token";
import { hasCalendarScope, parseScopes } from "./scopes";
import { consumeOAuthState } from "./state-store";

export interface CallbackDeps {
  config: Config;
  kv: KVNamespace;
  tokens: TokenStore;
  db: Db;
}

/** The query Google sends back to the redirect URI, plus the browser's binding cookie. */
export interface CallbackInput {
  code?: string;
  state?: string;
  error?: string;
  browserBinding?: string;
}

export interface ConnectedAccount {
  account: Account;
  apiToken: string;
  scopes: string[];
}

/**
 * Finishes a consent: checks the state, exchanges the code with its PKCE verifier, verifies the ID token,
 * insists on the calendar scope, stores the tokens and issues a one-time-visible API token.
 */
export async function completeConsent(deps: CallbackDeps, input: CallbackInput): Promise<ConnectedAccount> {
  const stateRecord = await consumeOAuthState(deps.kv, input.state, input.browserBinding);
  if (input.error) {
    if (input.error === "access_denied") {
      throw new ProblemError("access_denied", {
        detail: "Access to Google Calendar was denied at Google (access_denied). Nothing was connected.",
        extensions: { google_error: "access_denied" },
      });
    }
    throw new ProblemError("oauth_callback_invalid", {
      detail: `Google ended the consent with an error: ${input.error.slice(0, 64).replace(/[^\w.-]/g, "")}`,
    });
  }
  if (!input.code)
    throw new ProblemError("oauth_callback_invalid", { detail: "The code parameter is missing." });

  let tokens: Awaited<ReturnType<typeof exchangeAuthorizationCode>>;
  try {
    tokens = await exchangeAuthorizationCode(deps.config, {
      code: input.code,
      codeVerifier: stateRecord.codeVerifier,
      redirectUri: stateRecord.redirectUri,
    });
  } catch (err) {
    throw err instanceof GoogleOAuthError ? err.toProblem() : err;
  }

  const identity = await verifyGoogleIdToken(deps.config, tokens.id_token);
  const scopes = parseScopes(tokens.scope);
  if (!hasCalendarScope(scopes)) {
    throw new ProblemError("insufficient_scope", {
      detail:
        "Google did not grant access to your calendar. Start again and tick the box that lets calendar-edge see and edit events.",
      extensions: { granted_scopes: scopes, authorize_url: "/api/google-auth/" },
    });
  }

  const previous = await deps.tokens.get(identity.sub);
  await connectAccount(deps, {
    accountId: identity.sub,
    email: identity.email,
    accessToken: tokens.access_token,
    accessTokenExpiresAt: Date.now() + tokens.expires_in * 1000,
    // Google sends a refresh token only on some consents: never replace a stored one with nothing.
    refreshToken: tokens.refresh_token ?? previous?.refreshToken ?? null,
    scopes,
  });

  const account: Account = { id: identity.sub, email: identity.email };
  return { account, apiToken: await issueApiToken(deps.kv, account), scopes };
}
