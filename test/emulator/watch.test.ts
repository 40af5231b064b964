// Layer: Google emulator over fetch (outboundService): events.watch, channels.stop, held notifications.
import { describe, it } from "vitest";
import {
  addCalendar,
  channelsOf,
  expireChannel,
  failNotifications,
  notificationsOf,
  respondAsAttendee,
  takeNotifications,
} from "../support/google";
import {
  addFault,
  apiError,
  calendar,
  callsOf,
  eventBody,
  insertEvent,
  signedInAccount,
  tokenWithScopes,
  uniqueEmail,
} from "./google-client";

const ADDRESS = "https://app.example.com/webhooks/google";
const WEEK_MS = 604_800_000;
const THIRTY_DAYS_MS = 2_592_000_000;

interface Channel {
  kind: string;
  id: string;
  resourceId: string;
  resourceUri: string;
  token?: string;
  expiration: string;
}

function watch(token: string, body: Record<string, unknown>, calendarId = "primary") {
  return calendar(`/calendars/${encodeURIComponent(calendarId)}/events/watch`, token, {
    method: "POST",
    json: { type: "web_hook", address: ADDRESS, ...body },
  });
}

async function opened(token: string, body: Record<string, unknown> = {}, calendarId = "primary") {
  const res = await watch(token, { id: crypto.randomUUID(), ...body }, calendarId);
  if (res.status !== 200) throw new Error(`watch answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Channel;
}

function stop(token: string, body: unknown) {
  return calendar("/channels/stop", token, { method: "POST", json: body });
}

describe("events.watch", () => {
  it("answers the channel and sends a sync notification with Google's headers", async ({ expect }) => {
    const { email, token } = await signedInAccount("watch");
    const before = Date.now();
    const channel = await opened(token, { id: `chan-1-${email}`, token: "secret-token" });
    expect(channel).toEqual({
      kind: "api#channel",
      id: `chan-1-${email}`,
      resourceId: expect.stringMatching(/^[A-Za-z0-9_-]{10,}$/),
      resourceUri: "https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json",
      token: "secret-token",
      expiration: expect.stringMatching(/^\d+$/),
    });
    const expiration = Number(channel.expiration);
    expect(expiration).toBeGreaterThanOrEqual(before + WEEK_MS);
    expect(expiration).toBeLessThanOrEqual(Date.now() + WEEK_MS);

    const [sync, ...rest] = await takeNotifications(email);
    expect(rest).toEqual([]);
    expect(sync).toEqual({
      id: expect.any(String),
      channelId: channel.id,
      address: ADDRESS,
      state: "sync",
      messageNumber: 1,
      headers: {
        "X-Goog-Channel-ID": channel.id,
        "X-Goog-Channel-Token": "secret-token",
        "X-Goog-Channel-Expiration": new Date(expiration).toUTCString(),
        "X-Goog-Resource-ID": channel.resourceId,
        "X-Goog-Resource-URI": channel.resourceUri,
        "X-Goog-Resource-State": "sync",
        "X-Goog-Message-Number": "1",
      },
    });
    expect(sync?.headers["X-Goog-Channel-Expiration"]).toMatch(
      /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
    );
    expect(await takeNotifications(email)).toEqual([]);
  });

  it("notifies every change with `exists` and growing, non-consecutive message numbers", async ({
    expect,
  }) => {
    const { email, token } = await signedInAccount("watchchg");
    const channel = await opened(token);
    const event = await insertEvent(token, "primary", eventBody());
    await calendar(`/calendars/primary/events/${event.id}`, token, {
      method: "PATCH",
      json: { summary: "B" },
    });
    await calendar(`/calendars/primary/events/${event.id}`, token, { method: "PUT", json: eventBody() });
    await calendar(`/calendars/primary/events/${event.id}`, token, { method: "DELETE" });
    await respondAsAttendee(email, event.id, "guest@example.com", "accepted");
    const taken = await takeNotifications(email);
    expect(taken.map((n) => n.state)).toEqual(["sync", "exists", "exists", "exists", "exists", "exists"]);
    const numbers = taken.map((n) => n.messageNumber);
    expect(numbers).toEqual(numbers.toSorted((a, b) => a - b));
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(taken.every((n) => n.headers["X-Goog-Message-Number"] === String(n.messageNumber))).toBe(true);
    expect(taken.every((n) => n.headers["X-Goog-Resource-ID"] === channel.resourceId)).toBe(true);
    // Reads do not notify.
    await calendar("/calendars/primary/events", token);
    expect(await takeNotifications(email)).toEqual([]);
  });

  it("leaves out X-Goog-Channel-Token when the channel has no token", async ({ expect }) => {
    const { email, token } = await signedInAccount("watchnotoken");
    await opened(token);
    const [sync] = await takeNotifications(email);
    expect(sync?.headers).not.toHaveProperty("X-Goog-Channel-Token");
  });

  it("honours params.ttl and expiration, capped at 30 days; the resourceId is stable per calendar", async ({
    expect,
  }) => {
    const { email, token } = await signedInAccount("watchttl");
    const start = Date.now();
    const short = await opened(token, { params: { ttl: "3600" } });
    expect(Number(short.expiration) - start).toBeGreaterThanOrEqual(3_600_000);
    expect(Number(short.expiration) - Date.now()).toBeLessThanOrEqual(3_600_000);
    const capped = await opened(token, { params: { ttl: "99999999" } });
    expect(Number(capped.expiration) - Date.now()).toBeLessThanOrEqual(THIRTY_DAYS_MS);
    expect(Number(capped.expiration) - start).toBeGreaterThanOrEqual(THIRTY_DAYS_MS);
    const at = String(Date.now() + 7_200_000);
    const explicit = await opened(token, { expiration: at });
    expect(explicit.expiration).toBe(at);
    const byEmail = await opened(token, {}, email);
    expect(byEmail.resourceUri).toBe(
      `https://www.googleapis.com/calendar/v3/calendars/${encodeURIComponent(email)}/events?alt=json`,
    );
    expect(new Set([short, capped, explicit, byEmail].map((c) => c.resourceId)).size).toBe(1);
    const other = await signedInAccount("watchttl2");
    expect((await opened(other.token)).resourceId).not.toBe(short.resourceId);
  });

  it("refuses a channel id that a live channel already uses (channelIdNotUnique)", async ({ expect }) => {
    const { token } = await signedInAccount("watchdup");
    const id = crypto.randomUUID();
    const first = await opened(token, { id });
    const again = await watch(token, { id });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({
      error: {
        errors: [{ domain: "global", reason: "channelIdNotUnique", message: `Channel id ${id} not unique` }],
        code: 400,
        message: `Channel id ${id} not unique`,
      },
    });
    expect((await stop(token, { id, resourceId: first.resourceId })).status).toBe(204);
    expect((await watch(token, { id })).status).toBe(200);
  });

  for (const [name, body, reason, message] of [
    ["no id", { id: undefined }, "required", undefined],
    ["an unknown type", { type: "email" }, "invalid", undefined],
    ["no address", { address: undefined }, "required", undefined],
    [
      "an http address",
      { address: "http://app.example.com/hook" },
      "push.webhookUrlNotHttps",
      "WebHook callback must be HTTPS: http://app.example.com/hook",
    ],
    [
      "an http localhost address (allowHttpAddresses is off in tests)",
      { address: "http://localhost:8787/hook" },
      "push.webhookUrlNotHttps",
      "WebHook callback must be HTTPS: http://localhost:8787/hook",
    ],
    ["a token over 256 characters", { token: "t".repeat(257) }, "invalid", undefined],
    ["a ttl that is not a number", { params: { ttl: "soon" } }, "invalid", undefined],
    ["an expiration in the past", { expiration: "1000" }, "invalid", undefined],
  ] as const) {
    it(`400 ${reason} for ${name}`, async ({ expect }) => {
      const { email, token } = await signedInAccount("watchbad");
      const res = await watch(token, { id: crypto.randomUUID(), ...body });
      expect(res.status).toBe(400);
      const error = apiError(await res.json());
      expect(error.errors[0]?.reason).toBe(reason);
      if (message) expect(error.message).toBe(message);
      expect(await channelsOf(email)).toEqual([]);
    });
  }

  it("accepts type webhook and a 256-character token", async ({ expect }) => {
    const { token } = await signedInAccount("watchok");
    const res = await watch(token, { id: crypto.randomUUID(), type: "webhook", token: "t".repeat(256) });
    expect(res.status).toBe(200);
  });

  it("needs read access to the calendar and an events read scope", async ({ expect }) => {
    const owner = await signedInAccount("watchowner");
    const reader = await signedInAccount("watchreader");
    const stranger = await signedInAccount("watchstranger");
    await addCalendar(reader.email, { id: owner.email, accessRole: "reader" });
    expect((await watch(reader.token, { id: crypto.randomUUID() }, owner.email)).status).toBe(200);
    const refused = await watch(stranger.token, { id: crypto.randomUUID() }, owner.email);
    expect(refused.status).toBe(404);
    const freebusyOnly = await tokenWithScopes(uniqueEmail("watchscope"), ["calendar.freebusy"]);
    expect((await watch(freebusyOnly, { id: crypto.randomUUID() })).status).toBe(403);
    const eventsReadonly = await tokenWithScopes(uniqueEmail("watchscope"), ["calendar.events.readonly"]);
    expect((await watch(eventsReadonly, { id: crypto.randomUUID() })).status).toBe(200);
  });

  it("a channel on a shared calendar hears the owner's changes", async ({ expect }) => {
    const owner = await signedInAccount("watchshared");
    const watcher = await signedInAccount("watcher");
    await addCalendar(watcher.email, { id: owner.email, accessRole: "reader" });
    await opened(watcher.token, {}, owner.email);
    await insertEvent(owner.token, "primary", eventBody());
    expect((await takeNotifications(watcher.email)).map((n) => n.state)).toEqual(["sync", "exists"]);
    expect(await takeNotifications(owner.email)).toEqual([]);
  });
});

