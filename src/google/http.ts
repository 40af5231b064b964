import type * as z from "zod/mini";
import type { Config } from "../config";
import { ProblemError } from "../http/problem";

/** The body of a failed Google call, kept for mapping; never sent to clients unfiltered. */
export interface GoogleFailure {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface GoogleRequestOptions {
  method?: string;
  url: string;
  accessToken?: string;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

/**
 * Sends one request to Google with the configured timeout. Network failures become 502
 * `google_unavailable` and timeouts 504 `google_timeout`; any HTTP answer is returned as is.
 */
export async function sendGoogleRequest(config: Config, options: GoogleRequestOptions): Promise<Response> {
  const headers = new Headers(options.headers);
  headers.set("accept", "application/json");
  let body: BodyInit | undefined;
  if (options.accessToken) headers.set("authorization", `Bearer ${options.accessToken}`);
  if (options.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(options.json);
  } else if (options.form) {
    headers.set("content-type", "application/x-www-form-urlencoded");
    body = new URLSearchParams(options.form).toString();
  }
  try {
    return await fetch(options.url, {
      method: options.method ?? "GET",
      headers,
      body,
      signal: AbortSignal.timeout(config.googleTimeoutMs),
    });
  } catch (err) {
    const endpoint = describeEndpoint(options.url);
    if (err instanceof DOMException && (err.name === "TimeoutError" || err.name === "AbortError")) {
      throw new ProblemError("google_timeout", {
        detail: `Google did not answer within ${config.googleTimeoutMs} ms (${endpoint})`,
        internal: `timeout calling ${endpoint}`,
        cause: err,
      });
    }
    throw new ProblemError("google_unavailable", {
      detail: `Could not reach Google (${endpoint})`,
      internal: `network error calling ${endpoint}: ${err instanceof Error ? err.message : String(err)}`,
      cause: err,
    });
  }
}

/** Reads a successful answer and checks its shape; a malformed one is Google's fault (502). */
export async function readGoogleJson<T extends z.ZodMiniType>(res: Response, schema: T): Promise<z.infer<T>> {
  const body = await res.json().catch(() => undefined);
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new ProblemError("google_unavailable", {
      detail: "Google returned a response this service could not read",
      internal: `unexpected Google response from ${describeEndpoint(res.url)}: ${parsed.error.message.slice(0, 300)}`,
    });
  }
  return parsed.data;
}

/** Collects a failed answer's status, headers and (JSON if possible) body. */
export async function readGoogleFailure(res: Response): Promise<GoogleFailure> {
  const text = await res.text().catch(() => "");
  let body: unknown = text.slice(0, 2000);
  try {
    body = JSON.parse(text);
  } catch {
    // keep the truncated text
  }
  return { status: res.status, headers: res.headers, body };
}

/** A log-safe name for a Google URL: host and path, never the query (which may carry tokens). */
export function describeEndpoint(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return "google";
  }
}
