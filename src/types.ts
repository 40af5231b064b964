import type { Config } from "./config";

/** The account an API token belongs to: a Google account (`sub`) connected through the consent flow. */
export interface Account {
  id: string;
  email: string;
}

/** The one Hono environment type shared by the app, routers and middleware. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: Config;
    account: Account;
  };
}