describe("channels.stop", () => {
  it("204, then the channel gets nothing more; stopping again is 404", async ({ expect }) => {
    const { email, token } = await signedInAccount("stop");
    const channel = await opened(token);
    const res = await stop(token, { id: channel.id, resourceId: channel.resourceId });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    await insertEvent(token, "primary", eventBody());
    expect((await takeNotifications(email)).map((n) => n.state)).toEqual(["sync"]);
    const again = await stop(token, { id: channel.id, resourceId: channel.resourceId });
    expect(again.status).toBe(404);
    const error = apiError(await again.json());
    expect(error.errors[0]?.reason).toBe("notFound");
    expect(error.message).toMatch(new RegExp(`^Channel '${channel.id}' not found for project '\\d+'$`));
    expect(await channelsOf(email)).toEqual([
      {
        id: channel.id,
        resourceId: channel.resourceId,
        calendarId: email,
        address: ADDRESS,
        expiration: Number(channel.expiration),
        stopped: true,
        expired: false,
        tokenSet: false,
      },
    ]);
  });

  it("404 for an unknown id, a wrong resourceId, another account's channel, or an expired channel", async ({
    expect,
  }) => {
    const { email, token } = await signedInAccount("stop404");
    const other = await signedInAccount("stopother");
    const channel = await opened(token);
    for (const [caller, body] of [
      [token, { id: "unknown", resourceId: channel.resourceId }],
      [token, { id: channel.id, resourceId: "wrong" }],
      [other.token, { id: channel.id, resourceId: channel.resourceId }],
    ] as const) {
      expect((await stop(caller, body)).status).toBe(404);
    }
    await expireChannel(email, channel.id);
    expect((await stop(token, { id: channel.id, resourceId: channel.resourceId })).status).toBe(404);
  });

  it("takes any scope the discovery document lists, calendar.calendarlist.readonly included", async ({
    expect,
  }) => {
    const email = uniqueEmail("stopscope");
    const token = await tokenWithScopes(email, ["calendar.events", "calendar.calendarlist.readonly"]);
    const channel = await opened(token);
    const narrow = await tokenWithScopes(email, ["calendar.calendarlist.readonly"]);
    expect((await stop(narrow, { id: channel.id, resourceId: channel.resourceId })).status).toBe(204);
    const openidOnly = await tokenWithScopes(email, []);
    expect((await stop(openidOnly, { id: "x", resourceId: "y" })).status).toBe(403);
    expect((await stop("ya29.unknown", { id: "x", resourceId: "y" })).status).toBe(401);
  });
});

