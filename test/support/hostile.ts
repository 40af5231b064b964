// Running hostile cases for test/hostile/, and the checks every hostile answer must pass: no 5xx,
// problem+json from the closed code list, and no write (D1, KV, Google) unless it was valid.
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { PROBLEM_CODES } from "../../src/http/problem";
import type { AuthSpec } from "./arbitraries";
import { TEST_ORIGIN } from "./constants";
import { createEvent } from "./events";
import { callsOf, googleEventsOf } from "./google";
import { type SignedIn, signIn } from "./sign-in";

// ---------------------------------------------------------------------------------------------------------
// Sending

/** One request as a case builds it; `toRequest` turns it into a Request. */
export interface HostileRequest {
  method: string;
  /** Path and query, appended to the test origin as written (the URL parser still normalises it). */
  target: string;
  headers: [string, string][];
  body?: string | Uint8Array;
}

/**
 * Builds the Request, never following redirects. Header values go as given (workerd sends non-ASCII as
 * UTF-8), less NUL, CR and LF, which no HTTP client can put in a header.
 */
export function toRequest(req: HostileRequest): Request {
  const headers = new Headers();
  for (const [name, value] of req.headers) headers.append(name, value.replace(/[\0\r\n]/g, ""));
  const hasBody =
    req.body !== undefined && req.method.toUpperCase() !== "GET" && req.method.toUpperCase() !== "HEAD";
  return new Request(`${TEST_ORIGIN}${req.target}`, {
    method: req.method,
    headers,
    // A redirect is an answer to check, not a link to follow (to Google's consent page).
    redirect: "manual",
    ...(hasBody ? { body: req.body } : {}),
  });
}

/** Sends a hostile request to the Worker's real HTTP surface. */
export function send(req: HostileRequest | Request): Promise<Response> {
  return exports.default.fetch(req instanceof Request ? req : toRequest(req));
}

/** The Authorization header value for a spec, given the tokens to use. */
function authorizationOf(spec: AuthSpec, tokens: { mine: string; other: string }): string | undefined {
  switch (spec.use) {
    case "none":
      return undefined;
    case "raw":
      return spec.value;
    case "token":
      return `${spec.scheme}${spec.gap}${spec.before}${tokens[spec.whose]}${spec.after}`;
    case "twice":
      return undefined;
  }
}

/** Adds the Authorization header(s) of a spec to a header list. */
export function withAuth(
  headers: [string, string][],
  spec: AuthSpec,
  tokens: { mine: string; other: string },
): [string, string][] {
  if (spec.use === "twice") {
    const one = (v: string) => (v === "mine" ? `Bearer ${tokens.mine}` : v);
    return [...headers, ["authorization", one(spec.first)], ["authorization", one(spec.second)]];
  }
  const value = authorizationOf(spec, tokens);
  return value === undefined ? headers : [...headers, ["authorization", value]];
}

/** Which known token, if any, the request presents in a form the contract accepts (`Bearer <token>`). */
export function presentedToken<T extends SignedIn>(request: Request, known: Map<string, T>): T | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.get("authorization") ?? "");
  return match ? known.get(match[1]!) : undefined;
}

/** Whether a Content-Type header names JSON (`application/json` or a `+json` type), as the contract asks. */
export function isJsonMediaType(header: string | null): boolean {
  const type = (header ?? "").split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || /^application\/[\w.+-]+\+json$/.test(type);
}

/** Setup for the item routes: one event of its own (the previous account's is the foreign one). */
export async function oneEventEach(user: SignedIn): Promise<{ eventId: string }> {
  const { res, event } = await createEvent(user.token, { summary: "Hostile target" });
  if (res.status !== 201) throw new Error(`setup create answered ${res.status}`);
  return { eventId: event.id };
}

/** Where a request to /api/events/… lands once the URL parser has normalised it, and on whose event. */
export function eventsTarget(request: Request, caller: (SignedIn & { eventId?: string }) | undefined) {
  const path = new URL(request.url).pathname;
  // strict: false ignores one trailing slash.
  const segments = path.replace(/\/$/, "").split("/").slice(1);
  const isItem =
    segments.length === 3 && segments[0] === "api" && segments[1] === "events" && segments[2] !== "";
  let id: string | undefined;
  try {
    id = isItem ? decodeURIComponent(segments[2]!) : undefined;
  } catch {
    id = segments[2];
  }
  return {
    underEvents: path === "/api/events" || path.startsWith("/api/events/"),
    isCollection: path === "/api/events" || path === "/api/events/",
    isItem,
    isOwn: isItem && caller?.eventId !== undefined && id === caller.eventId,
  };
}

