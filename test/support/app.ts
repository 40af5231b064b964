import { exports } from "cloudflare:workers";
import { TEST_ORIGIN } from "./constants";

/** Calls the Worker's real HTTP surface (`exports.default.fetch`) at the test origin. */
export function app(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(new URL(path, TEST_ORIGIN), init));
}

/** JSON request helper: sets content-type and the bearer token. */
export function api(
  path: string,
  options: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json", ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] ??= "application/json";
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  }
  return app(path, { method: options.method ?? "GET", headers, body });
}

/** Asserts nothing here; returns the parsed problem document of an error response. */
export async function problemOf(
  res: Response,
): Promise<
  { code: string; status: number; detail: string; errors?: { path: string; message: string }[] } & Record<
    string,
    unknown
  >
> {
  return (await res.json()) as never;
}
