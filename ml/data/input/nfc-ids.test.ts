// Customer ids that differ only in Unicode normalisation are one customer: macOS writes "José"
// decomposed (e + U+0301), and read as written a file of names had 80 customers read as 107 (and
// e-mails 80 as 120 with --ignore-id-case). Ids are read in NFC.

import { expect, test } from "bun:test";
import { lowerCaseCustomerId, nfcCustomerId } from "@pp/shared/contracts/forecast-request.ts";
import {
  purchaseDays as days,
  tempLogFile as file,
  readCsvLog as read,
} from "../../testing/log-files.ts";

const NFC = "José Müller";
const NFD = NFC.normalize("NFD");

test("an id written decomposed and composed is one customer, read composed", async () => {
  expect(NFD).not.toBe(NFC);
  const path = file(
    [
      "customer_id,date,amount",
      `${NFC},2024-01-02,10`,
      `${NFD},2024-02-03,5`,
      `"${NFD} ",2024-03-04,1`,
      "plain,2024-01-02,2",
    ].join("\n"),
  );
  const { log, quality } = await read(path);
  expect(quality.customers_in_log).toBe(2);
  expect(days(log)).toEqual([
    `${NFC} 2024-01-02 10`,
    `${NFC} 2024-02-03 5`,
    `${NFC} 2024-03-04 1`,
    "plain 2024-01-02 2",
  ]);
});

test("with --ignore-id-case, e-mails written decomposed and in capitals are one customer", async () => {
  const mail = "André.20@exemple.fr";
  const path = file(
    [
      "customer_id,date,amount",
      `${mail.normalize("NFC")},2024-01-02,10`,
      `${mail.normalize("NFD")},2024-02-03,5`,
      `${mail.toUpperCase().normalize("NFD")},2024-03-04,1`,
    ].join("\n"),
  );
  const { log } = await read(path, { ignoreIdCase: true });
  expect(log.customerIds).toEqual(["andré.20@exemple.fr".normalize("NFC")]);
});

test("a NUL in an id is still skipped as before; ASCII ids are untouched", async () => {
  const path = file(
    ["customer_id,date,amount", `"${NFD}\u0000x",2024-01-02,10`, "a,2024-01-02,1"].join("\n"),
  );
  const { log, quality } = await read(path);
  expect(Object.keys(quality.skipped)).toHaveLength(1);
  expect(Object.keys(quality.skipped)[0]).toContain("NUL");
  expect(log.customerIds).toEqual(["a"]);
});

test("nfcCustomerId composes; lone surrogates and NUL stay", () => {
  expect(nfcCustomerId(NFD)).toBe(NFC);
  for (const id of ["17850", "\u0000", "\ud800", "a\udc00", "e\u0301\ud800"]) {
    expect(nfcCustomerId(id).length).toBeGreaterThan(0);
  }
  expect(nfcCustomerId("\ud800")).toBe("\ud800");
  expect(nfcCustomerId("\u0000")).toBe("\u0000");
  expect(nfcCustomerId("e\u0301\ud800")).toBe("é\ud800");
});

test("with --ignore-id-case, the services lower-case an id as the reader does (İ, a final Σ)", async () => {
  // The reader lower-cases in DuckDB, one character at a time: "İ" is "i" and every "Σ" is "σ".
  // JavaScript's toLowerCase gives "i̇" (i + U+0307) and a word-final "ς": /forecast and ml forget
  // then missed "İSTANBUL@x.tr" and "ΟΔΥΣΣΕΥΣ@x.gr", the ids exactly as the log wrote them.
  const ids = ["İSTANBUL@x.tr", "ΟΔΥΣΣΕΥΣ@x.gr", "ANDRÉ.20@EXEMPLE.FR".normalize("NFD"), "Plain"];
  const path = file(
    ["customer_id,date,amount", ...ids.map((id) => `${id},2024-01-02,1`)].join("\n"),
  );
  const { log } = await read(path, { ignoreIdCase: true });
  const byReader = [...log.customerIds].sort();
  expect(ids.map((id) => lowerCaseCustomerId(nfcCustomerId(id))).sort()).toEqual(byReader);
  expect(byReader).toContain("istanbul@x.tr");
  expect(byReader).toContain("οδυσσευσ@x.gr");
});
