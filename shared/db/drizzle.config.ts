// drizzle-kit configuration: `npm run db:generate` writes SQL migrations from schema.ts.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./shared/db/schema.ts",
  out: "./shared/db/migrations",
  strict: true,
});
