// Layer: contract over HTTP (exports.default.fetch), property-based (fast-check) with the Google emulator and
// local D1/KV. Issue "Hostile input (in CI)": the routes that need no API token. GET /health, /openapi.json,
// /docs and paths or methods no route has, under odd methods, queries, bodies, headers and path tricks; the
// OAuth routes GET /api/google-auth/ (odd methods, queries, Accept, cookies, client addresses) and
// GET /oauth2callback/ (code/state/error/scope garbage, with and without the binding cookie, for API clients
// and browsers).
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, it } from "vitest";
import {
  ANY_METHOD,
  asciiText,
  authSpec,
  bodyOf,
  bodySpec,
  contentType,
  encodeURIComponentLoose,
  mostlyMethod,
  noiseHeaders,
  oddText,
  queryString,
  wrongType,
} from "../support/arbitraries";
import { type Answer, runRouteProperty, send, toRequest, WriteWatch, withAuth } from "../support/hostile";
import { consent } from "../support/sign-in";

const FAKE_TOKENS = { mine: "cek_0000000000000000000000000000000000000000000", other: "cek_x" };

/** Anything a client might send along: odd methods, queries, bodies, tokens and headers. */
const extras = fc.record({
  method: fc.oneof({ weight: 20, arbitrary: fc.constant("GET") }, fc.constantFrom(...ANY_METHOD)),
  suffix: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom("", "/", "/.", "?") },
    fc.constantFrom("//", "/..", "%2F", "%00", "/x", "%20", ";x"),
  ),
  query: queryString(["format", "callback", "url", "v"], oddText(30)),
  auth: authSpec(1),
  type: fc.option(contentType, { nil: undefined }),
  body: fc.option(bodySpec(wrongType), { nil: undefined, freq: 3 }),
  noise: noiseHeaders,
});
type Extras = typeof extras extends fc.Arbitrary<infer T> ? T : never;

function requestTo(path: string, c: Extras): Request {
  const headers = withAuth([...c.noise], c.auth, FAKE_TOKENS);
  if (c.type !== undefined) headers.push(["content-type", c.type]);
  const body = c.body && bodyOf(c.body);
  return toRequest({
    method: c.method,
    target: `${path}${c.suffix}?${c.query}`,
    headers,
    ...(body ? { body } : {}),
  });
}

/** The fixed public GET routes; anything else answered 2xx here would be a route nobody declared. */
const PUBLIC_GETS = new Set(["/health", "/openapi.json", "/docs"]);

/** Every declared path (besides /api/events/…), trailing slash removed. */
const DECLARED =
  /^\/(health|openapi\.json|docs|api\/me|api\/google-auth|api\/google-auth\/revoke|oauth2callback)$/;

function isPublicGet(request: Request): boolean {
  const path = new URL(request.url).pathname.replace(/(.)\/$/, "$1");
  return PUBLIC_GETS.has(path) && (request.method === "GET" || request.method === "HEAD");
}

/** What a 200 from each public route looks like (a HEAD answer has no body). */
const PUBLIC_ROUTES: [string, (answer: Answer) => boolean][] = [
  ["/health", (a) => a.json === undefined || JSON.stringify(a.json) === '{"status":"ok"}'],
  ["/openapi.json", (a) => a.contentType.startsWith("application/json")],
  ["/docs", (a) => a.contentType.startsWith("text/html")],
];

