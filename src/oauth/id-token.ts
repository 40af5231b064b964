import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import type { Config } from "../config";
import { ProblemError } from "../http/problem";

/** Google signs ID tokens with either spelling of its issuer. */
export const GOOGLE_ISSUERS = ["https://accounts.google.com", "accounts.google.com"];

// One key set per JWKS URL for the isolate's lifetime: jose caches keys and refetches on an unknown kid.
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/** The identity an ID token proves. */
export interface GoogleIdentity {
  sub: string;
  email: string;
}

/** Verifies signature (RS256, Google's keys), issuer, audience = our client id, and expiry. */
export async function verifyGoogleIdToken(
  config: Config,
  idToken: string | undefined,
): Promise<GoogleIdentity> {
  if (!idToken) throw invalid("Google's token response carried no ID token.");
  let keySet = keySets.get(config.googleJwksUrl);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(config.googleJwksUrl), { timeoutDuration: config.googleTimeoutMs });
    keySets.set(config.googleJwksUrl, keySet);
  }
  try {
    const { payload } = await jwtVerify(idToken, keySet, {
      issuer: GOOGLE_ISSUERS,
      audience: config.googleClientId,
      algorithms: ["RS256"],
      requiredClaims: ["sub", "exp", "iat"],
    });
    if (typeof payload.sub !== "string" || typeof payload.email !== "string" || payload.email === "") {
      throw invalid("Google's ID token has no subject or email.");
    }
    return { sub: payload.sub, email: payload.email.toLowerCase() };
  } catch (err) {
    if (err instanceof ProblemError) throw err;
    if (err instanceof errors.JWKSTimeout || (err instanceof Error && err.name === "TypeError")) {
      throw new ProblemError("google_unavailable", {
        detail: "Could not load Google's signing keys",
        internal: err instanceof errors.JOSEError ? `${err.code}: ${err.message}` : String(err),
      });
    }
    const code = err instanceof errors.JOSEError ? err.code : "ERR_UNKNOWN";
    throw invalid(`Google's ID token failed verification (${code}).`);
  }
}

function invalid(detail: string): ProblemError {
  return new ProblemError("invalid_id_token", { detail });
}
