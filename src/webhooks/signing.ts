// Standard Webhooks signatures (standardwebhooks.com, "Signature scheme"): HMAC-SHA256 with the endpoint's
// secret over "{webhook-id}.{webhook-timestamp}.{body}", sent as `webhook-signature: v1,<base64>`. WebCrypto
// does the HMAC natively; the `standardwebhooks` package would add a pure-JS SHA-256 to the bundle for the
// same ten lines. The tests verify every delivery with that package, so the two cannot drift apart.

const encoder = new TextEncoder();

/** The prefix Standard Webhooks libraries strip before base64-decoding a secret. */
export const WEBHOOK_SECRET_PREFIX = "whsec_";

/** A fresh signing secret: `whsec_` + base64 of 32 random bytes, the form receivers' libraries accept. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** The three Standard Webhooks headers for one attempt; `timestamp` is in seconds. */
export async function signatureHeaders(
  secret: string,
  messageId: string,
  timestamp: number,
  body: string,
): Promise<Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string>> {
  const key = await crypto.subtle.importKey(
    "raw",
    fromBase64(secret.slice(WEBHOOK_SECRET_PREFIX.length)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${messageId}.${timestamp}.${body}`));
  return {
    "webhook-id": messageId,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": `v1,${toBase64(new Uint8Array(mac))}`,
  };
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}
