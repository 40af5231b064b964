import { jsonResponse } from "./http.ts";
import { renderErrorPage } from "./pages.ts";

const NO_STORE = { "cache-control": "no-cache, no-store, max-age=0, must-revalidate", pragma: "no-cache" };

/** An OAuth endpoint error as Google's token and revoke endpoints write it: `{error, error_description}`. */
export function oauthErrorResponse(status: number, error: string, description: string): Response {
  return jsonResponse({ error, error_description: description }, status, NO_STORE);
}

/** One entry of a Google API error's `errors` array. */
export interface ApiErrorItem {
  domain?: string;
  reason: string;
  message: string;
  location?: string;
  locationType?: string;
}

/** Google's JSON API error body: `{"error":{"errors":[...],"code":...,"message":...}}`. */
function apiErrorBody(status: number, item: ApiErrorItem, googleStatus?: string): unknown {
  const error: Record<string, unknown> = {
    errors: [{ domain: item.domain ?? "global", ...item }],
    code: status,
    message: item.message,
  };
  if (googleStatus) error.status = googleStatus;
  return { error };
}

/** A Google API (Calendar, JWKS) error response. */
export function apiErrorResponse(
  status: number,
  item: ApiErrorItem,
  googleStatus?: string,
  headers: Record<string, string> = {},
): Response {
  return jsonResponse(apiErrorBody(status, item, googleStatus), status, headers);
}

/** 404 `notFound`, as the Calendar API answers for an unknown event or calendar. */
export function notFoundResponse(): Response {
  return apiErrorResponse(404, { reason: "notFound", message: "Not Found" });
}

/** 401 for a missing, unknown, expired or revoked access token: Google's body and `WWW-Authenticate`. */
export function unauthenticatedResponse(): Response {
  return jsonResponse(
    {
      error: {
        code: 401,
        message:
          "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        errors: [
          {
            message: "Invalid Credentials",
            domain: "global",
            reason: "authError",
            location: "Authorization",
            locationType: "header",
          },
        ],
        status: "UNAUTHENTICATED",
      },
    },
    401,
    { "www-authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
  );
}

/** 403 for a valid token that lacks every scope the method accepts (the header lists them, as Google's does). */
export function insufficientScopeResponse(acceptedScopes: readonly string[]): Response {
  return jsonResponse(
    {
      error: {
        code: 403,
        message: "Request had insufficient authentication scopes.",
        errors: [{ message: "Insufficient Permission", domain: "global", reason: "insufficientPermissions" }],
        status: "PERMISSION_DENIED",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            domain: "googleapis.com",
            metadata: { service: "calendar-json.googleapis.com" },
          },
        ],
      },
    },
    403,
    {
      "www-authenticate": `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="${acceptedScopes.join(" ")}"`,
    },
  );
}

const API_DEFAULTS: Record<number, { item: ApiErrorItem; status?: string }> = {
  400: { item: { reason: "badRequest", message: "Bad Request" }, status: "INVALID_ARGUMENT" },
  401: { item: { reason: "authError", message: "Invalid Credentials" }, status: "UNAUTHENTICATED" },
  403: { item: { domain: "usageLimits", reason: "rateLimitExceeded", message: "Rate Limit Exceeded" } },
  404: { item: { reason: "notFound", message: "Not Found" } },
  409: { item: { reason: "conflict", message: "Conflict" } },
  410: { item: { reason: "deleted", message: "Resource has been deleted" } },
  412: { item: { reason: "conditionNotMet", message: "Precondition Failed" } },
  429: {
    item: { domain: "usageLimits", reason: "rateLimitExceeded", message: "Rate Limit Exceeded" },
    status: "RESOURCE_EXHAUSTED",
  },
  500: { item: { reason: "backendError", message: "Backend Error" } },
  502: { item: { reason: "backendError", message: "Bad Gateway" } },
  503: {
    item: { reason: "backendError", message: "The service is currently unavailable." },
    status: "UNAVAILABLE",
  },
  504: { item: { reason: "backendError", message: "Deadline Exceeded" }, status: "DEADLINE_EXCEEDED" },
};

const OAUTH_DEFAULTS: Record<number, [string, string]> = {
  400: ["invalid_request", "Bad Request"],
  401: ["invalid_client", "Unauthorized"],
  403: ["access_denied", "Forbidden"],
  429: ["rate_limit_exceeded", "Rate Limit Exceeded"],
  503: ["temporarily_unavailable", "The service is currently unavailable."],
};

/** Which error dialect an endpoint speaks: an HTML page, OAuth JSON, or Google API JSON. */
export type ErrorDialect = "page" | "oauth" | "api";

/** Google's body for `status` in the endpoint's dialect: what a fault without `body` answers. */
export function defaultErrorResponse(dialect: ErrorDialect, status: number): Response {
  if (dialect === "page") {
    const error = status >= 500 ? "server_error" : "invalid_request";
    return new Response(renderErrorPage(status, error, "The emulator was asked to fail this request."), {
      status,
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  }
  if (dialect === "oauth") {
    const [error, description] = OAUTH_DEFAULTS[status] ?? [
      status >= 500 ? "internal_failure" : "invalid_request",
      status >= 500 ? "Backend Error" : "Bad Request",
    ];
    return oauthErrorResponse(status, error, description);
  }
  const known = API_DEFAULTS[status];
  const item = known?.item ?? {
    reason: status >= 500 ? "backendError" : "badRequest",
    message: status >= 500 ? "Backend Error" : "Bad Request",
  };
  return apiErrorResponse(status, item, known?.status);
}

/** A Google API error thrown by request handling and answered by `toResponse()`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly item: ApiErrorItem,
    readonly googleStatus?: string,
  ) {
    super(item.message);
  }

  toResponse(): Response {
    return apiErrorResponse(this.status, this.item, this.googleStatus);
  }
}

/** 400 `invalid` with Google's message, e.g. "Invalid resource id value.". */
export function invalidValue(message: string): ApiError {
  return new ApiError(400, { reason: "invalid", message });
}

/** 404 `notFound`, as thrown by request handling. */
export function notFoundError(message = "Not Found"): ApiError {
  return new ApiError(404, { reason: "notFound", message });
}

/** 400 `parseError`: the body is not a JSON object. */
export function parseError(): ApiError {
  return new ApiError(400, { reason: "parseError", message: "Parse Error" });
}

/** The request body as a JSON object, or Google's 400 `parseError`. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(await request.arrayBuffer()));
  } catch {
    throw parseError();
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw parseError();
  return body as Record<string, unknown>;
}

/** Runs request handling, answering a thrown `ApiError` with Google's error body. */
export async function answerApiErrors(handle: () => Response | Promise<Response>): Promise<Response> {
  try {
    return await handle();
  } catch (error) {
    if (error instanceof ApiError) return error.toResponse();
    throw error;
  }
}
