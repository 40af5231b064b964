import { Hono } from "hono";
import type { AppEnv } from "../types";

// The API reference. /openapi.json is a static asset written by the build (scripts/openapi-json.mjs) and
// served by Workers static assets before the Worker runs; the route here only answers the spellings the
// asset layer leaves to the Worker (`/openapi.json/`), from the same file.

/** Where the build copies swagger-ui-dist; Workers static assets serve it, so the page needs no CDN. */
const SWAGGER_UI_PATH = "/docs/vendor";

const INIT_SCRIPT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });`;

const HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>calendar-edge API reference</title>
<link rel="icon" type="image/png" href="${SWAGGER_UI_PATH}/favicon-32x32.png">
<link rel="stylesheet" href="${SWAGGER_UI_PATH}/swagger-ui.css">
<style>body{margin:0}</style>
</head><body>
<div id="swagger-ui"><noscript>The API reference needs JavaScript; the raw document is at <a href="/openapi.json">/openapi.json</a>.</noscript></div>
<script src="${SWAGGER_UI_PATH}/swagger-ui-bundle.js"></script>
<script>${INIT_SCRIPT}</script>
</body></html>`;

let page: Promise<{ html: string; csp: string }> | undefined;

/** The OpenAPI document (from the static asset) and the offline API reference page; neither needs configuration. */
export const docsRoutes = new Hono<AppEnv>()
  .get("/openapi.json", async (c) => {
    const res = await c.env.ASSETS.fetch(new URL("/openapi.json", c.req.url));
    // A fresh Response: the binding's headers are immutable, and the middleware adds its own.
    return res.ok ? new Response(res.body, res) : c.notFound();
  })
  .get("/docs", async (c) => {
    const { html, csp } = await getDocsPage();
    c.header("content-security-policy", csp);
    c.header("cache-control", "public, max-age=300");
    return c.html(html);
  });

/**
 * The Swagger UI page and its Content-Security-Policy: scripts only from this origin plus the one inline
 * initializer (by hash), requests only to this origin, so the page cannot load or leak anything elsewhere.
 */
function getDocsPage(): Promise<{ html: string; csp: string }> {
  page ??= scriptHash(INIT_SCRIPT).then((hash) => ({
    html: HTML,
    csp: [
      "default-src 'none'",
      `script-src 'self' '${hash}'`,
      // Swagger UI (React) sets style attributes.
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
  }));
  return page;
}

async function scriptHash(script: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(script)));
  return `sha256-${btoa(String.fromCharCode(...digest))}`;
}
