// Layer: pure module: createGoogleEmulator called in-process with its own clock and clients (no outboundService).
import { describe, it } from "vitest";
import { createGoogleEmulator, type GoogleEmulator } from "../../emulator/src/emulator";
import { CALENDAR_SCOPE, pkcePair } from "./google-client";

const A = {
  clientId: "a.apps.googleusercontent.com",
  clientSecret: "secret-a",
  redirectUris: ["https://a.test/cb"],
};
const B = {
  clientId: "b.apps.googleusercontent.com",
  clientSecret: "secret-b",
  redirectUris: ["https://b.test/cb"],
};

function setup() {
  let now = Date.parse("2026-06-01T12:00:00Z");
  const emulator = createGoogleEmulator({ clients: [A, B], now: () => now, dropStyle: "throw" });
  return {
    emulator,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function post(emulator: GoogleEmulator, url: string, form: Record<string, string>) {
  return emulator.fetch(new Request(url, { method: "POST", body: new URLSearchParams(form) }));
}

async function consent(
  emulator: GoogleEmulator,
  client: typeof A,
  email: string,
  params: Record<string, string> = {},
) {
  const { verifier, challenge } = await pkcePair();
  const res = await post(emulator, "https://accounts.google.com/o/oauth2/v2/auth/approve", {
    client_id: client.clientId,
    redirect_uri: client.redirectUris[0] ?? "",
    response_type: "code",
    scope: `openid email ${CALENDAR_SCOPE}`,
    code_challenge: challenge,
    code_challenge_method: "S256",
    access_type: "offline",
    prompt: "consent",
    email,
    decision: "allow",
    granted_scope: CALENDAR_SCOPE,
    ...params,
  });
  const code = new URL(res.headers.get("location") ?? "").searchParams.get("code") ?? "";
  return { code, verifier };
}

function exchange(emulator: GoogleEmulator, client: typeof A, code: string, verifier: string) {
  return post(emulator, "https://oauth2.googleapis.com/token", {
    grant_type: "authorization_code",
    code,
    code_verifier: verifier,
    redirect_uri: client.redirectUris[0] ?? "",
    client_id: client.clientId,
    client_secret: client.clientSecret,
  });
}

async function tokensFor(emulator: GoogleEmulator, client: typeof A, email: string, params = {}) {
  const { code, verifier } = await consent(emulator, client, email, params);
  return (await (await exchange(emulator, client, code, verifier)).json()) as {
    access_token: string;
    refresh_token?: string;
    scope: string;
  };
}

describe("expiry on the emulator's clock", () => {
  it("a code expires after 10 minutes", async ({ expect }) => {
    const { emulator, advance } = setup();
    const { code, verifier } = await consent(emulator, A, "alice@example.com");
    advance(10 * 60_000 + 1);
    const res = await exchange(emulator, A, code, verifier);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid_grant", error_description: "Bad Request" });
  });

  it("an access token stops working after an hour", async ({ expect }) => {
    const { emulator, advance } = setup();
    const { access_token } = await tokensFor(emulator, A, "alice@example.com");
    const list = () =>
      emulator.fetch(
        new Request("https://www.googleapis.com/calendar/v3/calendars/primary/events", {
          headers: { authorization: `Bearer ${access_token}` },
        }),
      );
    expect((await list()).status).toBe(200);
    advance(3600_000);
    expect((await list()).status).toBe(401);
  });
});

describe("clients are kept apart", () => {
  it("a code issued to one client is refused to another", async ({ expect }) => {
    const { emulator } = setup();
    const { code, verifier } = await consent(emulator, A, "alice@example.com");
    const res = await post(emulator, "https://oauth2.googleapis.com/token", {
      grant_type: "authorization_code",
      code,
      code_verifier: verifier,
      redirect_uri: A.redirectUris[0] ?? "",
      client_id: B.clientId,
      client_secret: B.clientSecret,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_grant");
  });

  it("a refresh token of another client → unauthorized_client", async ({ expect }) => {
    const { emulator } = setup();
    const { refresh_token } = await tokensFor(emulator, A, "alice@example.com");
    const res = await post(emulator, "https://oauth2.googleapis.com/token", {
      grant_type: "refresh_token",
      refresh_token: refresh_token ?? "",
      client_id: B.clientId,
      client_secret: B.clientSecret,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "unauthorized_client", error_description: "Unauthorized" });
  });
});

describe("grants", () => {
  it("a second consent without prompt=consent gets no new refresh token, as at Google", async ({
    expect,
  }) => {
    const { emulator } = setup();
    expect((await tokensFor(emulator, A, "bob@example.com")).refresh_token).toBeTruthy();
    expect(
      (await tokensFor(emulator, A, "bob@example.com", { prompt: "select_account" })).refresh_token,
    ).toBeUndefined();
    expect((await tokensFor(emulator, A, "bob@example.com")).refresh_token).toBeTruthy();
  });

  it("include_granted_scopes=true adds earlier grants to the new token's scope", async ({ expect }) => {
    const { emulator } = setup();
    await tokensFor(emulator, A, "carol@example.com");
    const narrow = await tokensFor(emulator, A, "carol@example.com", { scope: "openid", granted_scope: "" });
    expect(narrow.scope).toBe("openid");
    const merged = await tokensFor(emulator, A, "carol@example.com", {
      scope: "openid",
      include_granted_scopes: "true",
    });
    expect(merged.scope.split(" ").sort()).toEqual(
      ["openid", "https://www.googleapis.com/auth/userinfo.email", CALENDAR_SCOPE].sort(),
    );
  });
});

describe("dropStyle throw", () => {
  it("makes emulator.fetch reject with a TypeError", async ({ expect }) => {
    const { emulator } = setup();
    await emulator.fetch(
      new Request("https://www.googleapis.com/__emulator/faults", {
        method: "POST",
        body: JSON.stringify({ endpoint: "certs", drop: true }),
      }),
    );
    await expect(
      emulator.fetch(new Request("https://www.googleapis.com/oauth2/v3/certs")),
    ).rejects.toBeInstanceOf(TypeError);
    expect((await emulator.fetch(new Request("https://www.googleapis.com/oauth2/v3/certs"))).status).toBe(
      200,
    );
  });
});

describe("routing", () => {
  it("answers an unknown path with a plain 404 naming it", async ({ expect }) => {
    const { emulator } = setup();
    const res = await emulator.fetch(new Request("https://www.googleapis.com/drive/v3/files"));
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("no route for GET https://www.googleapis.com/drive/v3/files");
  });
});

describe("wall-clock times", () => {
  it("reads a skipped DST hour forward and a repeated one as the earlier instant", async ({ expect }) => {
    const { emulator } = setup();
    const { access_token } = await tokensFor(emulator, A, "alice@example.com");
    const insert = async (dateTime: string) => {
      const res = await emulator.fetch(
        new Request("https://www.googleapis.com/calendar/v3/calendars/primary/events", {
          method: "POST",
          headers: { authorization: `Bearer ${access_token}`, "content-type": "application/json" },
          body: JSON.stringify({
            start: { dateTime, timeZone: "America/New_York" },
            end: { dateTime: "2026-11-02T12:00:00", timeZone: "America/New_York" },
          }),
        }),
      );
      return ((await res.json()) as { start: { dateTime: string } }).start.dateTime;
    };
    expect(await insert("2026-03-08T02:30:00")).toBe("2026-03-08T03:30:00-04:00");
    expect(await insert("2026-11-01T01:30:00")).toBe("2026-11-01T01:30:00-04:00");
  });
});
