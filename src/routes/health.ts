import { Hono } from "hono";
import type { AppEnv } from "../types";

/** Liveness: answers without touching configuration or storage. */
export const healthRoutes = new Hono<AppEnv>().get("/health", (c) => c.json({ status: "ok" }));
