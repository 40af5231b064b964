// Layer: contract over HTTP + emulator + cron: the life of Google push channels. Opened at consent,
// renewed before they expire (new first, then the old one stopped), stopped at disconnect, forgotten
// when the grant dies; notifications on a channel that is gone are refused.
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { api } from "../support/app";
import { createEvent } from "../support/events";
import {
  callsOf,
  channelsOf,
  expireAccessTokens,
  respondAsAttendee,
  revokeGrantsAtGoogle,
  takeNotifications,
} from "../support/google";
import { runCron } from "../support/mail";
import { me, newEmail, signIn } from "../support/sign-in";
import { deliver, eventually, liveChannel } from "../support/sync";

async function storedChannels(accountId: string) {
  const { results } = await env.DB.prepare(
    "SELECT id, resource_id, token_hash, expires_at FROM watch_channels WHERE account_id = ?",
  )
    .bind(accountId)
    .all<{ id: string; resource_id: string; token_hash: string; expires_at: string }>();
  return results;
}

describe("channels", () => {
  it("the consent opens one channel on the primary calendar, its token kept only as a hash", async ({
    expect,
  }) => {
    const user = await signIn();
    const channel = await liveChannel(user.email);
    expect(channel.address).toBe("https://calendar-edge.test/webhooks/google");
    expect(channel.calendarId).toBe(user.email);
    expect(channel.tokenSet).toBe(true);
    const stored = await eventually(async () => {
      const rows = await storedChannels(user.accountId);
      return rows[0]?.resource_id ? rows : undefined;
    });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ id: channel.id, resource_id: channel.resourceId });
    expect(stored[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    const [held] = await takeNotifications(user.email);
    expect(held?.state).toBe("sync");
    expect(stored[0]!.token_hash).not.toContain(held!.headers["X-Goog-Channel-Token"]);
  });

  it("is renewed by cron a day before it expires: the new channel first, then the old one stopped", async ({
    expect,
  }) => {
    const user = await signIn();
    const old = await liveChannel(user.email);
    await eventually(async () => (await storedChannels(user.accountId))[0]?.resource_id);
    // Not yet: more than a day left.
    await runCron(60 * 24 * 5);
    expect((await channelsOf(user.email)).filter((c) => !c.stopped)).toHaveLength(1);

    await runCron(60 * 24 * 6 + 60);
    const channels = await channelsOf(user.email);
    const renewed = channels.find((c) => c.id !== old.id);
    expect(renewed).toMatchObject({ stopped: false, calendarId: user.email });
    expect(channels.find((c) => c.id === old.id)?.stopped).toBe(true);
    const watches = await callsOf(user.email, "events.watch");
    const stops = await callsOf(user.email, "channels.stop");
    expect(watches).toHaveLength(2);
    expect(stops).toHaveLength(1);
    expect(stops[0]!.at >= watches[1]!.at).toBe(true);
    expect((await storedChannels(user.accountId)).map((c) => c.id)).toEqual([renewed!.id]);
  });

  it("is stopped when the user disconnects; its notifications are refused afterwards", async ({ expect }) => {
    const user = await signIn();
    const channel = await liveChannel(user.email);
    const { event } = await createEvent(user.token, { participants: [newEmail("ada")] });
    const held = await takeNotifications(user.email);
    const revoke = await api("/api/google-auth/revoke/", { method: "POST", token: user.token });
    expect(revoke.status).toBe(204);
    expect((await channelsOf(user.email)).find((c) => c.id === channel.id)?.stopped).toBe(true);
    expect(await storedChannels(user.accountId)).toEqual([]);
    expect((await me(user.token)).body.google.status).toBe("disconnected");
    const late = held.find((n) => n.state === "exists")!;
    expect((await deliver(late)).status).toBe(403);
    expect(event.id).toEqual(expect.any(String));
  });

  it("is forgotten when the grant dies (it cannot be stopped without one); notifications refused", async ({
    expect,
  }) => {
    const user = await signIn();
    await liveChannel(user.email);
    const ada = newEmail("ada");
    const { event } = await createEvent(user.token, { participants: [ada] });
    await takeNotifications(user.email);
    await revokeGrantsAtGoogle(user.email);
    await expireAccessTokens(user.email);
    // The next Google call finds the grant dead.
    const res = await api(`/api/events/${event.id}`, {
      method: "PATCH",
      token: user.token,
      body: { summary: "after revocation" },
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe("reauthorization_required");
    expect((await me(user.token)).body.google.status).toBe("reauthorization_required");
    expect(await storedChannels(user.accountId)).toEqual([]);
    await respondAsAttendee(user.email, event.google_event_id, ada, "accepted");
    const [late] = await takeNotifications(user.email);
    expect((await deliver(late!)).status).toBe(403);
    // Cron opens nothing for an account that needs reauthorization.
    await runCron(5);
    expect((await callsOf(user.email, "events.watch")).length).toBe(1);
  });

  it("is opened again on reconnect after the grant died", async ({ expect }) => {
    const user = await signIn();
    await liveChannel(user.email);
    await revokeGrantsAtGoogle(user.email);
    await expireAccessTokens(user.email);
    await api("/api/events/", {
      method: "POST",
      token: user.token,
      body: {
        participants: ["x@example.com"],
        start_time: "2026-12-01T10:00:00Z",
        end_time: "2026-12-01T11:00:00Z",
      },
    });
    expect(await storedChannels(user.accountId)).toEqual([]);
    await signIn({ email: user.email });
    await eventually(async () => (await storedChannels(user.accountId)).length === 1);
    expect((await me(user.token)).body.google.status).toBe("connected");
  });
});
