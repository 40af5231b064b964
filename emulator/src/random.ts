const URL_SAFE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** The characters Google allows in event ids (base32hex, lowercase). */
const BASE32HEX_ALPHABET = "0123456789abcdefghijklmnopqrstuv";
const LOWERCASE_ALPHABET = "abcdefghijklmnopqrstuvwxyz";

/** A random string of `length` characters drawn from `alphabet` (URL-safe base64 characters by default). */
export function randomString(length: number, alphabet = URL_SAFE_ALPHABET): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

/** A server-generated event id: 26 base32hex characters, like Google's. */
export function randomEventId(): string {
  return randomString(26, BASE32HEX_ALPHABET);
}

/** A Meet code shaped like Google's `abc-defg-hij`. */
export function randomMeetCode(): string {
  const part = (length: number) => randomString(length, LOWERCASE_ALPHABET);
  return `${part(3)}-${part(4)}-${part(3)}`;
}
