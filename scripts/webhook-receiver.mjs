#!/usr/bin/env node
// `npm run webhook-receiver`: a local receiver for the app's outgoing webhooks, for trying them with
// `npm run dev` (whose .dev.vars sets WEBHOOK_ALLOW_LOCALHOST=true). Register it, then set its secret:
//
//   curl -X POST http://localhost:8787/api/webhooks/ -H "Authorization: Bearer $TOKEN" \
//     -H 'Content-Type: application/json' -d '{"url": "http://localhost:8789/hooks"}'
//   WEBHOOK_SECRET=whsec_… npm run webhook-receiver
//
// Every delivery is printed; with WEBHOOK_SECRET it is verified with the `standardwebhooks` package, as a
// real receiver would, and answered 401 when the signature does not hold.
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

const PORT = Number(process.env.WEBHOOK_RECEIVER_PORT ?? 8789);
const secret = process.env.WEBHOOK_SECRET;
const verifier = secret ? new Webhook(secret) : undefined;

createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
    let verdict = "not verified (set WEBHOOK_SECRET)";
    if (verifier) {
      try {
        verifier.verify(body, headers);
        verdict = "signature verified";
      } catch (error) {
        verdict = `signature REFUSED: ${error.message}`;
      }
    }
    let summary = body.slice(0, 200);
    try {
      const parsed = JSON.parse(body);
      const event = parsed.data?.event;
      summary = `${parsed.type} ${parsed.id}${event ? ` event ${event.id} (${event.status}, ${event.summary})` : ""}${parsed.data?.attendee ? ` ${parsed.data.attendee.email} → ${parsed.data.attendee.response_status}` : ""}`;
    } catch {
      // not JSON: printed as received
    }
    console.log(
      `${new Date().toISOString()} ${request.method} ${request.url} webhook-id=${headers["webhook-id"]} ${summary} — ${verdict}`,
    );
    response.writeHead(verifier && verdict !== "signature verified" ? 401 : 204).end();
  });
}).listen(PORT, "127.0.0.1", () => console.log(`webhook receiver on http://localhost:${PORT}/hooks`));
