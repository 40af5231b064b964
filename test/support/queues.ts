// Drives the Worker's queue handler directly with a batch built by the vitest integration, as the queue
// would deliver it, and reports what became of each message.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";

/**
 * Hands the queue handler one batch of message bodies; returns its ack/retry result, with the delay each
 * retried message asked for (which getQueueResult leaves out).
 */
export async function runQueueBatch<Body>(queue: string, bodies: Body[], handlerEnv: Env = env) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body) => ({ id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body })),
  );
  const delays = new Map<string, number | undefined>();
  for (const message of batch.messages) {
    const retry = message.retry.bind(message);
    message.retry = (options) => {
      delays.set(message.id, options?.delaySeconds);
      retry(options);
    };
  }
  const ctx = createExecutionContext();
  await worker.queue(batch, handlerEnv);
  const result = await getQueueResult(batch, ctx);
  return { ...result, retryDelays: result.retryMessages.map((m) => delays.get(m.msgId)) };
}
