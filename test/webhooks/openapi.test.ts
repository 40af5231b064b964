// Layer: contract over HTTP (the ASSETS binding, which serves the generated public/openapi.json as Workers static
// assets do). /openapi.json describes the webhook routes from the handlers' own schemas, and every event this
// service sends in its OpenAPI 3.1 `webhooks` section.
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";

interface Doc {
  paths: Record<
    string,
    Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>
  >;
  webhooks: Record<string, { post: { parameters: { name: string; in: string }[]; requestBody: unknown } }>;
  components: { schemas: Record<string, Record<string, unknown>> };
  tags: { name: string }[];
}

async function doc(): Promise<Doc> {
  return (await (await env.ASSETS.fetch("https://calendar-edge.test/openapi.json")).json()) as Doc;
}

describe("/openapi.json and webhooks", () => {
  it("takes the create body from the handler schema: url required, events of the five types, nothing else", async ({
    expect,
  }) => {
    const { paths, components } = await doc();
    const ref = paths["/api/webhooks/"]!.post!.requestBody!.content["application/json"]!.schema
      .$ref as string;
    const body = components.schemas[ref.replace("#/components/schemas/", "")]!;
    expect(body.required).toEqual(["url"]);
    expect(body.additionalProperties).toBe(false);
    expect(body).toMatchObject({
      properties: {
        url: { type: "string", maxLength: 2048 },
        events: {
          type: "array",
          minItems: 1,
          items: {
            enum: [
              "event.created",
              "event.updated",
              "event.cancelled",
              "attendee.responded",
              "account.reauthorization_required",
            ],
          },
        },
      },
    });
    expect(components.schemas.WebhookDelivery).toMatchObject({
      properties: { status: { enum: ["queued", "delivered", "failed"] } },
    });
  });

  it("lists every event type under `webhooks`, with the three Standard Webhooks headers", async ({
    expect,
  }) => {
    const { webhooks, tags } = await doc();
    expect(Object.keys(webhooks)).toEqual([
      "event.created",
      "event.updated",
      "event.cancelled",
      "attendee.responded",
      "account.reauthorization_required",
    ]);
    for (const entry of Object.values(webhooks)) {
      expect(entry.post.parameters.map((p) => `${p.in}:${p.name}`)).toEqual([
        "header:webhook-id",
        "header:webhook-timestamp",
        "header:webhook-signature",
      ]);
    }
    expect(tags.map((t) => t.name)).toContain("Webhooks");
  });
});
