// `bun run decisions id-case [set any_case|exact]`: reads, or states, the letter-case rule of the
// customer ids in the decision service's store (DATABASE_URL, else PGlite in DECISION_DATA_DIR),
// for when nothing can say it (the forecast service gone, a store kept apart from the registry):
// lookups and erasures answered `id_case: "unknown"` with a warning for good. A running service
// reads the store at each lookup or erasure until it holds any_case, so it takes a stated rule at
// its next one. `exact` is refused once any_case holds (shared/registry/decision-id-case.ts).
import { parseArgs } from "node:util";
import { shownText } from "@pp/shared/errors/shown-text.ts";
import {
  type RecordedIdCase,
  recordedIdCase,
  stateIdCase,
} from "@pp/shared/registry/decision-id-case.ts";
import { closeWithin } from "../store/close-within.ts";
import { openCliStore } from "./cli-store.ts";

const RULES = ["any_case", "exact"] as const;
type StatedRule = (typeof RULES)[number];

const usage =
  "usage: decisions id-case                  prints the case rule of customer ids and its source\n" +
  "       decisions id-case set any_case|exact  states it: any_case (every letter case of an id\n" +
  "                                          is one customer: a model trained with --ignore-id-case),\n" +
  "                                          exact (case-sensitive); exact is refused once any_case holds";

class UsageError extends Error {}

/** The command: read (rule undefined) or state a rule. Checked before any store is opened. */
function parseCommand(argv: string[]): { rule: StatedRule | undefined } {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const [name, verb, value, extra] = positionals;
  if (name !== "id-case") throw new UsageError(name ? `unknown command "${name}"` : "no command");
  if (verb === undefined) return { rule: undefined };
  if (verb !== "set") throw new UsageError(`unknown id-case command ${shownText(verb)}: pass set`);
  if (value === undefined || extra !== undefined) {
    throw new UsageError("id-case set needs one value: any_case or exact");
  }
  const rule = RULES.find((r) => r === value);
  if (!rule) throw new UsageError(`${shownText(value)} is not a case rule: pass any_case or exact`);
  return { rule };
}

/** One line: the rule, then where it came from. */
function describe(held: RecordedIdCase): string {
  const at = held.recordedAt?.toISOString();
  if (held.source === "operator") return `${held.idCase}: stated by an operator at ${at}`;
  if (held.source === "forecast service") {
    return `${held.idCase}: recorded at ${at} from the forecast service (its model reads ids lower-cased)`;
  }
  if (held.source === "model versions") {
    return held.idCase === "any_case"
      ? "any_case: a model version in this store was trained with --ignore-id-case"
      : "exact: this store holds model versions, none trained with --ignore-id-case";
  }
  return (
    "unknown: nothing recorded and no model versions in this store; the decision service asks " +
    "the forecast service (GET /model-info) at each lookup; state it with: decisions id-case set any_case|exact"
  );
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(usage);
    return 0;
  }
  let rule: StatedRule | undefined;
  try {
    ({ rule } = parseCommand(argv));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${usage}`);
    return 2;
  }
  const handle = await openCliStore();
  try {
    if (rule === undefined) {
      console.log(describe(await recordedIdCase(handle.db)));
      return 0;
    }
    const held = await stateIdCase(handle.db, rule);
    if (held === null) {
      console.error(
        `refused: ${describe(await recordedIdCase(handle.db))}; the rule never goes back to exact ` +
          "(decisions logged under another letter case may be that customer's, and an erasure must take them)",
      );
      return 1;
    }
    console.log(describe(held));
    return 0;
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  } finally {
    await closeWithin(handle, 3000);
  }
}

process.exit(await main(process.argv.slice(2)));
