// Parsers of the `ml` commands' option values: a bad value is an InvalidArgumentError naming what
// was expected, which commander prints as a one-line error (exit code 2).

import { plainWholeNumberFrom } from "@pp/shared/contracts/plain-decimal.ts";
import { shownText } from "@pp/shared/errors/shown-text.ts";
import { isModelName, MODEL_NAME_RULE } from "@pp/shared/registry/model-name.ts";
import { parseVersionNumber, VERSION_FORMAT } from "@pp/shared/registry/version-number.ts";
import { InvalidArgumentError } from "commander";
import { isoDateToDay } from "../data/transaction-log.ts";

export function isoDate(value: string): string {
  if (Number.isNaN(isoDateToDay(value))) {
    throw new InvalidArgumentError(`expected a date YYYY-MM-DD, got ${shownText(value)}`);
  }
  return value;
}

function positiveInteger(value: string): number {
  const n = plainWholeNumberFrom(value);
  if (n === null || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got ${shownText(value)}`);
  return n;
}

/** The most customers `ml simulate` makes: memory and CSV grow with them (1,000,000: 0.5 GB, 66 MB). */
const MAX_SIMULATED_CUSTOMERS = 10_000_000;

/** A number of customers to simulate: 1 to MAX_SIMULATED_CUSTOMERS. */
export function customerCount(value: string): number {
  const n = plainWholeNumberFrom(value);
  if (n === null || n < 1 || n > MAX_SIMULATED_CUSTOMERS)
    throw new InvalidArgumentError(
      `expected a whole number from 1 to ${MAX_SIMULATED_CUSTOMERS.toLocaleString("en-US")}, got ${shownText(value)}`,
    );
  return n;
}

/** A registered model's version: `3` or `v3` (not "0x3", "3e0" or past the column's range). */
export function versionNumber(value: string): number {
  const n = parseVersionNumber(value);
  if (n === null)
    throw new InvalidArgumentError(`expected ${VERSION_FORMAT}, got ${shownText(value)}`);
  return n;
}

/** A name a version can be registered under (checked before training, not after it). */
export function modelName(value: string): string {
  if (!isModelName(value)) {
    throw new InvalidArgumentError(`expected ${MODEL_NAME_RULE}, got ${shownText(value)}`);
  }
  return value;
}

export function integer(value: string): number {
  const n = plainWholeNumberFrom(value);
  if (n === null) throw new InvalidArgumentError(`expected an integer, got ${shownText(value)}`);
  return n;
}

export function folds(value: string): number {
  const n = positiveInteger(value);
  if (n < 2 || n > 50) throw new InvalidArgumentError(`expected 2..50 folds, got ${n}`);
  return n;
}

/** A whole number >= 0 (e.g. worker threads, where 0 means none). */
export function nonNegativeInteger(value: string): number {
  const n = plainWholeNumberFrom(value);
  if (n === null || n < 0) {
    throw new InvalidArgumentError(`expected a whole number >= 0, got ${shownText(value)}`);
  }
  return n;
}
