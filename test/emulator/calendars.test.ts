// Layer: Google emulator over fetch (outboundService): calendars as objects, ACL roles, calendarList.list/get.
import { describe, it } from "vitest";
import { addCalendar, googleEventsOfCalendar, setCalendar } from "../support/google";
import {
  apiError,
  calendar,
  control,
  eventBody,
  insertEvent,
  scopeUrl,
  signedInAccount,
  tokenWithScopes,
  uniqueEmail,
} from "./google-client";

interface Entry {
  id: string;
  accessRole: string;
  primary?: boolean;
  timeZone: string;
  summary: string;
  etag: string;
}

interface EntryList {
  kind: string;
  etag: string;
  items: Entry[];
  nextPageToken?: string;
  nextSyncToken?: string;
}

async function listOf(token: string, query = ""): Promise<EntryList> {
  const res = await calendar(`/users/me/calendarList${query}`, token);
  if (res.status !== 200) throw new Error(`calendarList.list answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as EntryList;
}

/** An account whose token has the full `calendar` scope (calendarList needs more than calendar.events). */
async function fullAccount(label: string) {
  const email = uniqueEmail(label);
  return { email, token: await tokenWithScopes(email, ["calendar"]) };
}

function groupCalendarId(): string {
  return `team-${crypto.randomUUID().slice(0, 8)}@group.calendar.google.com`;
}

describe("calendarList", () => {
  it("lists the primary calendar with every CalendarListEntry field", async ({ expect }) => {
    const { email, token } = await fullAccount("cl");
    const list = await listOf(token);
    expect(list).toMatchObject({ kind: "calendar#calendarList" });
    expect(list.etag).toMatch(/^"\d+"$/);
    expect(list.nextPageToken).toBeUndefined();
    expect(list.nextSyncToken).toEqual(expect.any(String));
    expect(list.items).toEqual([
      {
        kind: "calendar#calendarListEntry",
        etag: expect.stringMatching(/^"\d+"$/),
        id: email,
        summary: email,
        timeZone: "UTC",
        colorId: expect.stringMatching(/^([1-9]|1\d|2[0-4])$/),
        backgroundColor: expect.stringMatching(/^#[0-9a-f]{6}$/),
        foregroundColor: "#000000",
        selected: true,
        accessRole: "owner",
        defaultReminders: [{ method: "popup", minutes: 10 }],
        notificationSettings: expect.any(Object),
        primary: true,
        conferenceProperties: { allowedConferenceSolutionTypes: ["hangoutsMeet"] },
      },
    ]);
  });

  it("get answers one entry by id or `primary`; an unknown or unshared calendar is 404 notFound", async ({
    expect,
  }) => {
    const { email, token } = await fullAccount("clget");
    const byAlias = await calendar("/users/me/calendarList/primary", token);
    const byId = await calendar(`/users/me/calendarList/${encodeURIComponent(email)}`, token);
    expect(byAlias.status).toBe(200);
    const entry = (await byAlias.json()) as Entry;
    expect(entry).toMatchObject({ id: email, primary: true, accessRole: "owner" });
    expect(await byId.json()).toEqual(entry);
    const other = await signedInAccount("clother");
    for (const id of [other.email, groupCalendarId()]) {
      const res = await calendar(`/users/me/calendarList/${encodeURIComponent(id)}`, token);
      expect(res.status).toBe(404);
      expect(apiError(await res.json()).errors[0]).toMatchObject({ domain: "global", reason: "notFound" });
    }
  });

  it("accepts the calendarList scopes the discovery document lists; calendar.events alone is 403", async ({
    expect,
  }) => {
    const email = uniqueEmail("clscope");
    const readonly = await tokenWithScopes(email, ["calendar.calendarlist.readonly"]);
    expect((await calendar("/users/me/calendarList", readonly)).status).toBe(200);
    expect((await calendar("/users/me/calendarList/primary", readonly)).status).toBe(200);
    const { token } = await signedInAccount("clscope2");
    for (const path of ["/users/me/calendarList", "/users/me/calendarList/primary"]) {
      const res = await calendar(path, token);
      expect(res.status).toBe(403);
      expect(res.headers.get("www-authenticate")).toContain(scopeUrl("calendar.calendarlist.readonly"));
      expect(apiError(await res.json())).toMatchObject({
        code: 403,
        errors: [{ reason: "insufficientPermissions" }],
      });
    }
    // The same token cannot write events: calendarlist.readonly is not an events scope.
    const insert = await calendar("/calendars/primary/events", readonly, {
      method: "POST",
      json: eventBody(),
    });
    expect(insert.status).toBe(403);
  });

  it("pages with maxResults, filters by minAccessRole, refuses values outside the discovery document", async ({
    expect,
  }) => {
    const email = uniqueEmail("clpage");
    const token = await tokenWithScopes(email, ["calendar"]);
    const team = groupCalendarId();
    await addCalendar(email, { id: team, summary: "Team", accessRole: "reader" });
    await addCalendar(email, { id: groupCalendarId(), accessRole: "freeBusyReader" });
    const first = await listOf(token, "?maxResults=2");
    expect(first.items.map((e) => e.accessRole)).toEqual(["owner", "reader"]);
    expect(first.nextPageToken).toEqual(expect.any(String));
    expect(first.nextSyncToken).toBeUndefined();
    const second = await listOf(
      token,
      `?maxResults=2&pageToken=${encodeURIComponent(first.nextPageToken ?? "")}`,
    );
    expect(second.items.map((e) => e.accessRole)).toEqual(["freeBusyReader"]);
    expect(second.nextPageToken).toBeUndefined();
    expect(second.nextSyncToken).toEqual(expect.any(String));

    const readers = await listOf(token, "?minAccessRole=reader");
    expect(readers.items.map((e) => e.id)).toEqual([email, team]);
    expect((await listOf(token, "?minAccessRole=owner")).items.map((e) => e.id)).toEqual([email]);
    for (const query of ["?minAccessRole=admin", "?maxResults=0", "?showHidden=maybe"]) {
      const res = await calendar(`/users/me/calendarList${query}`, token);
      expect(res.status).toBe(400);
      expect(apiError(await res.json()).errors[0]?.reason).toBe("invalidParameter");
    }
  });

  it("syncToken returns entries added since; minAccessRole with it is 400; expired → 410", async ({
    expect,
  }) => {
    const email = uniqueEmail("clsync");
    const token = await tokenWithScopes(email, ["calendar.readonly"]);
    const { nextSyncToken } = await listOf(token);
    const team = groupCalendarId();
    await addCalendar(email, { id: team, accessRole: "writer" });
    const changes = await listOf(token, `?syncToken=${encodeURIComponent(nextSyncToken ?? "")}`);
    expect(changes.items.map((e) => [e.id, e.accessRole])).toEqual([[team, "writer"]]);
    const none = await listOf(token, `?syncToken=${encodeURIComponent(changes.nextSyncToken ?? "")}`);
    expect(none.items).toEqual([]);

    const clash = await calendar(
      `/users/me/calendarList?minAccessRole=reader&syncToken=${encodeURIComponent(nextSyncToken ?? "")}`,
      token,
    );
    expect(clash.status).toBe(400);
    expect(apiError(await clash.json()).errors[0]?.reason).toBe("invalid");

    await control(`/accounts/${encodeURIComponent(email)}/expire-sync-tokens`, { method: "POST" });
    const gone = await calendar(
      `/users/me/calendarList?syncToken=${encodeURIComponent(none.nextSyncToken ?? "")}`,
      token,
    );
    expect(gone.status).toBe(410);
    expect(apiError(await gone.json()).errors[0]?.reason).toBe("fullSyncRequired");
  });
});

describe("calendars on the control surface", () => {
  it("addCalendar creates a calendar with summary, zone and description, and answers its list entry", async ({
    expect,
  }) => {
    const email = uniqueEmail("add");
    const id = groupCalendarId();
    const entry = await addCalendar(email, {
      id,
      summary: "Rooms",
      timeZone: "Europe/Paris",
      description: "Meeting rooms",
    });
    expect(entry).toMatchObject({
      kind: "calendar#calendarListEntry",
      id,
      summary: "Rooms",
      timeZone: "Europe/Paris",
      description: "Meeting rooms",
      accessRole: "owner",
      dataOwner: email,
    });
    expect(entry.primary).toBeUndefined();
    const refused = await control(`/accounts/${encodeURIComponent(email)}/calendars`, {
      method: "POST",
      json: { id: "x", accessRole: "admin" },
    });
    expect(refused.status).toBe(400);
    const typo = await control(`/accounts/${encodeURIComponent(email)}/calendars`, {
      method: "POST",
      json: { id: "x", timezone: "UTC" },
    });
    expect(await typo.json()).toEqual({ error: "unknown field(s): timezone" });
  });

  it("setCalendar changes the primary calendar's zone: calendarList and events.list show it", async ({
    expect,
  }) => {
    const { email, token } = await signedInAccount("zone");
    const entry = await setCalendar(email, "primary", { timeZone: "America/New_York", summary: "Work" });
    expect(entry).toMatchObject({ id: email, timeZone: "America/New_York", summary: "Work", primary: true });
    const events = (await (await calendar("/calendars/primary/events", token)).json()) as {
      timeZone: string;
      summary: string;
    };
    expect(events).toMatchObject({ timeZone: "America/New_York", summary: "Work" });
    const bad = await control(`/accounts/${encodeURIComponent(email)}/calendars/primary`, {
      method: "PATCH",
      json: { timeZone: "Mars/Olympus" },
    });
    expect(bad.status).toBe(400);
    const unknown = await control(`/accounts/${encodeURIComponent(email)}/calendars/nope`, {
      method: "PATCH",
      json: { summary: "x" },
    });
    expect(unknown.status).toBe(404);
  });
});

describe("access to a shared calendar", () => {
  it("a writer on another person's primary calendar can read and write its events", async ({ expect }) => {
    const owner = await signedInAccount("owner");
    const writer = await signedInAccount("writer");
    const entry = await addCalendar(writer.email, { id: owner.email, accessRole: "writer" });
    expect(entry).toMatchObject({ id: owner.email, summary: owner.email, accessRole: "writer" });
    expect(entry.primary).toBeUndefined();

    const event = await insertEvent<{ id: string; creator: unknown; organizer: unknown }>(
      writer.token,
      owner.email,
      eventBody(),
    );
    expect(event.creator).toEqual({ email: writer.email });
    expect(event.organizer).toEqual({ email: owner.email, self: true });
    const seenByOwner = await calendar(`/calendars/primary/events/${event.id}`, owner.token);
    expect(seenByOwner.status).toBe(200);
    expect((await googleEventsOfCalendar(owner.email)).map((e) => e.id)).toEqual([event.id]);
    const list = (await (
      await calendar(`/calendars/${encodeURIComponent(owner.email)}/events`, writer.token)
    ).json()) as { accessRole: string; items: unknown[] };
    expect(list).toMatchObject({ accessRole: "writer", items: [expect.anything()] });
  });

  it("a reader can read but gets 403 requiredAccessLevel on every write", async ({ expect }) => {
    const owner = await signedInAccount("owner");
    const reader = await signedInAccount("reader");
    const event = await insertEvent(owner.token, "primary", eventBody());
    await addCalendar(reader.email, { id: owner.email, accessRole: "reader" });
    const path = `/calendars/${encodeURIComponent(owner.email)}/events`;
    expect((await calendar(path, reader.token)).status).toBe(200);
    expect((await calendar(`${path}/${event.id}`, reader.token)).status).toBe(200);
    const writes = [
      calendar(path, reader.token, { method: "POST", json: eventBody() }),
      calendar(`${path}/${event.id}`, reader.token, { method: "PATCH", json: { summary: "x" } }),
      calendar(`${path}/${event.id}`, reader.token, { method: "PUT", json: eventBody() }),
      calendar(`${path}/${event.id}`, reader.token, { method: "DELETE" }),
    ];
    for (const res of await Promise.all(writes)) {
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({
        error: {
          errors: [
            {
              domain: "global",
              reason: "requiredAccessLevel",
              message: "You need to have writer access to this calendar.",
            },
          ],
          code: 403,
          message: "You need to have writer access to this calendar.",
        },
      });
    }
  });

  it("no role, a free/busy-only role, or an unknown calendar: 404 notFound for every events method", async ({
    expect,
  }) => {
    const owner = await signedInAccount("owner");
    const stranger = await signedInAccount("stranger");
    const fbReader = await signedInAccount("fb");
    const event = await insertEvent(owner.token, "primary", eventBody());
    await addCalendar(fbReader.email, { id: owner.email, accessRole: "freeBusyReader" });
    for (const [token, calendarId] of [
      [stranger.token, owner.email],
      [fbReader.token, owner.email],
      [owner.token, groupCalendarId()],
    ] as const) {
      const path = `/calendars/${encodeURIComponent(calendarId)}/events`;
      for (const res of [
        await calendar(path, token),
        await calendar(`${path}/${event.id}`, token),
        await calendar(path, token, { method: "POST", json: eventBody() }),
        await calendar(`${path}/${event.id}`, token, { method: "DELETE" }),
      ]) {
        expect(res.status).toBe(404);
        expect(apiError(await res.json()).errors[0]?.reason).toBe("notFound");
      }
    }
  });

  it("a secondary calendar shared by two accounts keeps one set of events", async ({ expect }) => {
    const a = await signedInAccount("shareA");
    const b = await signedInAccount("shareB");
    const id = groupCalendarId();
    await addCalendar(a.email, { id, summary: "Shared" });
    await addCalendar(b.email, { id, accessRole: "writer" });
    const event = await insertEvent(b.token, id, eventBody());
    const seen = (await (await calendar(`/calendars/${encodeURIComponent(id)}/events`, a.token)).json()) as {
      summary: string;
      accessRole: string;
      items: Array<{ id: string }>;
    };
    expect(seen).toMatchObject({ summary: "Shared", accessRole: "owner", items: [{ id: event.id }] });
    expect((await googleEventsOfCalendar(id)).map((e) => e.id)).toEqual([event.id]);
  });
});
