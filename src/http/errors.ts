import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../types";
import { ProblemError } from "./problem";

/** Turns anything thrown into problem+json; unknown errors become a 500 that reveals nothing. */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  const problem = toProblem(err);
  if (problem.status >= 500) logFailure(c, err, problem);
  return problem.getResponse(c.req.path);
};

export const onNotFound: NotFoundHandler<AppEnv> = (c) =>
  new ProblemError("not_found", { detail: `No route for ${c.req.method} ${c.req.path}` }).getResponse(
    c.req.path,
  );

function toProblem(err: unknown): ProblemError {
  if (err instanceof ProblemError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 413) return new ProblemError("payload_too_large");
    if (err.status === 401) return new ProblemError("unauthorized");
    if (err.status === 404) return new ProblemError("not_found");
    if (err.status === 405) return new ProblemError("method_not_allowed");
    if (err.status < 500) return new ProblemError("validation_failed", { status: err.status });
  }
  // D1's own errors (`D1_ERROR: …`): an outage or overload of the database, not a bug of the request.
  if (err instanceof Error && err.message.startsWith("D1_")) {
    return new ProblemError("storage_unavailable", {
      detail: "The database did not complete the request. Nothing half-done is kept; retry in a moment.",
      headers: { "retry-after": "5" },
      internal: err.message.slice(0, 300),
    });
  }
  return new ProblemError("internal_error", {
    detail: "An unexpected error occurred. Quote the request id when reporting it.",
  });
}

function logFailure(c: Context<AppEnv>, err: unknown, problem: ProblemError): void {
  const error = err instanceof Error ? err : new Error(String(err));
  console.error(
    JSON.stringify({
      level: "error",
      request_id: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      code: problem.code,
      error: error.name,
      message: problem.internal ?? error.message,
      stack: err instanceof ProblemError ? undefined : error.stack,
    }),
  );
}