describe("notification control", () => {
  it("an expired channel gets no more notifications", async ({ expect }) => {
    const { email, token } = await signedInAccount("expire");
    const channel = await opened(token);
    await expireChannel(email, channel.id);
    await insertEvent(token, "primary", eventBody());
    expect((await takeNotifications(email)).map((n) => n.state)).toEqual(["sync"]);
    expect((await channelsOf(email))[0]).toMatchObject({ stopped: false, expired: true });
  });

  it("drop faults: the next n notifications are never held, and are listed as dropped", async ({
    expect,
  }) => {
    const { email, token } = await signedInAccount("drop");
    await opened(token);
    await takeNotifications(email);
    await failNotifications(email, { drop: true, times: 2 });
    for (let i = 0; i < 3; i++) await insertEvent(token, "primary", eventBody());
    const taken = await takeNotifications(email);
    expect(taken.map((n) => n.state)).toEqual(["exists"]);
    const all = await notificationsOf(email);
    expect(all.map((n) => n.delivery)).toEqual(["taken", "dropped", "dropped", "taken"]);
    expect(all[3]?.messageNumber).toBeGreaterThan(all[2]?.messageNumber ?? Number.POSITIVE_INFINITY);
  });

  it("delay faults in hold mode: the notification can only be taken once the delay has passed", async ({
    expect,
  }) => {
    const { email, token } = await signedInAccount("delay");
    await failNotifications(email, { delayMs: 300, times: 1 });
    await opened(token);
    expect(await takeNotifications(email)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await takeNotifications(email)).map((n) => n.state)).toEqual(["sync"]);
    expect((await notificationsOf(email))[0]).toMatchObject({ delivery: "taken", delayMs: 300 });
  });

  it("refuses a notification fault without an effect or with unknown fields", async ({ expect }) => {
    const email = uniqueEmail("nfault");
    for (const body of [{ times: 1 }, { drop: true, times: 0 }, { drop: true, time: 1 }]) {
      const res = await fetch(
        `https://www.googleapis.com/__emulator/accounts/${encodeURIComponent(email)}/notifications/faults`,
        { method: "POST", body: JSON.stringify(body) },
      );
      expect(res.status).toBe(400);
    }
  });
});

