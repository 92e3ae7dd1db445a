// Where the embedded stores live: DATA_DIR's, and the decision service's (DECISION_DATA_DIR,
// defaulting to DATA_DIR). One rule for every process that reads them: the decision service, `npm
// start`, `ml forget`, `ml campaign`. The decision service once took DECISION_DATA_DIR="  " (or a
// DATA_DIR with blanks around it) as a directory of its own, where the others trimmed it and fell
// back to DATA_DIR: decisions were written to one store and erased or measured in another.
import { resolve } from "node:path";

/** The embedded store's directory when DATA_DIR is unset or blank. */
export const DEFAULT_DATA_DIR = "./.data";

type Env = Record<string, string | undefined>;

/** DATA_DIR as every process reads it: without blanks around it; unset or blank, ./.data. */
export function dataDirFromEnv(env: Env): string {
  return env.DATA_DIR?.trim() || DEFAULT_DATA_DIR;
}

export interface DecisionStoreDir {
  /** The directory of the decision service's embedded store, as spelled (without blanks around it). */
  dir: string;
  /** The variable that named it, for messages: DECISION_DATA_DIR when set and not blank. */
  variable: "DECISION_DATA_DIR" | "DATA_DIR";
  /**
   * Whether it is another directory than DATA_DIR's, compared resolved: "/x/" and "/x", or "./d"
   * and "$PWD/d", are one store (opened twice, a second handle of the same server).
   */
  apart: boolean;
}

/** Which directory holds the decision service's embedded store, and whether it is apart from DATA_DIR's. */
export function decisionStoreDir(env: Env): DecisionStoreDir {
  const dataDir = dataDirFromEnv(env);
  const own = env.DECISION_DATA_DIR?.trim();
  if (!own) return { dir: dataDir, variable: "DATA_DIR", apart: false };
  return { dir: own, variable: "DECISION_DATA_DIR", apart: resolve(own) !== resolve(dataDir) };
}
