import { drizzle } from "drizzle-orm/d1";

// One drizzle handle per D1 binding object (the binding lives as long as the isolate). Without a schema:
// the service uses query builders only, and a schema makes drizzle rebuild its relational map per handle.
const handles = new WeakMap<D1Database, ReturnType<typeof drizzle<Record<string, never>, D1Database>>>();

/** The drizzle handle over the D1 binding. */
export function createDb(d1: D1Database) {
  let db = handles.get(d1);
  if (!db) {
    db = drizzle(d1);
    handles.set(d1, db);
  }
  return db;
}

export type Db = ReturnType<typeof createDb>;
