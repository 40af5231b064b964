// Layer: pure module (config.ts), called directly. CONTRACT.md "Configuration".
import { describe, it } from "vitest";
import { parseConfig } from "../../src/config";
import { ProblemError } from "../../src/http/problem";

const KEY = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
const minimal = {
  GOOGLE_CLIENT_ID: "id",
  GOOGLE_CLIENT_SECRET: "shh-secret-value",
  TOKEN_ENCRYPTION_KEY: KEY,
};

describe("parseConfig", () => {
  it("defaults every Google URL to Google's own", ({ expect }) => {
    const config = parseConfig({ ...minimal });
    expect(config).toMatchObject({
      googleAuthUrl: "https://accounts.google.com/o/oauth2/v2/auth",
      googleTokenUrl: "https://oauth2.googleapis.com/token",
      googleRevokeUrl: "https://oauth2.googleapis.com/revoke",
      googleJwksUrl: "https://www.googleapis.com/oauth2/v3/certs",
      googleCalendarApiUrl: "https://www.googleapis.com/calendar/v3",
      oauthRedirectUri: undefined,
      googleTimeoutMs: 10_000,
    });
  });

  it("treats empty values as unset and trims a trailing slash from the Calendar base", ({ expect }) => {
    const config = parseConfig({
      ...minimal,
      GOOGLE_AUTH_URL: "",
      GOOGLE_CALENDAR_API_URL: "http://localhost:8788/calendar/v3/",
    });
    expect(config.googleAuthUrl).toBe("https://accounts.google.com/o/oauth2/v2/auth");
    expect(config.googleCalendarApiUrl).toBe("http://localhost:8788/calendar/v3");
  });

  it("names every missing or malformed setting in a 500 problem, never its value", ({ expect }) => {
    const err = (() => {
      try {
        parseConfig({
          GOOGLE_CLIENT_SECRET: "shh-secret-value",
          TOKEN_ENCRYPTION_KEY: "too-short",
          GOOGLE_TOKEN_URL: "ftp://x",
        });
      } catch (e) {
        return e;
      }
    })() as ProblemError;
    expect(err).toBeInstanceOf(ProblemError);
    expect(err.status).toBe(500);
    expect(err.code).toBe("configuration_error");
    expect(err.detail).toContain("GOOGLE_CLIENT_ID");
    expect(err.detail).toContain("TOKEN_ENCRYPTION_KEY");
    expect(err.detail).toContain("GOOGLE_TOKEN_URL");
    expect(JSON.stringify(err.toJSON())).not.toContain("shh-secret-value");
    expect(JSON.stringify(err.toJSON())).not.toContain("too-short");
  });
});
