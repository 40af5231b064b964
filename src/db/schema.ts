import { sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Placeholder until events land. */
export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});
