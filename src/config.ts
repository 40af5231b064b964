import * as z from "zod/mini";
import { ProblemError } from "./http/problem";

const optionalString = z.pipe(
  z.optional(z.string()),
  z.transform((v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v.trim())),
);

const optionalHttpUrl = () => z.optional(z.url({ protocol: /^https?$/ }));

const url = (fallback: string) =>
  z.pipe(
    z.pipe(optionalString, optionalHttpUrl()),
    z.transform((v: string | undefined) => v ?? fallback),
  );

const required = (name: string) =>
  z.pipe(
    optionalString.check(z.refine((v) => v !== undefined, { message: `${name} is not set` })),
    z.transform((v: string | undefined) => v!),
  );

const ConfigSchema = z.object({
  GOOGLE_CLIENT_ID: required("GOOGLE_CLIENT_ID"),
  GOOGLE_CLIENT_SECRET: required("GOOGLE_CLIENT_SECRET"),
  TOKEN_ENCRYPTION_KEY: required("TOKEN_ENCRYPTION_KEY").check(
    z.refine(isBase64Of32Bytes, { message: "TOKEN_ENCRYPTION_KEY must be base64 of exactly 32 bytes" }),
  ),
  GOOGLE_AUTH_URL: url("https://accounts.google.com/o/oauth2/v2/auth"),
  GOOGLE_TOKEN_URL: url("https://oauth2.googleapis.com/token"),
  GOOGLE_REVOKE_URL: url("https://oauth2.googleapis.com/revoke"),
  GOOGLE_JWKS_URL: url("https://www.googleapis.com/oauth2/v3/certs"),
  GOOGLE_CALENDAR_API_URL: url("https://www.googleapis.com/calendar/v3"),
  OAUTH_REDIRECT_URI: z.pipe(optionalString, optionalHttpUrl()),
  MAIL_FROM: z.pipe(optionalString, z.optional(z.email())),
  MAIL_FROM_NAME: optionalString,
  GOOGLE_TIMEOUT_MS: z.pipe(
    optionalString.check(
      z.refine((v) => v === undefined || (/^\d+$/.test(v) && Number(v) >= 100 && Number(v) <= 60_000), {
        message: "GOOGLE_TIMEOUT_MS must be a whole number of milliseconds from 100 to 60000",
      }),
    ),
    z.transform((v: string | undefined) => (v === undefined ? 10_000 : Number(v))),
  ),
  PUBLIC_URL: z.pipe(optionalString, optionalHttpUrl()),
  WEBHOOK_ALLOW_LOCALHOST: z.pipe(
    optionalString.check(
      z.refine((v) => v === undefined || v === "true" || v === "false", {
        message: "WEBHOOK_ALLOW_LOCALHOST must be true or false",
      }),
    ),
    z.transform((v: string | undefined) => v === "true"),
  ),
  DNS_RESOLVER_URL: url("https://cloudflare-dns.com/dns-query"),
});

/** Validated configuration, with Google's URLs defaulted. */
export interface Config {
  googleClientId: string;
  googleClientSecret: string;
  tokenEncryptionKey: string;
  googleAuthUrl: string;
  googleTokenUrl: string;
  googleRevokeUrl: string;
  googleJwksUrl: string;
  googleCalendarApiUrl: string;
  /** Undefined means: the request's origin + `/oauth2callback/`. */
  oauthRedirectUri: string | undefined;
  mailFrom: string | undefined;
  mailFromName: string | undefined;
  googleTimeoutMs: number;
  /**
   * This deployment's public origin (no trailing slash): Google's push notifications go to
   * `{publicUrl}/webhooks/google`. Undefined: no push channels, the periodic sync alone follows Google.
   */
  publicUrl: string | undefined;
  /** Development only: lets webhook endpoints be plain `http://localhost` / `http://127.0.0.1`. */
  webhookAllowLocalhost: boolean;
  /** DNS-over-HTTPS JSON endpoint used to check where a webhook host resolves (RFC 8484 JSON dialect). */
  dnsResolverUrl: string;
}

const cache = new WeakMap<object, Config>();

/**
 * Reads configuration from the Worker's env once per env object. A missing or malformed setting is a
 * 500 `configuration_error` that names the setting, never its value.
 */
export function parseConfig(env: Partial<Record<keyof Env, unknown>>): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  const parsed = ConfigSchema.safeParse(pick(env));
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))];
    throw new ProblemError("configuration_error", {
      detail: `Missing or invalid setting${names.length > 1 ? "s" : ""}: ${names.join(", ")}`,
      extensions: { settings: names },
    });
  }
  const c = parsed.data;
  const config: Config = {
    googleClientId: c.GOOGLE_CLIENT_ID,
    googleClientSecret: c.GOOGLE_CLIENT_SECRET,
    tokenEncryptionKey: c.TOKEN_ENCRYPTION_KEY,
    googleAuthUrl: c.GOOGLE_AUTH_URL,
    googleTokenUrl: c.GOOGLE_TOKEN_URL,
    googleRevokeUrl: c.GOOGLE_REVOKE_URL,
    googleJwksUrl: c.GOOGLE_JWKS_URL,
    googleCalendarApiUrl: c.GOOGLE_CALENDAR_API_URL.replace(/\/+$/, ""),
    oauthRedirectUri: c.OAUTH_REDIRECT_URI,
    mailFrom: c.MAIL_FROM,
    mailFromName: c.MAIL_FROM_NAME,
    googleTimeoutMs: c.GOOGLE_TIMEOUT_MS,
    publicUrl: c.PUBLIC_URL?.replace(/\/+$/, ""),
    webhookAllowLocalhost: c.WEBHOOK_ALLOW_LOCALHOST,
    dnsResolverUrl: c.DNS_RESOLVER_URL,
  };
  cache.set(env, config);
  return config;
}

function pick(env: Partial<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(ConfigSchema.shape)) {
    const value = env[key];
    out[key] = typeof value === "string" ? value : undefined;
  }
  return out;
}

function isBase64Of32Bytes(value: string): boolean {
  try {
    return atob(value).length === 32;
  } catch {
    return false;
  }
}
