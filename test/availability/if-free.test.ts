// Layer: contract over HTTP + emulator + D1: `if_free` bookings never share a slot. The conditional intent
// write in D1 serialises concurrent requests of one account; Google's free/busy covers what was booked
// directly in Google Calendar.
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { api, problemOf } from "../support/app";
import { createEvent, type EventJson } from "../support/events";
import { createInGoogle, googleEventsOf, waitForGoogleIdle } from "../support/google";
import { newEmail, signIn } from "../support/sign-in";

async function liveGoogleEvents(email: string) {
  return (await googleEventsOf(email)).filter((e) => e.status !== "cancelled");
}

async function confirmedRows(accountId: string): Promise<number> {
  const row = await env.DB.prepare(
    "SELECT count(*) AS n FROM events WHERE account_id = ? AND status = 'confirmed' AND pending_op IS NULL",
  )
    .bind(accountId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

function slot(startHour: number, endHour: number, day = "2026-12-09") {
  const hh = (h: number) => `${String(Math.floor(h)).padStart(2, "0")}:${h % 1 === 0.5 ? "30" : "00"}`;
  return {
    start_time: `${day}T${hh(startHour)}:00Z`,
    end_time: `${day}T${hh(endHour)}:00Z`,
    time_zone: "UTC",
  };
}

async function bookIfFree(token: string, times: Record<string, string>) {
  return createEvent(token, { participants: [newEmail("p")], ...times, if_free: true });
}

describe("if_free under concurrency", () => {
  it("50 concurrent creates of the same slot: exactly one event at Google and in D1, 49 × 409", async ({
    expect,
  }) => {
    const user = await signIn();
    const results = await Promise.all(Array.from({ length: 50 }, () => bookIfFree(user.token, slot(10, 11))));
    const statuses = results.map((r) => r.res.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    for (const { res } of results.filter((r) => r.res.status === 409)) {
      const problem = await problemOf(res);
      expect(problem.code).toBe("slot_unavailable");
      expect(problem.conflicts).toEqual([
        expect.objectContaining({ start: "2026-12-09T10:00:00Z", end: "2026-12-09T11:00:00Z" }),
      ]);
    }
    await waitForGoogleIdle(user.email);
    expect(await liveGoogleEvents(user.email)).toHaveLength(1);
    expect(await confirmedRows(user.accountId)).toBe(1);
  });

  it("overlapping (not identical) slots: exactly one wins", async ({ expect }) => {
    const user = await signIn();
    const slots = [slot(9, 10), slot(9.5, 10.5), slot(9.5, 11), slot(8.5, 9.5), slot(9, 11), slot(8, 12)];
    const all = slots.flatMap((s) => Array.from({ length: 5 }, () => s));
    const results = await Promise.all(all.map((s) => bookIfFree(user.token, s)));
    const won = results.filter((r) => r.res.status === 201);
    // Every pair of these slots overlaps, so one booking can exist at most.
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.res.status === 409)).toHaveLength(all.length - 1);
    await waitForGoogleIdle(user.email);
    expect(await liveGoogleEvents(user.email)).toHaveLength(1);
    expect(await confirmedRows(user.accountId)).toBe(1);
  });

  it("non-overlapping slots all succeed, touching ends included", async ({ expect }) => {
    const user = await signIn();
    const slots = [slot(8, 9), slot(9, 10), slot(10, 11), slot(11, 12), slot(12, 13), slot(13, 14)];
    const results = await Promise.all(slots.map((s) => bookIfFree(user.token, s)));
    expect(results.map((r) => r.res.status)).toEqual(slots.map(() => 201));
    expect(await liveGoogleEvents(user.email)).toHaveLength(slots.length);
  });

  it("another account's bookings never conflict", async ({ expect }) => {
    const [a, b] = await Promise.all([signIn(), signIn()]);
    const [ra, rb] = await Promise.all([
      bookIfFree(a.token, slot(10, 11)),
      bookIfFree(b.token, slot(10, 11)),
    ]);
    expect([ra.res.status, rb.res.status]).toEqual([201, 201]);
  });

  it("a cancelled booking frees its slot", async ({ expect }) => {
    const user = await signIn();
    const first = await bookIfFree(user.token, slot(15, 16));
    expect(first.res.status).toBe(201);
    expect((await bookIfFree(user.token, slot(15, 16))).res.status).toBe(409);
    await api(`/api/events/${first.event.id}`, { method: "DELETE", token: user.token });
    expect((await bookIfFree(user.token, slot(15, 16))).res.status).toBe(201);
  });
});

describe("if_free against Google Calendar", () => {
  it("a slot made busy directly in Google → 409 with the conflicting interval, nothing written", async ({
    expect,
  }) => {
    const user = await signIn();
    await createInGoogle(user.email, {
      summary: "Booked in Google",
      start: { dateTime: "2026-12-10T09:30:00Z" },
      end: { dateTime: "2026-12-10T10:15:00Z" },
    });
    const { res } = await bookIfFree(user.token, slot(10, 11, "2026-12-10"));
    expect(res.status).toBe(409);
    const problem = await problemOf(res);
    expect(problem.code).toBe("slot_unavailable");
    expect(problem.conflicts).toEqual([
      {
        start: "2026-12-10T10:00:00Z",
        end: "2026-12-10T10:15:00Z",
        source: "google",
        calendar_id: "primary",
      },
    ]);
    expect(await confirmedRows(user.accountId)).toBe(0);
    const { results } = await env.DB.prepare("SELECT id FROM events WHERE account_id = ?")
      .bind(user.accountId)
      .all();
    expect(results).toEqual([]);
    expect(await liveGoogleEvents(user.email)).toHaveLength(1);

    // Without if_free the service books over it, as before.
    expect((await createEvent(user.token, slot(10, 11, "2026-12-10"))).res.status).toBe(201);
  });

  it("conflicts are shown in the event's time zone", async ({ expect }) => {
    const user = await signIn();
    await createInGoogle(user.email, {
      start: { dateTime: "2026-12-10T09:00:00Z" },
      end: { dateTime: "2026-12-10T10:00:00Z" },
    });
    const { res } = await createEvent(user.token, {
      start_time: "2026-12-10T10:30:00",
      end_time: "2026-12-10T11:30:00",
      time_zone: "Europe/Berlin",
      if_free: true,
    });
    expect(res.status).toBe(409);
    expect((await problemOf(res)).conflicts).toEqual([
      expect.objectContaining({ start: "2026-12-10T10:30:00+01:00", end: "2026-12-10T11:00:00+01:00" }),
    ]);
  });
});

describe("if_free on PATCH", () => {
  it("moving within its own slot is free; onto another booking is 409; the event stays put", async ({
    expect,
  }) => {
    const user = await signIn();
    const a = await bookIfFree(user.token, slot(9, 10, "2026-12-11"));
    const b = await bookIfFree(user.token, slot(11, 12, "2026-12-11"));
    expect([a.res.status, b.res.status]).toEqual([201, 201]);

    const shift = await api(`/api/events/${a.event.id}`, {
      method: "PATCH",
      token: user.token,
      body: { ...slot(9.5, 10.5, "2026-12-11"), if_free: true },
    });
    expect(shift.status).toBe(200);

    const clash = await api(`/api/events/${a.event.id}`, {
      method: "PATCH",
      token: user.token,
      body: { ...slot(11.5, 12.5, "2026-12-11"), if_free: true },
    });
    expect(clash.status).toBe(409);
    const problem = await problemOf(clash);
    expect(problem.code).toBe("slot_unavailable");
    const after = (await (await api(`/api/events/${a.event.id}`, { token: user.token })).json()) as EventJson;
    expect(after.start_time).toBe("2026-12-11T09:30:00Z");
    // The refused move left no change in flight: the next one goes through.
    const ok = await api(`/api/events/${a.event.id}`, {
      method: "PATCH",
      token: user.token,
      body: { ...slot(13, 14, "2026-12-11"), if_free: true },
    });
    expect(ok.status).toBe(200);
  });

  it("concurrent moves of two events into one slot: one wins", async ({ expect }) => {
    const user = await signIn();
    const a = await bookIfFree(user.token, slot(8, 9, "2026-12-12"));
    const b = await bookIfFree(user.token, slot(9, 10, "2026-12-12"));
    const target = { ...slot(14, 15, "2026-12-12"), if_free: true };
    const [ra, rb] = await Promise.all([
      api(`/api/events/${a.event.id}`, { method: "PATCH", token: user.token, body: target }),
      api(`/api/events/${b.event.id}`, { method: "PATCH", token: user.token, body: target }),
    ]);
    expect([ra.status, rb.status].sort()).toEqual([200, 409]);
  });
});
