import * as z from "zod/mini";
import type { Config } from "../config";
import { ProblemError } from "../http/problem";
import { readGoogleFailure, readGoogleJson, sendGoogleRequest } from "./http";

// Token, refresh and revoke are three form posts (RFC 6749 §4.1.3, §6; RFC 7009). We send them directly
// instead of through oauth4webapi: its ID-token checks pin one issuer string while Google documents two,
// so ID tokens must go through jose anyway, and what remains is a form post and a zod parse.

const TokenResponseSchema = z.lazy(() =>
  z.object({
    access_token: z.string().check(z.minLength(1)),
    expires_in: z.coerce.number().check(z.positive()),
    refresh_token: z.optional(z.string().check(z.minLength(1))),
    scope: z.optional(z.string()),
    token_type: z.string(),
    id_token: z.optional(z.string()),
  }),
);

/** Google's token endpoint answer (RFC 6749 §5.1). */
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

const OAuthErrorSchema = z.lazy(() =>
  z.object({
    error: z.string().check(z.regex(/^[\x20-\x7e]{1,64}$/)),
    error_description: z.optional(z.string()),
  }),
);

/** An error answer from Google's token or revoke endpoint (RFC 6749 §5.2), e.g. `invalid_grant`. */
export class GoogleOAuthError extends Error {
  readonly error: string;
  readonly status: number;
  constructor(error: string, status: number, description?: string) {
    super(`Google token endpoint answered ${status} ${error}${description ? `: ${description}` : ""}`);
    this.name = "GoogleOAuthError";
    this.error = error;
    this.status = status;
  }

  /** 502 naming Google's error code, for a client to act on (`redirect_uri_mismatch`, `invalid_client`…). */
  toProblem(): ProblemError {
    return new ProblemError("google_oauth_error", {
      detail: `Google's token endpoint refused the request: ${this.error}`,
      extensions: { google_error: this.error },
      internal: this.message.slice(0, 300),
    });
  }
}

/** Exchanges an authorization code (with its PKCE verifier) for tokens. */
export function exchangeAuthorizationCode(
  config: Config,
  params: { code: string; codeVerifier: string; redirectUri: string },
): Promise<TokenResponse> {
  return tokenRequest(config, {
    grant_type: "authorization_code",
    code: params.code,
    code_verifier: params.codeVerifier,
    redirect_uri: params.redirectUri,
  });
}

/** Trades a refresh token for a new access token. */
export function refreshAccessToken(config: Config, refreshToken: string): Promise<TokenResponse> {
  return tokenRequest(config, { grant_type: "refresh_token", refresh_token: refreshToken });
}

/** Revokes a grant at Google. Already-revoked or unknown tokens count as revoked. */
export async function revokeGrant(config: Config, token: string): Promise<void> {
  const res = await sendGoogleRequest(config, {
    method: "POST",
    url: config.googleRevokeUrl,
    form: { token },
  });
  if (res.ok) return;
  const failure = await throwIfUnavailable(res);
  const parsed = OAuthErrorSchema.safeParse(failure.body);
  if (parsed.success && (parsed.data.error === "invalid_token" || parsed.data.error === "invalid_grant"))
    return;
  throw new GoogleOAuthError(parsed.success ? parsed.data.error : "unknown_error", res.status).toProblem();
}

async function tokenRequest(config: Config, form: Record<string, string>): Promise<TokenResponse> {
  const res = await sendGoogleRequest(config, {
    method: "POST",
    url: config.googleTokenUrl,
    form: { ...form, client_id: config.googleClientId, client_secret: config.googleClientSecret },
  });
  if (res.ok) return readGoogleJson(res, TokenResponseSchema);
  const failure = await throwIfUnavailable(res);
  const parsed = OAuthErrorSchema.safeParse(failure.body);
  if (!parsed.success) {
    throw new ProblemError("google_unavailable", {
      detail: `Google's token endpoint answered ${res.status}`,
      internal: `token endpoint ${res.status} without an OAuth error body`,
    });
  }
  throw new GoogleOAuthError(parsed.data.error, res.status, parsed.data.error_description);
}

async function throwIfUnavailable(res: Response) {
  const failure = await readGoogleFailure(res);
  if (res.status >= 500 || res.status === 429) {
    const retryAfter = res.headers.get("retry-after");
    throw new ProblemError(res.status === 429 ? "google_rate_limited" : "google_unavailable", {
      detail: `Google's OAuth endpoint answered ${res.status}`,
      headers: retryAfter ? { "retry-after": retryAfter } : {},
      internal: `oauth endpoint ${res.status}`,
    });
  }
  return failure;
}
