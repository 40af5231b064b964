import { Hono } from "hono";
import { getDocsPage } from "../openapi/docs-page";
import { getOpenApiJson } from "../openapi/document";
import type { AppEnv } from "../types";

/** The OpenAPI 3.1 document and the offline API reference page; neither needs configuration. */
export const docsRoutes = new Hono<AppEnv>()
  .get("/openapi.json", (c) => {
    c.header("content-type", "application/json; charset=utf-8");
    c.header("cache-control", "public, max-age=300");
    return c.body(getOpenApiJson());
  })
  .get("/docs", async (c) => {
    const { html, csp } = await getDocsPage();
    c.header("content-security-policy", csp);
    c.header("cache-control", "public, max-age=300");
    return c.html(html);
  });
