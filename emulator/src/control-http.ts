import { jsonResponse } from "./http.ts";

// The dev UI on :8787 calls the emulator on :8788, so the control surface allows any origin.
const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, PATCH, DELETE, OPTIONS",
  "access-control-allow-headers": "content-type",
};

/** A control-surface answer: JSON with CORS headers. */
export function reply(body: unknown, status = 200): Response {
  return jsonResponse(body, status, CORS);
}

/** A control-surface error: `{"error": message}`. */
export function problem(status: number, message: string): Response {
  return reply({ error: message }, status);
}

/** An empty control-surface answer (204, or the CORS preflight). */
export function noContent(): Response {
  return new Response(null, { status: 204, headers: CORS });
}

/** Thrown by control handlers; answered as `problem(status, message)`. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The request body as a JSON object, or a 400 `ControlError`. */
export async function readControlBody(request: Request): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    const text = new TextDecoder().decode(await request.arrayBuffer());
    body = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw new ControlError(400, "the body must be JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ControlError(400, "the body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

/** Fails with a 400 naming any field outside `allowed`, so a typo cannot silently do nothing. */
export function refuseUnknownFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw new ControlError(400, `unknown field(s): ${unknown.join(", ")}`);
}
