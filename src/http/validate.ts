import type { Context } from "hono";
import { en } from "zod/locales";
import * as z from "zod/mini";
import { type FieldError, ProblemError, validationFailed } from "./problem";

// zod/mini ships no locale: without this every default message (`Too big: expected string to have <=64
// characters`) would read `Invalid input`. Process-wide, so it also covers schemas parsed elsewhere.
z.config(en());

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads a JSON body and validates it: wrong media type 415, over 64 KiB 413, empty or malformed 400
 * `invalid_json`, schema failures 422 `validation_failed` listing every field.
 */
export async function parseJsonBody<T extends z.ZodMiniType>(c: Context, schema: T): Promise<z.infer<T>> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json" && !/^application\/[\w.+-]+\+json$/.test(type)) {
    throw new ProblemError("unsupported_media_type", {
      detail: "Send the body as JSON with 'Content-Type: application/json'.",
    });
  }
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const bytes = await readCapped(c.req.raw.body, MAX_BODY_BYTES);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ProblemError("invalid_json", { detail: "The body is not valid UTF-8." });
  }
  if (text.trim() === "")
    throw new ProblemError("invalid_json", { detail: "The body is empty; send a JSON object." });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProblemError("invalid_json", { detail: "The body is not valid JSON." });
  }
  return parseWith(schema, value);
}

/** Validates the query string against a schema (unknown parameters rejected by strict schemas). */
export function parseQuery<T extends z.ZodMiniType>(c: Context, schema: T): z.infer<T> {
  return parseWith(schema, c.req.query());
}

/** Validates a value, throwing `validation_failed` with every issue. */
export function parseWith<T extends z.ZodMiniType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationFailed(toFieldErrors(parsed.error));
  return parsed.data;
}

/** Every issue as `{ path, message }`: dotted paths, unknown keys named in the message. */
export function toFieldErrors(error: z.core.$ZodError): FieldError[] {
  return error.issues.map((issue) => {
    const unknownKeys = issue.code === "unrecognized_keys" ? issue.keys : [];
    const path = [...issue.path, ...(unknownKeys.length === 1 ? unknownKeys : [])].map(String).join(".");
    return {
      path: path || (unknownKeys.length > 1 ? unknownKeys.join(",") : ""),
      message:
        unknownKeys.length > 0
          ? `unknown field${unknownKeys.length > 1 ? "s" : ""}: ${unknownKeys.join(", ")}`
          : issue.message,
    };
  });
}

/** Reads a body stream, giving up as soon as it passes `max` bytes (no unbounded buffering). */
async function readCapped(stream: ReadableStream<Uint8Array> | null, max: number): Promise<Uint8Array> {
  if (!stream) return new Uint8Array();
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function tooLarge(): ProblemError {
  return new ProblemError("payload_too_large", {
    detail: `The body must be at most ${MAX_BODY_BYTES} bytes.`,
  });
}
