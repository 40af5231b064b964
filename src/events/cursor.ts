import * as z from "zod/mini";
import { validationFailed } from "../http/problem";
import { fromBase64Url, toBase64Url } from "../tokens/crypto";

const CursorSchema = z.lazy(() =>
  z.strictObject({ s: z.iso.datetime(), i: z.string().check(z.maxLength(64)) }),
);

/** Opaque keyset cursor: the (start, id) of the last event on the previous page. */
export function encodeCursor(position: { start: string; id: string }): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify({ s: position.start, i: position.id })));
}

export function decodeCursor(cursor: string): { start: string; id: string } {
  try {
    const parsed = CursorSchema.parse(JSON.parse(new TextDecoder().decode(fromBase64Url(cursor))));
    return { start: parsed.s, id: parsed.i };
  } catch {
    throw validationFailed([{ path: "cursor", message: "is not a cursor returned by this API" }]);
  }
}
