import { oauthErrorResponse } from "./google-errors.ts";
import { jsonResponse, readForm } from "./http.ts";
import { type EmulatorState, type IssuedToken, isAccessTokenValid } from "./state.ts";

/** The token a revoke request names: form field `token`, else the `?token=` query parameter. */
export async function revokeTokenParam(request: Request, url: URL): Promise<string | null> {
  const form = request.method === "POST" ? await readForm(request) : new URLSearchParams();
  return form.get("token") ?? url.searchParams.get("token");
}

/** The access or refresh token record for a token value, whatever its state. */
export function findToken(state: EmulatorState, token: string): IssuedToken | undefined {
  return state.accessTokens.get(token) ?? state.refreshTokens.get(token);
}

/** `POST /revoke`: revokes the whole grant behind an access or refresh token. */
export async function handleRevokeRequest(
  request: Request,
  url: URL,
  state: EmulatorState,
): Promise<Response> {
  if (request.method !== "POST") {
    return new Response("Method Not Allowed", { status: 405, headers: { allow: "POST" } });
  }
  const token = await revokeTokenParam(request, url);
  if (!token) return oauthErrorResponse(400, "invalid_request", "Missing required parameter: token");
  const access = state.accessTokens.get(token);
  const record = access && isAccessTokenValid(state, access) ? access : state.refreshTokens.get(token);
  const grant = record && state.grants.get(record.grantId);
  if (!grant || grant.revoked) return oauthErrorResponse(400, "invalid_token", "Token expired or revoked");
  grant.revoked = true;
  return jsonResponse({});
}
