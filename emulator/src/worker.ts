import {
  type BackgroundWork,
  createGoogleEmulator,
  type EmulatorClient,
  type GoogleEmulator,
} from "./emulator.ts";

/** The emulator Worker's vars (emulator/wrangler.toml). */
interface EmulatorWorkerEnv {
  /** JSON array of `{ clientId, clientSecret, redirectUris, name? }`. */
  EMULATOR_CLIENTS: string;
}

function parseClients(json: string): EmulatorClient[] {
  const clients: unknown = JSON.parse(json);
  const valid =
    Array.isArray(clients) &&
    clients.every(
      (client) =>
        typeof client?.clientId === "string" &&
        typeof client.clientSecret === "string" &&
        Array.isArray(client.redirectUris) &&
        client.redirectUris.every((uri: unknown) => typeof uri === "string"),
    );
  if (!valid)
    throw new Error("EMULATOR_CLIENTS must be a JSON array of { clientId, clientSecret, redirectUris }");
  return clients as EmulatorClient[];
}

// Module scope: wrangler dev runs one isolate, so every request sees the same accounts, tokens and events.
let emulator: GoogleEmulator | undefined;

export default {
  async fetch(request: Request, env: EmulatorWorkerEnv, ctx: BackgroundWork): Promise<Response> {
    // Push mode: watch notifications really reach the app, which runs on plain HTTP at localhost:8787.
    emulator ??= createGoogleEmulator({
      clients: parseClients(env.EMULATOR_CLIENTS),
      notifications: "push",
      allowHttpAddresses: true,
    });
    return emulator.fetch(request, ctx);
  },
};