describe("faults and the call log", () => {
  it("events.watch, channels.stop, freebusy.query and calendarList.* take faults by account", async ({
    expect,
  }) => {
    const email = uniqueEmail("newfaults");
    const token = await tokenWithScopes(email, ["calendar"]);
    for (const endpoint of [
      "events.watch",
      "channels.stop",
      "freebusy.query",
      "calendarList.list",
      "calendarList.get",
    ]) {
      await addFault({ endpoint, account: email, status: 503 });
    }
    const answers = await Promise.all([
      watch(token, { id: crypto.randomUUID() }),
      stop(token, { id: "x", resourceId: "y" }),
      calendar("/freeBusy", token, {
        method: "POST",
        json: { timeMin: "2026-12-01T00:00:00Z", timeMax: "2026-12-02T00:00:00Z" },
      }),
      calendar("/users/me/calendarList", token),
      calendar("/users/me/calendarList/primary", token),
    ]);
    expect(answers.map((res) => res.status)).toEqual([503, 503, 503, 503, 503]);
    const calls = (await callsOf(email)).filter((c) => c.endpoint !== "auth" && c.endpoint !== "token");
    expect(calls.map((c) => [c.endpoint, c.status]).toSorted()).toEqual(
      [
        ["calendarList.get", 503],
        ["calendarList.list", 503],
        ["channels.stop", 503],
        ["events.watch", 503],
        ["freebusy.query", 503],
      ].toSorted(),
    );
    expect(calls.every((c) => c.faultId)).toBe(true);
    // The watch never happened, so no channel and no notification.
    expect(await channelsOf(email)).toEqual([]);
  });
});
