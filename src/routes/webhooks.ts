import { Hono } from "hono";
import { depsFromContext } from "../deps";
import { requireApiToken } from "../http/api-auth";
import { notFound } from "../http/problem";
import { parseJsonBody, parseQuery } from "../http/validate";
import type { AppEnv } from "../types";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  findWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
} from "../webhooks/endpoint-store";
import { WEBHOOK_EVENT_TYPES } from "../webhooks/event-types";
import { toDeliveryJson, toWebhookJson } from "../webhooks/webhook-json";
import { CreateWebhookBody, ListDeliveriesQuery, ListWebhooksQuery } from "./webhooks.schemas";

/** The client app's webhook endpoints: register, list, read, delete, and each one's recent deliveries. */
export const webhooksRoutes = new Hono<AppEnv>()
  // One registration: "/api/webhooks/*" also matches "/api/webhooks"; a second would spend the rate limit twice.
  .use("/api/webhooks/*", requireApiToken)
  .post("/api/webhooks", async (c) => {
    const input = await parseJsonBody(c, CreateWebhookBody);
    const { endpoint, secret } = await createWebhookEndpoint(depsFromContext(c), c.get("account").id, {
      url: input.url,
      events: input.events ?? WEBHOOK_EVENT_TYPES,
    });
    c.header("location", `/api/webhooks/${endpoint.id}`);
    // The secret is in this answer only: no cache may keep it.
    c.header("cache-control", "no-store");
    const { created_at, ...shown } = toWebhookJson(endpoint);
    return c.json({ ...shown, secret, created_at }, 201);
  })
  .get("/api/webhooks", async (c) => {
    parseQuery(c, ListWebhooksQuery);
    const endpoints = await listWebhookEndpoints(depsFromContext(c).db, c.get("account").id);
    return c.json({ webhooks: endpoints.map(toWebhookJson) });
  })
  .get("/api/webhooks/:id", async (c) => {
    const id = c.req.param("id");
    const endpoint = await findWebhookEndpoint(depsFromContext(c).db, c.get("account").id, id);
    if (!endpoint) throw noSuchEndpoint(id);
    return c.json(toWebhookJson(endpoint));
  })
  .delete("/api/webhooks/:id", async (c) => {
    const id = c.req.param("id");
    if (!(await deleteWebhookEndpoint(depsFromContext(c).db, c.get("account").id, id))) {
      throw noSuchEndpoint(id);
    }
    return c.body(null, 204);
  })
  .get("/api/webhooks/:id/deliveries", async (c) => {
    const query = parseQuery(c, ListDeliveriesQuery);
    const id = c.req.param("id");
    const deliveries = await listWebhookDeliveries(
      depsFromContext(c).db,
      c.get("account").id,
      id,
      query.limit ?? 20,
    );
    if (!deliveries) throw noSuchEndpoint(id);
    return c.json({ deliveries: deliveries.map(toDeliveryJson) });
  });

function noSuchEndpoint(id: string) {
  return notFound(`No webhook endpoint with id ${JSON.stringify(id.slice(0, 64))}.`);
}
