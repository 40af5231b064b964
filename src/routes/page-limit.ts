import * as z from "zod/mini";

/** A `limit` query parameter: a whole number from 1 to 100 given as text, optional (the route's default). */
export function pageLimit(description: string) {
  return z
    .optional(
      z.pipe(
        z.pipe(
          z.string().check(z.regex(/^\d{1,3}$/, { message: "must be a whole number from 1 to 100" })),
          z.transform(Number),
        ),
        z.number().check(z.int(), z.gte(1), z.lte(100)),
      ),
    )
    .check(z.meta({ description }));
}
