import { PROBLEM_CODES, type ProblemCode } from "../http/problem";

type ResponseObject = Record<string, unknown>;

/** The security requirement of every route that takes an API token. */
export const BEARER = [{ bearerAuth: [] }];

/** What any route reading a JSON body can answer about the body itself. */
export const BODY_ERRORS = [
  "invalid_json",
  "payload_too_large",
  "unsupported_media_type",
  "validation_failed",
] as const;

const PROBLEM_REF = { $ref: "#/components/schemas/Problem" };

const HEADERS: Partial<Record<ProblemCode, Record<string, ResponseObject>>> = {
  unauthorized: {
    "WWW-Authenticate": { description: "The Bearer challenge (RFC 6750).", schema: { type: "string" } },
  },
  request_in_progress: {
    "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "string" } },
  },
  google_rate_limited: {
    "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "string" } },
  },
  dns_unavailable: {
    "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "string" } },
  },
  storage_unavailable: {
    "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "string" } },
  },
};

/**
 * The error responses of one operation, one per status, each naming the codes it can carry; every
 * operation can also fail with `internal_error`, and one that touches storage with `storage_unavailable`
 * (named in `codes`). `html` adds the browser form of the OAuth callback.
 */
export function problemResponses(
  codes: readonly ProblemCode[],
  options: { html?: boolean } = {},
): Record<string, ResponseObject> {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of [...codes, "internal_error" as const]) {
    const { status } = PROBLEM_CODES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, ResponseObject> = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    const headers = Object.assign({}, ...group.map((code) => HEADERS[code] ?? {}));
    responses[String(status)] = {
      description: group.map((code) => `\`${code}\`: ${PROBLEM_CODES[code].title}.`).join(" "),
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      content: {
        "application/problem+json": { schema: PROBLEM_REF },
        ...(options.html && status !== 500 ? { "text/html": { schema: { type: "string" } } } : {}),
      },
    };
  }
  return responses;
}

/** `info.description`: how errors look, and the closed list of codes with their usual status. */
export function describeErrors(): string {
  const rows = Object.entries(PROBLEM_CODES).map(
    ([code, { status, title }]) => `| \`${code}\` | ${status} | ${title} |`,
  );
  return [
    "Books Google Calendar events for a connected Google account and mails every participant an iCalendar invitation.",
    "",
    "Connect once in a browser at `/api/google-auth/`; the callback shows an API token. Send it as",
    "`Authorization: Bearer <token>` to every other `/api/` route. A trailing slash is optional on every path.",
    "",
    "## Errors",
    "Every error is `application/problem+json` (RFC 9457) with `type`, `title`, `status`, `detail` and a",
    "stable `code` from the closed list below; `validation_failed` adds `errors: [{path, message}]`.",
    "",
    "| code | status | title |",
    "|---|---|---|",
    ...rows,
  ].join("\n");
}
