import { insufficientScopeResponse, unauthenticatedResponse } from "./google-errors.ts";
import { allowsMethod, type CalendarMethod, METHOD_SCOPES } from "./scopes.ts";
import { type EmulatorState, type IssuedToken, isAccessTokenValid } from "./state.ts";

/** The access token of a Calendar request: `Authorization: Bearer`, else the `access_token` query parameter. */
function bearerToken(request: Request, url: URL): string | undefined {
  const match = request.headers.get("authorization")?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1] ?? url.searchParams.get("access_token") ?? undefined;
}

/** The account behind a request's access token, valid or not (for fault matching and the call log). */
export function bearerAccount(request: Request, url: URL, state: EmulatorState): string | undefined {
  const token = bearerToken(request, url);
  return token ? state.accessTokens.get(token)?.account : undefined;
}

/** Result of checking a Calendar request's credentials. */
export type CalendarAuth = { ok: true; token: IssuedToken } | { ok: false; response: Response };

/** 401 unless the access token is known, unexpired and unrevoked; 403 unless it carries one of the method's scopes. */
export function authorizeCalendarRequest(
  request: Request,
  url: URL,
  state: EmulatorState,
  method: CalendarMethod,
): CalendarAuth {
  const value = bearerToken(request, url);
  const token = value ? state.accessTokens.get(value) : undefined;
  if (!token || !isAccessTokenValid(state, token)) return { ok: false, response: unauthenticatedResponse() };
  if (!allowsMethod(token.scopes, method)) {
    return { ok: false, response: insufficientScopeResponse(METHOD_SCOPES[method]) };
  }
  return { ok: true, token };
}
