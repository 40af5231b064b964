/** Placeholder: the Google emulator (see emulator/README.md). */
export interface EmulatorClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}
export interface EmulatorOptions {
  clients: EmulatorClient[];
}
export interface GoogleEmulator {
  fetch(request: Request): Promise<Response>;
}
export function createGoogleEmulator(_options: EmulatorOptions): GoogleEmulator {
  return { fetch: async () => new Response("not implemented", { status: 501 }) };
}