// ---------------------------------------------------------------------------------------------------------
// What every answer must look like

type Expect = typeof import("vitest").expect;

/** An answer as `readAnswer` read it: status, problem code (if any), content type and body. */
export interface Answer {
  status: number;
  code: string | undefined;
  contentType: string;
  json: Record<string, unknown> | undefined;
  text: string;
}

const CODES = Object.keys(PROBLEM_CODES);

/** A HEAD answer has no body: its code is known only where one code alone has its status (401, 404, 429). */
function codeOfStatus(status: number): string | undefined {
  const codes = Object.entries(PROBLEM_CODES).filter(([, p]) => p.status === status);
  return codes.length === 1 ? codes[0]![0] : undefined;
}

/**
 * Reads an answer and checks the invariant: below 500, and every non-2xx/3xx answer is problem+json with a
 * code from PROBLEM_CODES and `status` equal to the HTTP status (HEAD answers carry no body to check).
 * `htmlErrors` allows the OAuth callback's error page for browsers.
 */
export async function readAnswer(
  expect: Expect,
  res: Response,
  context: { method: string; htmlErrors?: boolean; allowedServerError?: string },
): Promise<Answer> {
  const contentType = res.headers.get("content-type") ?? "";
  const text = await res.text();
  const where = `${res.status} ${contentType} ${text.slice(0, 300)}`;
  let json: Record<string, unknown> | undefined;
  if (contentType.includes("json") && text !== "") {
    json = JSON.parse(text) as Record<string, unknown>;
  }
  const head = context.method.toUpperCase() === "HEAD";
  if (res.status >= 400) {
    if (context.htmlErrors && contentType.startsWith("text/html")) {
      const code = /id="error-code">([a-z_]+)</.exec(text)?.[1];
      expect(CODES, where).toContain(code);
      if (!context.allowedServerError || code !== context.allowedServerError)
        expect(res.status, where).toBeLessThan(500);
      return { status: res.status, code, contentType, json, text };
    }
    if (!context.allowedServerError || json?.code !== context.allowedServerError)
      expect(res.status, where).toBeLessThan(500);
    expect(contentType, where).toBe("application/problem+json");
    if (head) return { status: res.status, code: codeOfStatus(res.status), contentType, json, text };
    expect(json, where).toMatchObject({
      status: res.status,
      title: expect.any(String),
      detail: expect.any(String),
    });
    expect(CODES, where).toContain(json!.code);
    expect(json!.type, where).toBe(`https://calendar-edge.dev/problems/${json!.code}`);
    if (json!.code === "validation_failed" && json!.errors !== undefined) {
      expect(json!.errors, where).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ path: expect.any(String), message: expect.any(String) }),
        ]),
      );
    }
    if (res.status === 401) expect(res.headers.get("www-authenticate"), where).toMatch(/^Bearer\b/);
    if (res.status === 429) expect(res.headers.get("retry-after"), where).toMatch(/^\d+$/);
    return { status: res.status, code: json!.code as string, contentType, json, text };
  }
  expect(res.status, where).toBeLessThan(500);
  return { status: res.status, code: undefined, contentType, json, text };
}

/** One line for a failure report: the request as sent and what came back. */
export function describeCase(request: Request, answer: Answer): string {
  return `${request.method} ${request.url.slice(0, 160)} → ${answer.status} ${answer.code ?? ""}`;
}

