import { base64url, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { USERINFO_EMAIL_SCOPE, USERINFO_PROFILE_SCOPE } from "./scopes.ts";
import type { Account } from "./state.ts";

/** Google's ID-token issuer. */
const GOOGLE_ISSUER = "https://accounts.google.com";
const ID_TOKEN_TTL_SECONDS = 3600;

/** Claim overrides a fault applies to an ID token; `null` removes a claim. */
export type ClaimOverrides = Record<string, unknown>;

/** Signs ID tokens and publishes the verifying key, like Google's JWKS. */
export interface IdTokenSigner {
  jwks(): Promise<{ keys: JWK[] }>;
  sign(claims: Record<string, unknown>, options?: { foreignKey?: boolean }): Promise<string>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function createSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { kid, privateKey, publicJwk: { kty: jwk.kty, alg: "RS256", use: "sig", kid, n: jwk.n, e: jwk.e } };
}

function hexKid(): string {
  return [...crypto.getRandomValues(new Uint8Array(20))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A signer whose RS256 key pair is generated on first use and kept for the emulator's lifetime. */
export function createIdTokenSigner(): IdTokenSigner {
  let current: Promise<SigningKey> | undefined;
  let foreign: Promise<SigningKey> | undefined;
  const currentKey = () => {
    current ??= createSigningKey(hexKid());
    return current;
  };
  const foreignKey = (kid: string) => {
    foreign ??= createSigningKey(kid);
    return foreign;
  };
  return {
    async jwks() {
      return { keys: [(await currentKey()).publicJwk] };
    },
    async sign(claims, options = {}) {
      const key = await currentKey();
      // The foreign key reuses the published kid, so verifiers find "their" key and the signature check fails.
      const signingKey = options.foreignKey ? await foreignKey(key.kid) : key;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
        .sign(signingKey.privateKey);
    },
  };
}

/** `at_hash`: base64url of the left half of SHA-256 of the access token (OpenID Connect Core §3.1.3.6). */
async function accessTokenHash(accessToken: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(accessToken)));
  return base64url.encode(digest.slice(0, digest.length / 2));
}

/** What goes into an ID token. */
export interface IdTokenInput {
  account: Account;
  clientId: string;
  scopes: readonly string[];
  accessToken: string;
  nonce?: string;
  nowMs: number;
}

/** The claims Google puts in an ID token for this grant; email and name only with their scopes. */
export async function buildIdTokenClaims(input: IdTokenInput): Promise<Record<string, unknown>> {
  const iat = Math.floor(input.nowMs / 1000);
  const claims: Record<string, unknown> = {
    iss: GOOGLE_ISSUER,
    azp: input.clientId,
    aud: input.clientId,
    sub: input.account.sub,
  };
  if (input.scopes.includes(USERINFO_EMAIL_SCOPE)) {
    claims.email = input.account.email;
    claims.email_verified = true;
  }
  claims.at_hash = await accessTokenHash(input.accessToken);
  if (input.nonce) claims.nonce = input.nonce;
  if (input.scopes.includes(USERINFO_PROFILE_SCOPE)) {
    claims.name = input.account.name;
    claims.given_name = input.account.name.split(" ")[0];
  }
  claims.iat = iat;
  claims.exp = iat + ID_TOKEN_TTL_SECONDS;
  return claims;
}

/** Claims with a fault's overrides applied (`null` deletes the claim). */
export function applyClaimOverrides(claims: Record<string, unknown>, overrides: ClaimOverrides = {}) {
  const result = { ...claims };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === null) delete result[name];
    else result[name] = value;
  }
  return result;
}
