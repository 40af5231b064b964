// Fails chosen D1 statements at the binding, the edge where the Worker meets D1, as an outage would: the
// Worker's handlers get the same `env.DB` object as the tests (cloudflare:workers), so a spy on it sees every
// statement the app prepares, whichever module runs it. No module of ours is mocked.
import { env } from "cloudflare:workers";
import { onTestFinished, vi } from "vitest";

/** What a failing statement throws: the shape of D1's own errors. */
export class InjectedD1Error extends Error {
  constructor(sql: string) {
    super(`D1_ERROR: injected failure for: ${sql.slice(0, 80)}`);
  }
}

export interface D1Fault {
  /** How many statements (or batches holding one) failed so far. */
  readonly failures: number;
  /** Stops failing. */
  heal(): void;
}

/**
 * From now on, a statement whose SQL matches `match` fails (alone, or the whole batch it is in, as D1
 * rolls a batch back), `times` times (default: until healed or the test ends).
 */
export function failD1Statements(
  match: RegExp | ((sql: string) => boolean),
  times = Number.POSITIVE_INFINITY,
): D1Fault {
  const matches = typeof match === "function" ? match : (sql: string) => match.test(sql);
  const sqlOf = new WeakMap<object, string>();
  const state = { failures: 0, healed: false };
  const shouldFail = (sql: string | undefined) =>
    !state.healed && state.failures < times && sql !== undefined && matches(sql);
  const fail = (sql: string): never => {
    state.failures++;
    throw new InjectedD1Error(sql);
  };
  const prepare = env.DB.prepare.bind(env.DB);
  const batch = env.DB.batch.bind(env.DB);

  const track = (statement: D1PreparedStatement, sql: string): D1PreparedStatement => {
    sqlOf.set(statement, sql);
    const bind = statement.bind.bind(statement);
    statement.bind = (...values: unknown[]) => track(bind(...values), sql);
    for (const method of ["run", "all", "first", "raw"] as const) {
      const original = (statement[method] as (...args: unknown[]) => unknown).bind(statement);
      (statement as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        if (!shouldFail(sql)) return original(...args);
        state.failures++;
        return Promise.reject(new InjectedD1Error(sql));
      };
    }
    return statement;
  };

  const prepareSpy = vi
    .spyOn(env.DB, "prepare")
    .mockImplementation((sql: string) => track(prepare(sql), sql));
  const batchSpy = vi.spyOn(env.DB, "batch").mockImplementation(async (statements) => {
    const bad = statements.map((s) => sqlOf.get(s)).find((sql) => shouldFail(sql));
    if (bad !== undefined) fail(bad);
    return batch(statements);
  });
  onTestFinished(() => {
    prepareSpy.mockRestore();
    batchSpy.mockRestore();
  });
  return {
    get failures() {
      return state.failures;
    },
    heal() {
      state.healed = true;
    },
  };
}

/**
 * Records the SQL of every statement the app prepares from now on (until the test ends), so a test can
 * check what production D1 enforces and local D1 does not, such as its 100 bound parameters a statement.
 */
export function recordD1Statements(): string[] {
  const seen: string[] = [];
  const prepare = env.DB.prepare.bind(env.DB);
  const spy = vi.spyOn(env.DB, "prepare").mockImplementation((sql: string) => {
    seen.push(sql);
    return prepare(sql);
  });
  onTestFinished(() => spy.mockRestore());
  return seen;
}
