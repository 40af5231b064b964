import type { Config } from "../config";
import { sha256, toBase64Url } from "../tokens/crypto";
import { REQUESTED_SCOPES } from "./scopes";

/** The consent URL at Google: code flow, PKCE S256, offline access, consent shown every time. */
export async function buildAuthorizationUrl(
  config: Config,
  params: { state: string; codeVerifier: string; redirectUri: string },
): Promise<string> {
  const url = new URL(config.googleAuthUrl);
  url.searchParams.set("client_id", config.googleClientId);
  url.searchParams.set("redirect_uri", params.redirectUri);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("scope", REQUESTED_SCOPES.join(" "));
  url.searchParams.set("state", params.state);
  url.searchParams.set("code_challenge", toBase64Url(await sha256(params.codeVerifier)));
  url.searchParams.set("code_challenge_method", "S256");
  // offline + consent: Google sends a refresh token only on consents that show the consent screen.
  url.searchParams.set("access_type", "offline");
  url.searchParams.set("prompt", "consent");
  url.searchParams.set("include_granted_scopes", "true");
  return url.toString();
}

/** The redirect URI: configured, or this deployment's own `/oauth2callback/`. */
export function resolveRedirectUri(config: Config, requestUrl: string): string {
  return config.oauthRedirectUri ?? new URL("/oauth2callback/", requestUrl).toString();
}