/** Counts answers by where they were decided: authentication, the rate limiter, or the route itself. */
export class Tally {
  readonly byCode = new Map<string, number>();
  total = 0;
  add(answer: Answer): void {
    this.total++;
    const key = answer.code ?? String(answer.status);
    this.byCode.set(key, (this.byCode.get(key) ?? 0) + 1);
  }
  count(...keys: string[]): number {
    return keys.reduce((sum, key) => sum + (this.byCode.get(key) ?? 0), 0);
  }
  /** Answers not decided by authentication or rate limiting. */
  get reachedRoute(): number {
    return this.total - this.count("unauthorized", "rate_limited");
  }
  /** Most cases got past authentication to the route's own checks, and the rate limiter stayed rare. */
  expectMostlyReachedRoute(expect: Expect): void {
    expect(this.count("rate_limited"), this.toString()).toBeLessThan(this.total * 0.05);
    expect(this.reachedRoute, this.toString()).toBeGreaterThan(this.total / 2);
  }
  toString(): string {
    return JSON.stringify(Object.fromEntries([...this.byCode].sort((a, b) => b[1] - a[1])));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Nothing written unless valid

interface Snapshot {
  events: Map<string, string>;
  outbox: number;
  kv: Map<string, number | undefined>;
  /** Webhook endpoints by id (url and event types), and how many deliveries exist. */
  webhooks: Map<string, string>;
  webhookDeliveries: number;
  grants: Map<string, string | null>;
  calls: Map<string, number>;
}

/**
 * Watches D1 (`events` with their participants and mail, `outbox`, webhook endpoints and deliveries), every
 * KV key, the tracked accounts' grants and their calls at the Google emulator. Between two `verify()` calls,
 * only what `allow…` declared (because a request was valid and answered 2xx) may change. Storage is per test
 * file, so all of it is ours.
 */
export class WriteWatch {
  private base: Snapshot | undefined;
  private readonly tracked = new Map<string, SignedIn>();
  private allowedEvents = new Set<string>();
  private allowedCalls = new Map<string, number>();
  private allowedKvAdds: string[] = [];
  private allowedKvRemoves = new Set<string>();
  private allowedWebhooks = new Set<string>();
  private changed = false;
  private since = 0;
  /** The cases since the last verify, so a failure names every request that could have written. */
  private window: string[] = [];
  /** Accounts whose events must each have exactly one Google event. */
  private readonly creators = new Set<string>();

  /** Follows an account's grant and emulator calls from the next baseline on. */
  track(user: SignedIn): void {
    this.tracked.set(user.email, user);
  }

  untrack(user: SignedIn): void {
    this.tracked.delete(user.email);
  }

  async baseline(): Promise<void> {
    this.startWindow(await this.snapshot());
  }

  /** A valid request may have written this event (and its mail) and called Google up to `calls` times. */
  allowEventWrite(user: SignedIn, eventId: string, calls: number): void {
    this.allowedEvents.add(eventId);
    this.allowCalls(user, calls);
    this.creators.add(user.email);
    this.changed = true;
  }

  allowCalls(user: SignedIn, calls: number): void {
    this.allowedCalls.set(user.email, (this.allowedCalls.get(user.email) ?? 0) + calls);
  }

  /** A KV key may appear: an exact name, or a prefix ending in ':' for a name the test cannot see. */
  allowKvAdd(nameOrPrefix: string): void {
    this.allowedKvAdds.push(nameOrPrefix);
  }

  allowKvRemove(name: string): void {
    this.allowedKvRemoves.add(name);
  }

  /** A valid request may have registered or deleted this webhook endpoint (and its deliveries). */
  allowWebhookChange(endpointId: string): void {
    this.allowedWebhooks.add(endpointId);
    this.changed = true;
  }

  /** Counts a case (`summary` names it in a failure report); verifies every `every` cases and after writes. */
  async afterCase(every: number, summary = ""): Promise<void> {
    this.since++;
    this.window.push(summary);
    if (this.changed || this.since >= every) await this.verify();
  }

  /**
   * Compares storage with the baseline and what was allowed since, then takes a new baseline. `full` also
   * checks every tracked account's events against Google (otherwise only the accounts that just wrote).
   */
  async verify(full = false): Promise<void> {
    const before = this.base;
    if (!before) throw new Error("WriteWatch.verify() before baseline()");
    const after = await this.snapshot();
    const problems: string[] = [];

    for (const id of new Set([...before.events.keys(), ...after.events.keys()])) {
      if (before.events.get(id) !== after.events.get(id) && !this.allowedEvents.has(id)) {
        problems.push(
          `D1 event ${id}: ${before.events.get(id) ?? "(none)"} → ${after.events.get(id) ?? "(gone)"}`,
        );
      }
    }
    for (const id of new Set([...before.webhooks.keys(), ...after.webhooks.keys()])) {
      if (before.webhooks.get(id) !== after.webhooks.get(id) && !this.allowedWebhooks.has(id)) {
        problems.push(
          `webhook endpoint ${id}: ${before.webhooks.get(id) ?? "(none)"} → ${after.webhooks.get(id) ?? "(gone)"}`,
        );
      }
    }
    if (after.webhookDeliveries > before.webhookDeliveries && this.allowedEvents.size === 0) {
      problems.push(`${after.webhookDeliveries - before.webhookDeliveries} webhook deliveries written`);
    }
    const mails = [...after.events.values()].reduce((sum, row) => sum + Number(row.split("|")[4]), 0);
    if (after.outbox !== mails) problems.push(`outbox has ${after.outbox} rows, events account for ${mails}`);

    // New keys: each must be one the valid requests named, or else fill one of their unnamed (prefix) slots.
    const exact = new Set(this.allowedKvAdds.filter((a) => !a.endsWith(":")));
    const prefixes = this.allowedKvAdds.filter((a) => a.endsWith(":"));
    const unexplained = [...after.kv.keys()]
      .filter((key) => !before.kv.has(key) && !exact.has(key))
      .filter((key) => {
        const i = prefixes.findIndex((prefix) => key.startsWith(prefix));
        if (i !== -1) prefixes.splice(i, 1);
        return i === -1;
      });
    if (unexplained.length > 0) problems.push(`new KV keys: ${unexplained.slice(0, 5).join(", ")}`);
    const missing = [...exact].filter((key) => !after.kv.has(key) && !this.allowedKvRemoves.has(key));
    if (missing.length > 0) problems.push(`expected KV keys missing: ${missing.join(", ")}`);
    const removed = [...before.kv.keys()].filter((k) => !after.kv.has(k) && !this.allowedKvRemoves.has(k));
    if (removed.length > 0) problems.push(`KV keys removed: ${removed.slice(0, 5).join(", ")}`);
    for (const [key, expiration] of after.kv) {
      if (before.kv.has(key) && before.kv.get(key) !== expiration) problems.push(`KV key ${key} rewritten`);
    }
    for (const [id, value] of after.grants) {
      const user = [...this.tracked.values()].find((u) => u.accountId === id);
      const mayChange = user && (this.allowedCalls.get(user.email) ?? 0) > 0;
      if (before.grants.has(id) && before.grants.get(id) !== value && !mayChange)
        problems.push(`grant ${id} rewritten`);
    }
    for (const [email, count] of after.calls) {
      const was = before.calls.get(email);
      if (was === undefined) continue;
      const allowed = this.allowedCalls.get(email) ?? 0;
      if (count - was > allowed || (allowed === 0 && count !== was)) {
        problems.push(`${count - was} Google call(s) for ${email}, ${allowed} allowed`);
      }
    }
    for (const email of this.creators) {
      const user = this.tracked.get(email);
      if (user && (full || this.allowedCalls.has(email)))
        problems.push(...(await oneGoogleEventPerRow(user)));
    }
    if (problems.length > 0) {
      const cases = this.window.map((c, i) => `${i + 1}. ${c}`).join("\n  ");
      // Re-baseline so a shrinking run is judged on its own writes, not on this one's.
      await this.baseline();
      throw new Error(
        `written without a valid request:\n  ${problems.join("\n  ")}\nin these cases:\n  ${cases}`,
      );
    }
    this.startWindow(after);
  }

  /** Judges what follows against `base`, with nothing allowed yet. */
  private startWindow(base: Snapshot): void {
    this.base = base;
    this.allowedEvents = new Set();
    this.allowedCalls = new Map();
    this.allowedKvAdds = [];
    this.allowedKvRemoves = new Set();
    this.allowedWebhooks = new Set();
    this.changed = false;
    this.since = 0;
    this.window = [];
  }

  private async snapshot(): Promise<Snapshot> {
    const users = [...this.tracked.values()];
    const [rows, kv, grants, calls] = await Promise.all([
      env.DB.batch<Record<string, unknown>>([
        env.DB.prepare(
          `SELECT e.id, e.status || '|' || e.sequence || '|' || coalesce(e.pending_op, '') || '|' ||
             e.updated_at || '|' || (SELECT count(*) FROM outbox o WHERE o.event_id = e.id) || '|' ||
             (SELECT count(*) FROM participants p WHERE p.event_id = e.id) || '|' || e.google_event_id AS row
           FROM events e`,
        ),
        env.DB.prepare("SELECT count(*) AS n FROM outbox"),
        env.DB.prepare("SELECT id, url || '|' || event_types AS row FROM webhook_endpoints"),
        env.DB.prepare("SELECT count(*) AS n FROM webhook_deliveries"),
      ]),
      listKv(),
      Promise.all(
        users.map(async (u) => [u.accountId, await env.TOKENS.get(`grant:${u.accountId}`)] as const),
      ),
      Promise.all(users.map(async (u) => [u.email, (await callsOf(u.email)).length] as const)),
    ]);
    return {
      events: new Map(rows[0]!.results.map((r) => [String(r.id), String(r.row)])),
      outbox: Number(rows[1]!.results[0]!.n),
      webhooks: new Map(rows[2]!.results.map((r) => [String(r.id), String(r.row)])),
      webhookDeliveries: Number(rows[3]!.results[0]!.n),
      kv,
      grants: new Map(grants),
      calls: new Map(calls),
    };
  }
}

async function listKv(): Promise<Map<string, number | undefined>> {
  const keys = new Map<string, number | undefined>();
  let cursor: string | undefined;
  do {
    const page = await env.TOKENS.list(cursor ? { cursor } : {});
    for (const key of page.keys) keys.set(key.name, key.expiration);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return keys;
}

/** Every D1 event of the account has exactly one Google event, and Google has no others. */
async function oneGoogleEventPerRow(user: SignedIn): Promise<string[]> {
  const [rows, google] = await Promise.all([
    env.DB.prepare("SELECT google_event_id FROM events WHERE account_id = ?")
      .bind(user.accountId)
      .all<{ google_event_id: string }>(),
    googleEventsOf(user.email),
  ]);
  const mine = rows.results.map((r) => r.google_event_id).sort();
  const theirs = google.map((g) => g.id).sort();
  return JSON.stringify(mine) === JSON.stringify(theirs)
    ? []
    : [`${user.email}: D1 holds Google ids ${JSON.stringify(mine)}, Google holds ${JSON.stringify(theirs)}`];
}

// ---------------------------------------------------------------------------------------------------------
// Tokens that stay under the rate limit

/**
 * The per-token budget is 120 requests / 60 s. A token is retired before it, leaving room for its use as the
 * "other" token afterwards (1 case in 20) and for its account's setup requests.
 */
const REQUESTS_PER_TOKEN = 100;

/**
 * Hands out API tokens: `mine` is retired after REQUESTS_PER_TOKEN authenticated requests and becomes
 * `other` (another account's valid token). Each new account gets `setup` run for it (e.g. an event).
 */
export class Callers<Extra> {
  mine!: SignedIn & Extra;
  other!: SignedIn & Extra;
  private uses = 0;
  readonly known = new Map<string, SignedIn & Extra>();

  constructor(
    private readonly watch: WriteWatch,
    private readonly setup: (user: SignedIn) => Promise<Extra>,
  ) {}

  async start(): Promise<void> {
    this.other = await this.fresh();
    this.mine = await this.fresh();
    this.watch.track(this.other);
    this.watch.track(this.mine);
    await this.watch.baseline();
  }

  /** Call before a request that presents a valid token: retires `mine` when its budget is spent. */
  async spend(): Promise<void> {
    if (++this.uses <= REQUESTS_PER_TOKEN) return;
    await this.watch.verify(true);
    this.watch.untrack(this.other);
    this.other = this.mine;
    this.mine = await this.fresh();
    this.watch.track(this.mine);
    await this.watch.baseline();
    this.uses = 1;
  }

  tokens(): { mine: string; other: string } {
    return { mine: this.mine.token, other: this.other.token };
  }

  private async fresh(): Promise<SignedIn & Extra> {
    const user = await signIn();
    const full = { ...user, ...(await this.setup(user)) };
    this.known.set(user.token, full);
    return full;
  }
}

// ---------------------------------------------------------------------------------------------------------
// One route's property

/** What a case sends, with anything else its check needs from the time it was built. */
export interface Prepared {
  request: Request;
  /** Passed on to `readAnswer` (the method is the request's). */
  read?: { htmlErrors?: boolean; allowedServerError?: string };
  /** Added to the case's line in a failure report. */
  note?: string;
}

/** What a route's `check` gets besides the answer: the prepared case, the case, the raw response, the watch. */
type CheckContext<C, P, Caller> = P & {
  c: C;
  /** The account whose valid token the request presents, if any. */
  caller: Caller | undefined;
  response: Response;
  watch: WriteWatch;
};

/** What every route property names: its cases, how often storage is verified, and its own checks. */
interface RoutePropertyBase<C, P, Caller> {
  expect: Expect;
  cases: fc.Arbitrary<C>;
  /** Storage is verified every this many cases (and after every allowed write). */
  every: number;
  /** Cases to run (2,000 unless told). */
  numRuns?: number;
  /** The route's own checks, after `readAnswer` has checked the invariant. */
  check: (answer: Answer, context: CheckContext<C, P, Caller>) => void | Promise<void>;
}

/** What every case of a route that needs API tokens carries: how it presents one, and noise headers. */
interface SignedInCase {
  auth: AuthSpec;
  noise: [string, string][];
}

/** A property over a route that needs API tokens: each case presents rotating tokens of fresh accounts. */
interface SignedInProperty<C extends SignedInCase, U, P extends Prepared>
  extends RoutePropertyBase<C, P, SignedIn & U> {
  /** Run for each new account (e.g. to give it an event). */
  accounts: (user: SignedIn) => Promise<U>;
  /** Builds a case's request; `headers` already hold its noise and Authorization header(s). */
  prepare: (
    c: C,
    context: { watch: WriteWatch; callers: Callers<U>; headers: [string, string][] },
  ) => P | Promise<P>;
}

/** A property over a route that needs no API token. */
interface PublicProperty<C, P extends Prepared> extends RoutePropertyBase<C, P, never> {
  /** A watch the test has already baselined (default: a new one). */
  watch?: WriteWatch;
  /** Builds a case's request. */
  prepare: (c: C, context: { watch: WriteWatch }) => P | Promise<P>;
}

/**
 * Runs `numRuns` (2,000) cases of a route's property: sends each case's request, checks the invariant
 * (`readAnswer`) and the route's own checks, tallies the answer and watches storage, then verifies it all.
 */
export function runRouteProperty<C extends SignedInCase, U, P extends Prepared>(
  property: SignedInProperty<C, U, P>,
): Promise<Tally>;
export function runRouteProperty<C, P extends Prepared>(property: PublicProperty<C, P>): Promise<Tally>;
export async function runRouteProperty<C, U, P extends Prepared>(
  property: SignedInProperty<C & SignedInCase, U, P> | PublicProperty<C, P>,
): Promise<Tally> {
  const { expect, every, numRuns = 2_000 } = property;
  const signedIn = "accounts" in property;
  const watch = (!signedIn && property.watch) || new WriteWatch();
  const callers = signedIn ? new Callers(watch, property.accounts) : undefined;
  if (callers) await callers.start();
  else if (!signedIn && !property.watch) await watch.baseline();
  const tally = new Tally();

  await fc.assert(
    fc.asyncProperty(property.cases as fc.Arbitrary<C & SignedInCase>, async (c) => {
      let prepared: P;
      if (signedIn) {
        if (c.auth.use === "token" || c.auth.use === "twice") await callers!.spend();
        const headers = withAuth([...c.noise], c.auth, callers!.tokens());
        prepared = await property.prepare(c, { watch, callers: callers!, headers });
      } else prepared = await property.prepare(c, { watch });
      const { request } = prepared;
      const caller = callers && presentedToken(request, callers.known);
      const response = await send(request);
      const answer = await readAnswer(expect, response, { method: request.method, ...prepared.read });
      tally.add(answer);
      const check = property.check as RoutePropertyBase<C, P, SignedIn & U>["check"];
      await check(answer, { ...prepared, c, caller, response, watch });
      const line = describeCase(request, answer);
      await watch.afterCase(every, prepared.note === undefined ? line : `${line} (${prepared.note})`);
    }),
    { numRuns },
  );
  await watch.verify(true);
  return tally;
}
