// Baseline Worker for `npm run bench`: plain `export default { fetch, queue }`, no framework, no
// validation, no crypto. It does the same kinds of I/O as the app's events routes and nothing more, so the
// gap between the two is the app's own work (routing, validation, token hashing and decryption, rate
// limiting, idempotency bookkeeping, the outbox and its mail).
//
//   POST /__setup {accounts: [{key, access_token, email}]}  creates the tables, stores each account in KV
//   POST /api/events/  KV read (account by bearer key) → Calendar insert (emulator) → D1 insert → queue send
//   GET  /api/events/?limit=N  KV read (account by bearer key) → D1 select (first N events by start, default 20)
//
// A request with `x-bench-rate-limit: 1` also spends one unit of a per-key rate limit first, as the app does
// for every API request (the "baseline + rate limit" rows: what that one binding call costs here; its limit
// is set so high that it never refuses).
//
// With BASELINE_MAIL = "1" (the floor for the app with its mail consumer; bench/run.mjs adds the consumer
// to its config) it mails the participants the way the app does, minus the app's bookkeeping:
//
//   POST /api/events/  … → one D1 batch: the event and a `mail` row per participant → queue: their ids
//   queue consumer, per message: D1 claim (UPDATE … RETURNING the row) → MAILER.send (text, HTML and an
//                      .ics invitation, the parts the app's mail has) → D1 update marking it sent

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, account TEXT NOT NULL, google_event_id TEXT NOT NULL, summary TEXT NOT NULL, start_time TEXT NOT NULL, end_time TEXT NOT NULL, participants TEXT NOT NULL, created_at TEXT NOT NULL)",
  "CREATE INDEX IF NOT EXISTS events_account_start ON events (account, start_time, id)",
  "CREATE TABLE IF NOT EXISTS mail (id TEXT PRIMARY KEY, event_id TEXT NOT NULL, google_event_id TEXT NOT NULL, recipient TEXT NOT NULL, organizer TEXT NOT NULL, summary TEXT NOT NULL, start_time TEXT NOT NULL, end_time TEXT NOT NULL, status TEXT NOT NULL, sent_at TEXT)",
];

function json(body, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/**
 * One KV read: the account (and its Google access token) behind the request's bearer key; then, when the
 * request asks for it, one rate-limit call for that key (null if refused).
 */
async function accountOf(request, env) {
  const key = (request.headers.get("authorization") ?? "").replace(/^Bearer\s+/i, "");
  const account = key ? await env.TOKENS.get(`bench:account:${key}`, "json") : null;
  if (account && request.headers.get("x-bench-rate-limit") === "1") {
    const { success } = await env.RATE_LIMITER.limit({ key });
    if (!success) return null;
  }
  return account;
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
  const insertEvent = env.DB.prepare(
    "INSERT INTO events (id, account, google_event_id, summary, start_time, end_time, participants, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  ).bind(
    id,
    account.email,
    event.id,
    event.summary,
    input.start_time,
    input.end_time,
    JSON.stringify(input.participants),
    createdAt,
  );
  if (env.BASELINE_MAIL === "1") {
    const mail = input.participants.map((recipient) => ({ id: crypto.randomUUID(), recipient }));
    await env.DB.batch([
      insertEvent,
      ...mail.map((m) =>
        env.DB.prepare(
          "INSERT INTO mail (id, event_id, google_event_id, recipient, organizer, summary, start_time, end_time, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued')",
        ).bind(
          m.id,
          id,
          event.id,
          m.recipient,
          account.email,
          event.summary,
          input.start_time,
          input.end_time,
        ),
      ),
    ]);
    await env.MAIL_QUEUE.sendBatch(mail.map((m) => ({ body: { mailId: m.id } })));
  } else {
    await insertEvent.run();
    await env.MAIL_QUEUE.send({ eventId: id });
  }
  return json({ id, google_event_id: event.id, created_at: createdAt }, 201);
}

const icsTime = (iso) => new Date(iso).toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");

/** One invitation, as the app's consumer sends it: text, HTML and an iCalendar REQUEST attached. */
async function sendMail(row, env) {
  const ics = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//calendar-edge baseline//EN",
    "METHOD:REQUEST",
    "BEGIN:VEVENT",
    `UID:${row.google_event_id}@google.com`,
    "SEQUENCE:0",
    `DTSTAMP:${icsTime(new Date().toISOString())}`,
    `DTSTART:${icsTime(row.start_time)}`,
    `DTEND:${icsTime(row.end_time)}`,
    `SUMMARY:${row.summary}`,
    `ORGANIZER:mailto:${row.organizer}`,
    `ATTENDEE;RSVP=TRUE:mailto:${row.recipient}`,
    "END:VEVENT",
    "END:VCALENDAR",
    "",
  ].join("\r\n");
  const when = `${row.start_time} – ${row.end_time}`;
  await env.MAILER.send({
    from: env.MAIL_FROM,
    to: row.recipient,
    replyTo: row.organizer,
    subject: `Invitation: ${row.summary}`,
    text: `${row.organizer} invites you to ${row.summary}, ${when}.`,
    html: `<p>${row.organizer} invites you to <b>${row.summary}</b>, ${when}.</p>`,
    attachments: [
      {
        disposition: "attachment",
        filename: "invite.ics",
        type: "text/calendar; charset=utf-8; method=REQUEST",
        content: ics,
      },
    ],
  });
}

/** The mail consumer (BASELINE_MAIL = "1" only): claim, send, mark sent; one message at a time. */
async function deliverMail(batch, env) {
  for (const message of batch.messages) {
    const row = await env.DB.prepare(
      "UPDATE mail SET status = 'sending' WHERE id = ? AND status = 'queued' RETURNING *",
    )
      .bind(message.body.mailId)
      .first();
    if (row) {
      await sendMail(row, env);
      await env.DB.prepare("UPDATE mail SET status = 'sent', sent_at = ? WHERE id = ?")
        .bind(new Date().toISOString(), row.id)
        .run();
    }
    message.ack();
  }
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

  async queue(batch, env) {
    await deliverMail(batch, env);
  },
};
