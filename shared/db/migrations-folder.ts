// Where the checked-in drizzle-kit migrations live (one place for the client and the embedded host).
import { fileURLToPath } from "node:url";

/** The checked-in drizzle-kit migrations. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("./migrations", import.meta.url));