describe("public routes and unknown paths under hostile input", () => {
  for (const [path, looksRight] of PUBLIC_ROUTES) {
    it(`${path}: a 200 for GET/HEAD whatever else comes along, a coded problem otherwise, nothing written`, {
      timeout: 120_000,
    }, async ({ expect }) => {
      const tally = await runRouteProperty({
        expect,
        every: 200,
        cases: extras,
        prepare: (c) => {
          const request = requestTo(path, c);
          return { request };
        },
        check: (answer, { request }) => {
          if (isPublicGet(request)) {
            expect(answer.status).toBe(200);
            expect(looksRight(answer), answer.contentType).toBe(true);
          } else expect(answer.status).toBeGreaterThanOrEqual(400);
        },
      });
      expect(tally.count("200"), tally.toString()).toBeGreaterThan(tally.total * 0.7);
    });
  }

  it("unknown paths and methods: a coded 4xx (401 under /api/events/), never a 2xx, nothing written", {
    timeout: 120_000,
  }, async ({ expect }) => {
    const segment = fc.oneof(
      fc.constantFrom(
        "..",
        ".",
        "",
        "%2e%2e",
        "%2F",
        "%00",
        "%ZZ",
        "%",
        "~",
        "*",
        ";x",
        "index.html",
        "..%2F",
        "%c0%af",
      ),
      asciiText(12).map(encodeURIComponentLoose),
      oddText(12).map(encodeURIComponentLoose),
      fc.integer({ min: 1_000, max: 10_000 }).map((n) => "s".repeat(n)),
    );
    const tally = await runRouteProperty({
      expect,
      every: 200,
      cases: fc.record({
        prefix: fc.constantFrom(
          "",
          "/api",
          "/api/events/x",
          "/api/me",
          "/api/google-auth/revoke",
          "/oauth2callback",
          "/docs",
          "/docs/vendor",
          "/health",
          "/openapi.json",
          "/.well-known",
          "/API/EVENTS",
        ),
        segments: fc.array(segment, { minLength: 1, maxLength: 4 }),
        extras,
      }),
      prepare: ({ prefix, segments, extras: c }) => {
        // A "z" segment first, so only `..` tricks can lead back to a declared route.
        const path = `${prefix}/${["z", ...segments].join("/")}`;
        const request = requestTo(path, { ...c, suffix: "" });
        // `..` segments can bring a path back onto a declared route: then only the invariant applies (and a
        // consent start may write its state record, the OAuth callback answer browsers with a page).
        const landed = new URL(request.url).pathname.replace(/(.)\/$/, "$1");
        return {
          request,
          landed,
          read: { htmlErrors: landed === "/oauth2callback" },
        };
      },
      check: (answer, { landed, watch }) => {
        if (/^\/api\/google-auth$/.test(landed) && answer.status < 400) watch.allowKvAdd("oauth:state:");
        if (landed.startsWith("/api/events")) expect(["unauthorized", "not_found"]).toContain(answer.code);
        else if (!DECLARED.test(landed)) expect(answer.code).toBe("not_found");
      },
    });
    expect(tally.count("not_found"), tally.toString()).toBeGreaterThan(tally.total / 2);
  });
});

const COOKIE = "__Host-calendar_edge_oauth";
const AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth?";

const accept = fc.constantFrom(
  undefined,
  "application/json",
  "application/json",
  "text/html",
  "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
  "application/json, text/html",
  "*/*",
  "application/problem+json",
  "image/png",
  "",
);

/** Mostly a distinct client address per case, so the per-address consent budget is rarely what answers. */
const clientAddress = fc.oneof(
  { weight: 10, arbitrary: fc.ipV4() },
  { weight: 3, arbitrary: fc.ipV6() },
  { weight: 2, arbitrary: fc.tuple(asciiText(30), fc.uuid()).map(([junk, id]) => `${junk}${id}`) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, "", "unknown", "127.0.0.1, 10.0.0.1", "::1") },
);

/** Starts a consent as a browser would (the state and cookie a later callback can present). */
async function startConsent(): Promise<{ state: string; cookie: string }> {
  const res = await send(
    new Request("https://calendar-edge.test/api/google-auth/", {
      headers: { accept: "application/json", "cf-connecting-ip": `198.18.${crypto.randomUUID()}` },
    }),
  );
  if (res.status !== 200) throw new Error(`consent start answered ${res.status}`);
  const url = new URL(((await res.json()) as { authorization_url: string }).authorization_url);
  return {
    state: url.searchParams.get("state")!,
    cookie: (res.headers.get("set-cookie") ?? "").split(";")[0]!,
  };
}

