import { Hono } from "hono";
import { depsFromContext } from "../deps";
import { wantsJson } from "../http/negotiate";
import { ProblemError } from "../http/problem";
import { clearBindingCookie, readBindingCookie } from "../oauth/binding-cookie";
import { completeConsent } from "../oauth/callback";
import { renderConnectedPage, renderConsentErrorPage } from "../oauth/pages";
import { startFollowing } from "../sync/follow-account";
import type { AppEnv } from "../types";

/** Google's redirect back: JSON for API clients, an HTML page (token shown once) for browsers. */
export const oauthCallbackRoutes = new Hono<AppEnv>().get("/oauth2callback", async (c) => {
  c.header("cache-control", "no-store");
  const json = wantsJson(c);
  try {
    const deps = depsFromContext(c);
    const result = await completeConsent(deps, {
      code: c.req.query("code"),
      state: c.req.query("state"),
      error: c.req.query("error"),
      browserBinding: readBindingCookie(c),
    });
    clearBindingCookie(c);
    c.executionCtx.waitUntil(startFollowing(deps, result.account.id));
    if (json) {
      return c.json({ account: result.account, api_token: result.apiToken, scopes: result.scopes });
    }
    return c.html(renderConnectedPage(result));
  } catch (err) {
    if (json || !(err instanceof ProblemError)) throw err;
    return c.html(renderConsentErrorPage(err), err.status as 400);
  }
});
