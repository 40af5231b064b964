// Baseline Worker for `npm run bench`: plain `export default { fetch }`, no framework, no validation, no
// crypto. It does the same kinds of I/O as the app's events routes and nothing more, so the gap between
// the two is the app's own work (routing, validation, token hashing and decryption, rate limiting,
// idempotency bookkeeping, the outbox and the mail consumer).
//
//   POST /__setup {accounts: [{key, access_token, email}]}  creates the table, stores each account in KV
//   POST /api/events/  KV read (account by bearer key) → Calendar insert (emulator) → D1 insert → queue send
//   GET  /api/events/?limit=N  KV read (account by bearer key) → D1 select (first N events by start, default 20)

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, account TEXT NOT NULL, google_event_id TEXT NOT NULL, summary TEXT NOT NULL, start_time TEXT NOT NULL, end_time TEXT NOT NULL, participants TEXT NOT NULL, created_at TEXT NOT NULL)",
  "CREATE INDEX IF NOT EXISTS events_account_start ON events (account, start_time, id)",
];

function json(body, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** One KV read: the account (and its Google access token) behind the request's bearer key. */
async function accountOf(request, env) {
  const key = (request.headers.get("authorization") ?? "").replace(/^Bearer\s+/i, "");
  return key ? env.TOKENS.get(`bench:account:${key}`, "json") : null;
}

async function setup(request, env) {
  const { accounts } = await request.json();
  await env.DB.batch(SCHEMA.map((sql) => env.DB.prepare(sql)));
  for (const { key, access_token: accessToken, email } of accounts) {
    await env.TOKENS.put(`bench:account:${key}`, JSON.stringify({ accessToken, email }));
  }
  return new Response(null, { status: 204 });
}

async function createEvent(request, env) {
  const input = await request.json();
  const account = await accountOf(request, env);
  if (!account) return json({ error: "unknown account" }, 401);
  const timeZone = input.time_zone ?? "UTC";
  const google = await fetch(`${env.CALENDAR_API_URL}/calendars/primary/events?sendUpdates=none`, {
    method: "POST",
    headers: { authorization: `Bearer ${account.accessToken}`, "content-type": "application/json" },
    body: JSON.stringify({
      summary: input.summary ?? "Meeting",
      start: { dateTime: input.start_time, timeZone },
      end: { dateTime: input.end_time, timeZone },
      attendees: input.participants.map((email) => ({ email })),
    }),
  });
  if (!google.ok) return json({ error: `google answered ${google.status}` }, 502);
  const event = await google.json();
  const id = crypto.randomUUID();
  const createdAt = new Date().toISOString();
  await env.DB.prepare(
    "INSERT INTO events (id, account, google_event_id, summary, start_time, end_time, participants, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  )
    .bind(
      id,
      account.email,
      event.id,
      event.summary,
      input.start_time,
      input.end_time,
      JSON.stringify(input.participants),
      createdAt,
    )
    .run();
  await env.MAIL_QUEUE.send({ eventId: id });
  return json({ id, google_event_id: event.id, created_at: createdAt }, 201);
}

async function listEvents(request, env, url) {
  const account = await accountOf(request, env);
  if (!account) return json({ error: "unknown account" }, 401);
  const limit = Math.min(Math.max(Number.parseInt(url.searchParams.get("limit") ?? "20", 10) || 20, 1), 100);
  const { results } = await env.DB.prepare(
    "SELECT * FROM events WHERE account = ? ORDER BY start_time, id LIMIT ?",
  )
    .bind(account.email, limit + 1)
    .all();
  return json({ events: results.slice(0, limit), more: results.length > limit });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const { pathname } = url;
    if (pathname === "/api/events/" || pathname === "/api/events") {
      if (request.method === "POST") return createEvent(request, env);
      if (request.method === "GET") return listEvents(request, env, url);
    }
    if (pathname === "/__setup" && request.method === "POST") return setup(request, env);
    if (pathname === "/health") return new Response("ok");
    return new Response("not found", { status: 404 });
  },
};