describe("the OAuth routes under hostile input", () => {
  it("GET /api/google-auth/: never 5xx; a redirect or JSON with a state and cookie, one KV record each", {
    timeout: 180_000,
  }, async ({ expect }) => {
    const tally = await runRouteProperty({
      expect,
      every: 100,
      cases: fc.record({
        method: mostlyMethod("GET", "HEAD", "POST", "PUT", "DELETE"),
        path: fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom("/api/google-auth/", "/api/google-auth") },
          fc.constantFrom(
            "/api/google-auth//",
            "/api/google-auth/x",
            "/api/google-auth/%2e",
            "/api//google-auth/",
          ),
        ),
        query: queryString(["state", "redirect_uri", "prompt", "scope", "client_id"], oddText(30)),
        accept,
        ip: clientAddress,
        cookie: fc.option(fc.oneof(asciiText(60), fc.constant(`${COOKIE}=forged; ${COOKIE}=again`)), {
          nil: undefined,
        }),
        noise: noiseHeaders,
      }),
      prepare: (c) => {
        const headers: [string, string][] = [...c.noise];
        if (c.accept !== undefined) headers.push(["accept", c.accept]);
        if (c.ip !== undefined) headers.push(["cf-connecting-ip", c.ip]);
        if (c.cookie !== undefined) headers.push(["cookie", c.cookie]);
        const request = toRequest({ method: c.method, target: `${c.path}?${c.query}`, headers });
        return { request };
      },
      check: (answer, { request, watch, response }) => {
        const location = response.headers.get("location");
        const setCookie = response.headers.get("set-cookie") ?? "";
        const route = /^\/api\/google-auth\/?$/.test(new URL(request.url).pathname);
        const readable = request.method === "GET" || request.method === "HEAD";
        if (!route || !readable) expect(answer.code).toBe("not_found");
        else if (answer.code !== "rate_limited") {
          expect([200, 302]).toContain(answer.status);
          expect(setCookie).toMatch(new RegExp(`^${COOKIE}=[A-Za-z0-9_-]+;`));
          const url =
            answer.status === 302 ? location : (answer.json?.authorization_url as string | undefined);
          if (url) {
            expect(url.startsWith(AUTH_URL)).toBe(true);
            // The one record this start may write (the watch checks it is there).
            watch.allowKvAdd(`oauth:state:${new URL(url).searchParams.get("state")}`);
          } else {
            expect(request.method).toBe("HEAD");
            watch.allowKvAdd("oauth:state:");
          }
        }
      },
    });
    tally.expectMostlyReachedRoute(expect);
  });

  // The one 5xx allowed: Google's token endpoint refusing a forged code is a 502 by the contract.
  it("GET /oauth2callback/: a coded 4xx problem or error page; a state is used up only by its own browser", {
    timeout: 180_000,
  }, async ({ expect }) => {
    const watch = new WriteWatch();
    await watch.baseline();
    // `current` is live until a valid callback uses it up; `foreign` is another browser's live consent;
    // `used` was used up already. Starting consents is costly, so one serves every case until it is used.
    let current = await startConsent();
    let foreign = await startConsent();
    let used = await startConsent();
    await (await callback(used, "error=access_denied")).arrayBuffer();
    for (const s of [current, foreign]) watch.allowKvAdd(`oauth:state:${s.state}`);

    const tally = await runRouteProperty({
      expect,
      watch,
      every: 100,
      cases: fc.record({
        state: fc.constantFrom(
          "absent",
          "empty",
          "wellformed",
          "garbage",
          "genuine",
          "genuine",
          "genuine",
          "tampered",
          "twice",
          "used",
          "foreign",
        ),
        garbageState: oddText(80),
        cookie: fc.constantFrom(
          "none",
          "garbage",
          "genuine",
          "genuine",
          "genuine",
          "foreign",
          "used",
          "unprefixed",
          "withJunk",
        ),
        garbageCookie: asciiText(60),
        // Mostly no code: with a live state a forged code reaches Google (and logs a 502), and a real one
        // ("$real") takes a whole consent at the emulator, so both are kept rare.
        code: fc.oneof(
          { weight: 48, arbitrary: fc.constantFrom(undefined, "") },
          { weight: 8, arbitrary: fc.oneof(fc.constant("4/0AQlEd8x-forged"), oddText(60)) },
          { weight: 1, arbitrary: fc.constant("$real") },
        ),
        grantCalendar: fc.boolean(),
        error: fc.oneof(
          { weight: 8, arbitrary: fc.constant(undefined) },
          fc.constantFrom("access_denied", "", "server_error", "invalid_scope", "access_denied\u0000"),
          oddText(30),
        ),
        scope: fc.option(oddText(60), { nil: undefined }),
        junk: queryString(["scope", "authuser", "prompt", "hd", "iss"], oddText(20)),
        accept,
        noise: noiseHeaders,
      }),
      prepare: async (c) => {
        // A real code comes with a consent of its own, which becomes the live one.
        let realCode: string | undefined;
        if (c.code === "$real") {
          const flow = await consent({ grantCalendar: c.grantCalendar });
          const back = new URL(flow.callbackPath, "https://calendar-edge.test");
          current = { state: back.searchParams.get("state")!, cookie: flow.cookie };
          realCode = back.searchParams.get("code")!;
          watch.allowKvAdd(`oauth:state:${current.state}`);
        }
        const state = {
          absent: undefined,
          empty: "",
          wellformed: crypto.randomUUID().replaceAll("-", ""),
          garbage: c.garbageState,
          genuine: current.state,
          twice: current.state,
          tampered: `${current.state.slice(0, -1)}${current.state.endsWith("A") ? "B" : "A"}`,
          used: used.state,
          foreign: foreign.state,
        }[c.state];
        const cookie = {
          none: undefined,
          garbage: c.garbageCookie,
          genuine: current.cookie,
          foreign: foreign.cookie,
          used: used.cookie,
          unprefixed: current.cookie.replace(COOKIE, "calendar_edge_oauth"),
          withJunk: `a=b; ${current.cookie}; ${COOKIE.slice(0, -1)}=x; theme=dark`,
        }[c.cookie];
        const code = c.code === "$real" ? realCode : c.code;

        const params: [string, string | undefined][] = [
          ["state", state],
          ["code", code],
          ["error", c.error],
          ["scope", c.scope],
        ];
        if (c.state === "twice") params.push(["state", c.garbageState]);
        const query = params
          .filter((p): p is [string, string] => p[1] !== undefined)
          .map(([k, v]) => `${k}=${encodeURIComponentLoose(v)}`)
          .concat(c.junk ? [c.junk] : [])
          .join("&");
        // The cookie is this case's own dimension: a second Cookie header would merge into it.
        const headers = c.noise.filter(([name]) => name !== "cookie" && name !== "accept");
        if (c.accept !== undefined) headers.push(["accept", c.accept]);
        if (cookie !== undefined) headers.push(["cookie", cookie]);
        const request = toRequest({ method: "GET", target: `/oauth2callback/?${query}`, headers });

        // What the Worker reads (the first of repeated parameters). A state is used up only when it is live
        // and comes with its own browser's cookie; only then is Google asked about the code.
        const seen = new URL(request.url).searchParams;
        const owner =
          seen.get("state") === current.state
            ? "current"
            : seen.get("state") === foreign.state
              ? "foreign"
              : "";
        const cookieOwner =
          { genuine: "current", withJunk: "current", foreign: "foreign" }[c.cookie as string] ?? "-";
        const valid = owner === cookieOwner;
        const error = seen.get("error");
        const exchanges = valid && !error && !!seen.get("code");
        return {
          request,
          realCode,
          seen,
          owner,
          valid,
          error,
          exchanges,
          read: { htmlErrors: true, ...(exchanges ? { allowedServerError: "google_oauth_error" } : {}) },
          note: `cookie: ${c.cookie}`,
        };
      },
      check: async (answer, { realCode, seen, owner, valid, error, exchanges, c }) => {
        // API clients get problem+json, browsers (no JSON in Accept) the error page with its code.
        if (answer.status >= 400) {
          if (/application\/json/.test(c.accept ?? ""))
            expect(answer.contentType).toBe("application/problem+json");
          else expect(answer.contentType).toMatch(/^text\/html/);
        }
        const live = async (s: { state: string }) =>
          (await env.TOKENS.get(`oauth:state:${s.state}`)) !== null;
        if (!valid) {
          expect(answer.code).toBe("invalid_oauth_state");
          // Another browser's callback, or a forged one, must not use up the rightful browser's state.
          expect(await live(current), "the live state survives").toBe(true);
          expect(await live(foreign), "the other live state survives").toBe(true);
        } else {
          // Replace the used-up consent first: a failure below must leave the next (shrinking) run a live one.
          const consumed = owner === "current" ? current : foreign;
          const next = await startConsent();
          if (owner === "current") current = next;
          else foreign = next;
          used = consumed;
          watch.allowKvAdd(`oauth:state:${next.state}`);
          watch.allowKvRemove(`oauth:state:${consumed.state}`);
          expect(await live(consumed), "the state is used up").toBe(false);
          if (error === "access_denied") expect(answer.code).toBe("access_denied");
          else if (error) expect(answer.code).toBe("oauth_callback_invalid");
          else if (!exchanges) expect(answer.code).toBe("oauth_callback_invalid");
          // A forged code, or a real one sent with another consent's state (wrong PKCE verifier).
          else if (seen.get("code") !== realCode || owner !== "current")
            expect(answer.code).toBe("google_oauth_error");
          else if (!c.grantCalendar) expect(answer.code).toBe("insufficient_scope");
          else {
            expect(answer.status).toBe(200);
            watch.allowKvAdd("grant:");
            watch.allowKvAdd("apitoken:");
          }
        }
      },
    });
    expect(tally.count("invalid_oauth_state"), tally.toString()).toBeLessThan(tally.total * 0.9);
  });
});

/** Google's redirect back to the app, as a browser with `start`'s cookie would follow it. */
function callback(start: { state: string; cookie: string }, query: string): Promise<Response> {
  return send(
    new Request(`https://calendar-edge.test/oauth2callback/?state=${start.state}&${query}`, {
      headers: { cookie: start.cookie, accept: "application/json" },
    }),
  );
}
