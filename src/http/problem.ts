/**
 * RFC 9457 problem details: the one error type every route throws. `getResponse()` makes Hono's
 * error handling answer `application/problem+json` with a stable, documented `code`.
 */

/** Every `code` an error response can carry. Clients switch on these; the list is closed. */
export const PROBLEM_CODES = {
  validation_failed: { status: 422, title: "Request validation failed" },
  invalid_json: { status: 400, title: "Request body is not valid JSON" },
  payload_too_large: { status: 413, title: "Request body is too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  unauthorized: { status: 401, title: "Authentication required" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  idempotency_key_reused: { status: 422, title: "Idempotency key reused with a different request" },
  idempotency_key_invalid: { status: 400, title: "Idempotency key is invalid" },
  request_in_progress: { status: 409, title: "A request with this idempotency key is in progress" },
  event_cancelled: { status: 409, title: "Event is cancelled" },
  slot_unavailable: { status: 409, title: "The time slot is not free" },
  rate_limited: { status: 429, title: "Too many requests" },
  webhook_url_refused: { status: 422, title: "Webhook URL refused" },
  webhook_limit_reached: { status: 409, title: "Webhook endpoint limit reached" },
  dns_unavailable: { status: 503, title: "The webhook URL could not be checked" },
  notification_rejected: { status: 403, title: "Notification rejected" },
  invalid_oauth_state: { status: 400, title: "Invalid or expired OAuth state" },
  access_denied: { status: 403, title: "Google access was denied" },
  insufficient_scope: { status: 403, title: "Calendar access was not granted" },
  invalid_id_token: { status: 502, title: "Google ID token rejected" },
  oauth_callback_invalid: { status: 400, title: "Invalid OAuth callback" },
  reauthorization_required: { status: 403, title: "Google authorization must be renewed" },
  google_oauth_error: { status: 502, title: "Google token endpoint returned an error" },
  google_unavailable: { status: 502, title: "Google is unavailable" },
  google_timeout: { status: 504, title: "Google did not answer in time" },
  google_rate_limited: { status: 503, title: "Google rate limit reached" },
  google_rejected: { status: 502, title: "Google rejected the request" },
  storage_unavailable: { status: 503, title: "Storage is unavailable" },
  configuration_error: { status: 500, title: "Server configuration is incomplete" },
  internal_error: { status: 500, title: "Internal server error" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEM_CODES;

/** One entry of a validation failure: where in the request, and what is wrong. */
export interface FieldError {
  path: string;
  message: string;
}

export interface ProblemOptions {
  detail?: string;
  status?: number;
  errors?: FieldError[];
  headers?: Record<string, string>;
  extensions?: Record<string, unknown>;
  /** Logged by the error handler, never sent to the client. */
  internal?: string;
  cause?: unknown;
}

export const PROBLEM_TYPE_BASE = "https://calendar-edge.dev/problems/";

/** An error that answers itself as `application/problem+json`. */
export class ProblemError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;
  readonly extensions: Record<string, unknown>;
  readonly internal: string | undefined;

  constructor(code: ProblemCode, options: ProblemOptions = {}) {
    const known = PROBLEM_CODES[code];
    super(options.detail ?? known.title, { cause: options.cause });
    this.name = "ProblemError";
    this.code = code;
    this.status = options.status ?? known.status;
    this.title = known.title;
    this.detail = options.detail ?? known.title;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
    this.internal = options.internal;
  }

  /** The problem document, as sent. */
  toJSON(instance?: string): Record<string, unknown> {
    return {
      type: `${PROBLEM_TYPE_BASE}${this.code}`,
      title: this.title,
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...(instance ? { instance } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
      ...this.extensions,
    };
  }

  getResponse(instance?: string): Response {
    return new Response(JSON.stringify(this.toJSON(instance)), {
      status: this.status,
      headers: { "content-type": "application/problem+json", ...this.headers },
    });
  }
}

/** 422 with the list of fields that failed. */
export function validationFailed(errors: FieldError[], detail?: string): ProblemError {
  return new ProblemError("validation_failed", {
    detail: detail ?? `${errors.length} field${errors.length === 1 ? "" : "s"} failed validation`,
    errors,
  });
}

/** 401 with the challenge header RFC 6750 asks for. */
export function unauthorized(detail: string, error?: "invalid_token"): ProblemError {
  const challenge = error
    ? `Bearer realm="calendar-edge", error="${error}", error_description="${detail}"`
    : 'Bearer realm="calendar-edge"';
  return new ProblemError("unauthorized", { detail, headers: { "www-authenticate": challenge } });
}

/** The grant at Google is gone: the user must consent again. */
export function reauthorizationRequired(detail?: string): ProblemError {
  return new ProblemError("reauthorization_required", {
    detail:
      detail ??
      "Google no longer accepts this account's authorization (revoked or expired). Open /api/google-auth/ to connect it again.",
    extensions: { authorize_url: "/api/google-auth/" },
  });
}

export function notFound(detail = "The requested resource does not exist"): ProblemError {
  return new ProblemError("not_found", { detail });
}
