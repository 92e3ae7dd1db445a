// Which directory holds the decision service's embedded store: every reader of DECISION_DATA_DIR
// must answer alike, or the decision service writes to one store while `npm start`, `ml forget`
// and `ml campaign` read another. The decision service's config took "  " (or " /x ") as a
// directory of its own where the others trimmed it and fell back to DATA_DIR.
import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { separateDecisionStore } from "../../ml/cli/forget.ts";
import { parseConfig } from "../../services/decision/src/config.ts";
import { databaseOptionsFromEnv, decisionDatabaseOptionsFromEnv } from "./client.ts";
import { decisionStoreDir } from "./decision-store-dir.ts";

type Env = Record<string, string | undefined>;

/** The directory each reader opens for the decision store, resolved. */
function readersAnswers(env: Env): Record<string, string> {
  const dataDir = resolve(databaseOptionsFromEnv(env).dataDir ?? "");
  return {
    "ml campaign (decisionDatabaseOptionsFromEnv)": resolve(
      decisionDatabaseOptionsFromEnv(env).dataDir ?? "",
    ),
    "decision service (parseConfig)": resolve(parseConfig(env).DECISION_DATA_DIR),
    "ml forget (separateDecisionStore)": separateDecisionStore(env) ?? dataDir,
  };
}

const cases: Array<[string, Env]> = [
  ["DECISION_DATA_DIR blank", { DATA_DIR: "/tmp/pp-x", DECISION_DATA_DIR: "  " }],
  ["DATA_DIR blank, DECISION_DATA_DIR unset", { DATA_DIR: "  " }],
  ["DATA_DIR with blanks around it", { DATA_DIR: " /tmp/pp-x " }],
  ["DECISION_DATA_DIR with blanks around it", { DATA_DIR: "/a", DECISION_DATA_DIR: " /tmp/y " }],
  [
    "DATA_DIR's own directory with a slash",
    { DATA_DIR: "/tmp/pp-x", DECISION_DATA_DIR: "/tmp/pp-x/" },
  ],
  ["relative and absolute", { DATA_DIR: "./d", DECISION_DATA_DIR: resolve("d") }],
  ["both unset", {}],
];

describe("every reader of DECISION_DATA_DIR opens the same directory", () => {
  for (const [name, env] of cases) {
    test(name, () => {
      const answers = readersAnswers(env);
      const first = Object.values(answers)[0] as string;
      expect(answers).toEqual(Object.fromEntries(Object.keys(answers).map((k) => [k, first])));
    });
  }
});

describe("decisionStoreDir", () => {
  test("DATA_DIR's (./.data by default) unless DECISION_DATA_DIR names one; blanks are unset", () => {
    expect(decisionStoreDir({})).toEqual({ dir: "./.data", variable: "DATA_DIR", apart: false });
    expect(decisionStoreDir({ DATA_DIR: " /d ", DECISION_DATA_DIR: " " })).toEqual({
      dir: "/d",
      variable: "DATA_DIR",
      apart: false,
    });
    expect(decisionStoreDir({ DATA_DIR: "/d", DECISION_DATA_DIR: " /e " })).toEqual({
      dir: "/e",
      variable: "DECISION_DATA_DIR",
      apart: true,
    });
  });

  test("DATA_DIR's own directory, however spelled, is not apart", () => {
    expect(decisionStoreDir({ DATA_DIR: "/d", DECISION_DATA_DIR: "/d/" }).apart).toBe(false);
    expect(decisionStoreDir({ DECISION_DATA_DIR: resolve(".data") }).apart).toBe(false);
    expect(decisionStoreDir({ DATA_DIR: "d", DECISION_DATA_DIR: "./d/../d" }).apart).toBe(false);
  });
});
