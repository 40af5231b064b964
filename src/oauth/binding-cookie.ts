import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { OAUTH_STATE_TTL_SECONDS } from "./state-store";

const NAME = "calendar_edge_oauth";

// `__Host-` (Secure, Path=/, no Domain) whenever the app is served over https, so no sibling subdomain can
// plant a binding; plain http is only ever local development (wrangler dev on localhost).
function isSecure(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:";
}

/** Binds the consent's state to this browser (HttpOnly, SameSite=Lax so Google's redirect carries it). */
export function setBindingCookie(c: Context, value: string): void {
  setCookie(c, NAME, value, {
    httpOnly: true,
    sameSite: "Lax",
    path: "/",
    maxAge: OAUTH_STATE_TTL_SECONDS,
    ...(isSecure(c) ? { secure: true, prefix: "host" as const } : {}),
  });
}

export function readBindingCookie(c: Context): string | undefined {
  return isSecure(c) ? getCookie(c, NAME, "host") : getCookie(c, NAME);
}

export function clearBindingCookie(c: Context): void {
  deleteCookie(c, NAME, isSecure(c) ? { path: "/", secure: true, prefix: "host" } : { path: "/" });
}
