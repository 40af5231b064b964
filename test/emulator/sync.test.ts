// Layer: Google emulator over fetch (outboundService): incremental sync (syncToken / nextSyncToken) on events.list.
import { describe, it } from "vitest";
import { addCalendar, deleteInGoogle, expireSyncTokens, respondAsAttendee } from "../support/google";
import { apiError, calendar, eventBody, insertEvent, signedInAccount } from "./google-client";

const EVENTS = "/calendars/primary/events";

interface EventList {
  items: Array<{ id: string; status: string; summary?: string }>;
  nextPageToken?: string;
  nextSyncToken?: string;
}

async function list(token: string, query: Record<string, string> = {}, path = EVENTS): Promise<EventList> {
  const res = await calendar(`${path}?${new URLSearchParams(query)}`, token);
  if (res.status !== 200) throw new Error(`events.list answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as EventList;
}

/** Every page of a listing, as a client walks them: the items, and the sync token of the last page. */
async function walk(token: string, query: Record<string, string>) {
  const items: EventList["items"] = [];
  let page = await list(token, query);
  for (;;) {
    items.push(...page.items);
    if (page.nextPageToken && page.nextSyncToken) throw new Error("nextPageToken and nextSyncToken together");
    if (!page.nextPageToken) return { items, nextSyncToken: page.nextSyncToken, last: page };
    page = await list(token, { ...query, pageToken: page.nextPageToken });
  }
}

describe("nextSyncToken", () => {
  it("comes on the last page of a full listing only, never with nextPageToken", async ({ expect }) => {
    const { token } = await signedInAccount("sync");
    for (let i = 0; i < 3; i++) await insertEvent(token, "primary", eventBody());
    const first = await list(token, { maxResults: "2" });
    expect(first.items).toHaveLength(2);
    expect(first.nextPageToken).toEqual(expect.any(String));
    expect(first.nextSyncToken).toBeUndefined();
    const second = await list(token, { maxResults: "2", pageToken: first.nextPageToken ?? "" });
    expect(second.items).toHaveLength(1);
    expect(second.nextPageToken).toBeUndefined();
    expect(second.nextSyncToken).toEqual(expect.any(String));
    // Google's tokens are standard base64 with padding: a client must URL-encode them.
    expect(second.nextSyncToken).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
  });

  it("is left out when the listing is filtered by a parameter that syncToken excludes", async ({
    expect,
  }) => {
    const { token } = await signedInAccount("syncfilter");
    await insertEvent(token, "primary", eventBody());
    const filters: Record<string, string>[] = [
      { timeMin: "2026-01-01T00:00:00Z" },
      { timeMax: "2027-01-01T00:00:00Z" },
      { updatedMin: "2020-01-01T00:00:00Z" },
      { q: "Planning" },
      { orderBy: "updated" },
      { iCalUID: "x@google.com" },
      { privateExtendedProperty: "a=b" },
      { sharedExtendedProperty: "a=b" },
    ];
    for (const query of filters) {
      expect((await list(token, query)).nextSyncToken, JSON.stringify(query)).toBeUndefined();
    }
    expect((await list(token, { showDeleted: "true", singleEvents: "true" })).nextSyncToken).toEqual(
      expect.any(String),
    );
  });
});

describe("syncToken", () => {
  it("returns exactly the events changed since, cancelled ones included whatever showDeleted says", async ({
    expect,
  }) => {
    const { email, token } = await signedInAccount("syncdelta");
    const kept = await insertEvent(token, "primary", eventBody());
    const renamed = await insertEvent(token, "primary", eventBody());
    const removed = await insertEvent(token, "primary", eventBody());
    const { nextSyncToken } = await list(token);

    const empty = await list(token, { syncToken: nextSyncToken ?? "" });
    expect(empty.items).toEqual([]);
    expect(empty.nextSyncToken).toEqual(expect.any(String));

    await calendar(`${EVENTS}/${renamed.id}`, token, { method: "PATCH", json: { summary: "Renamed" } });
    await calendar(`${EVENTS}/${removed.id}`, token, { method: "DELETE" });
    const added = await insertEvent(token, "primary", eventBody());
    const delta = await list(token, { syncToken: nextSyncToken ?? "", showDeleted: "false" });
    expect(delta.items.map((e) => [e.id, e.status, e.summary])).toEqual([
      [renamed.id, "confirmed", "Renamed"],
      [removed.id, "cancelled", "Planning"],
      [added.id, "confirmed", "Planning"],
    ]);
    expect(delta.items.map((e) => e.id)).not.toContain(kept.id);

    // Changes made in Google Calendar by people count too.
    await respondAsAttendee(email, kept.id, "guest@example.com", "declined");
    await deleteInGoogle(email, added.id);
    const later = await list(token, { syncToken: delta.nextSyncToken ?? "" });
    expect(later.items.map((e) => [e.id, e.status])).toEqual([
      [kept.id, "confirmed"],
      [added.id, "cancelled"],
    ]);
  });

  it("pages an incremental sync; the page token carries the position", async ({ expect }) => {
    const { token } = await signedInAccount("syncpage");
    const { nextSyncToken } = await list(token);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await insertEvent(token, "primary", eventBody())).id);
    const first = await list(token, { syncToken: nextSyncToken ?? "", maxResults: "2" });
    expect(first.items.map((e) => e.id)).toEqual(ids.slice(0, 2));
    expect(first.nextSyncToken).toBeUndefined();
    // An event changed while the client pages comes again on a later page, in its new position.
    await calendar(`${EVENTS}/${ids[0]}`, token, { method: "PATCH", json: { summary: "Moved on" } });
    const second = await list(token, { maxResults: "2", pageToken: first.nextPageToken ?? "" });
    expect(second.items.map((e) => e.id)).toEqual(ids.slice(2, 4));
    const third = await list(token, { maxResults: "2", pageToken: second.nextPageToken ?? "" });
    expect(third.items.map((e) => e.id)).toEqual([ids[4], ids[0]]);
    expect(third.nextPageToken).toBeUndefined();
    expect((await list(token, { syncToken: third.nextSyncToken ?? "" })).items).toEqual([]);
  });

  it("a full listing's token catches changes made while the client was paging", async ({ expect }) => {
    const { token } = await signedInAccount("syncsnap");
    await insertEvent(token, "primary", eventBody());
    await insertEvent(token, "primary", eventBody());
    const first = await list(token, { maxResults: "1" });
    const late = await insertEvent(token, "primary", eventBody());
    const { items, nextSyncToken } = await walk(token, {
      maxResults: "1",
      pageToken: first.nextPageToken ?? "",
    });
    expect(items.map((e) => e.id)).toContain(late.id);
    const delta = await list(token, { syncToken: nextSyncToken ?? "" });
    expect(delta.items.map((e) => e.id)).toEqual([late.id]);
  });

  it("400 invalid with a parameter the discovery document excludes, or a malformed token", async ({
    expect,
  }) => {
    const { token } = await signedInAccount("syncbad");
    const { nextSyncToken } = await list(token);
    const filters: Record<string, string>[] = [
      { timeMin: "2026-01-01T00:00:00Z" },
      { timeMax: "2027-01-01T00:00:00Z" },
      { updatedMin: "2026-01-01T00:00:00Z" },
      { q: "x" },
      { orderBy: "updated" },
      { iCalUID: "x@google.com" },
      { privateExtendedProperty: "a=b" },
      { sharedExtendedProperty: "a=b" },
    ];
    for (const extra of filters) {
      const res = await calendar(
        `${EVENTS}?${new URLSearchParams({ syncToken: nextSyncToken ?? "", ...extra })}`,
        token,
      );
      expect(res.status, JSON.stringify(extra)).toBe(400);
      const error = apiError(await res.json());
      expect(error.errors[0]?.reason).toBe("invalid");
      expect(error.message).toBe(`The syncToken parameter cannot be combined with ${Object.keys(extra)[0]}.`);
    }
    for (const bad of ["garbage", "CPDAlvWDx70CEPDAlvWDx70CGAU="]) {
      const res = await calendar(`${EVENTS}?${new URLSearchParams({ syncToken: bad })}`, token);
      expect(res.status).toBe(400);
      expect(apiError(await res.json())).toMatchObject({
        message: "Invalid sync token value.",
        errors: [{ reason: "invalid" }],
      });
    }
  });

  it("a token issued for another calendar is 400 invalid", async ({ expect }) => {
    const a = await signedInAccount("synca");
    const b = await signedInAccount("syncb");
    await addCalendar(b.email, { id: a.email, accessRole: "reader" });
    const own = await list(b.token);
    const res = await calendar(
      `/calendars/${encodeURIComponent(a.email)}/events?${new URLSearchParams({ syncToken: own.nextSyncToken ?? "" })}`,
      b.token,
    );
    expect(res.status).toBe(400);
    expect(apiError(await res.json()).errors[0]?.reason).toBe("invalid");
  });

  it("after expire-sync-tokens, every earlier token (and page of a sync) is 410 fullSyncRequired", async ({
    expect,
  }) => {
    const { email, token } = await signedInAccount("syncgone");
    for (let i = 0; i < 3; i++) await insertEvent(token, "primary", eventBody());
    const { nextSyncToken } = await list(token);
    await calendar(`${EVENTS}/${(await insertEvent(token, "primary", eventBody())).id}`, token, {
      method: "PATCH",
      json: { summary: "x" },
    });
    await insertEvent(token, "primary", eventBody());
    const page = await list(token, { syncToken: nextSyncToken ?? "", maxResults: "1" });
    expect(page.nextPageToken).toEqual(expect.any(String));
    await expireSyncTokens(email);
    const stale: Record<string, string>[] = [
      { syncToken: nextSyncToken ?? "" },
      { maxResults: "1", pageToken: page.nextPageToken ?? "" },
    ];
    for (const query of stale) {
      const res = await calendar(`${EVENTS}?${new URLSearchParams(query)}`, token);
      expect(res.status).toBe(410);
      expect(await res.json()).toEqual({
        error: {
          code: 410,
          message: "Sync token is no longer valid, a full sync is required.",
          errors: [
            {
              domain: "calendar",
              reason: "fullSyncRequired",
              message: "Sync token is no longer valid, a full sync is required.",
            },
          ],
        },
      });
    }
    // A full sync gives a token that works again.
    const fresh = await walk(token, {});
    expect(fresh.items).toHaveLength(5);
    expect((await list(token, { syncToken: fresh.nextSyncToken ?? "" })).items).toEqual([]);
  });
});
