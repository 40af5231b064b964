import type { Context } from "hono";

/** True when the client asked for JSON rather than an HTML page (browsers send text/html first). */
export function wantsJson(c: Context): boolean {
  const accept = c.req.header("accept") ?? "";
  if (!accept) return false;
  const json = accept.indexOf("application/json");
  const html = accept.indexOf("text/html");
  return json !== -1 && (html === -1 || json < html);
}
