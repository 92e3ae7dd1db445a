// The same transactions in other layouts, for tests that check every input of the DuckDB input
// layer gives the same result as the plain CSV: a Parquet copy, and a semicolon CSV with a shop
// export's column names and US timestamps (a time of day on every line, the calendar day kept).

import { DuckDBInstance } from "@duckdb/node-api";

/** Column names of the shop-export copy, as the CLI options take them. */
const SHOP_EXPORT_COLUMNS = {
  customer: "Customer ID",
  date: "Invoice Date",
  amount: "Line Total",
  dateFormat: "%m/%d/%Y %H:%M",
} as const;

async function run(sql: string): Promise<void> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    await connection.run(sql);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const quoted = (path: string) => `'${path.replaceAll("'", "''")}'`;

/** `customer_id,date,amount[,…]` CSV → the same rows in Parquet (typed DATE and DOUBLE). */
export async function writeParquetCopy(csv: string, parquet: string): Promise<void> {
  await run(
    `COPY (SELECT * FROM read_csv(${quoted(csv)}, header = true)) TO ${quoted(parquet)} (FORMAT parquet)`,
  );
}

/** The same rows as a shop export: other column names, `;`, US timestamps with a time of day. */
export async function writeShopExportCopy(csv: string, out: string): Promise<void> {
  const c = SHOP_EXPORT_COLUMNS;
  await run(
    `COPY (
       SELECT CAST(customer_id AS VARCHAR) AS "${c.customer}",
         strftime(CAST(date AS TIMESTAMP) + to_minutes(CAST(row_number() OVER () % 1440 AS BIGINT)),
                  '${c.dateFormat}') AS "${c.date}",
         amount AS "${c.amount}"
       FROM read_csv(${quoted(csv)}, header = true, types = {'customer_id': 'VARCHAR', 'date': 'DATE'})
     ) TO ${quoted(out)} (FORMAT csv, HEADER true, DELIMITER ';')`,
  );
}

/** The CLI arguments that read the shop-export copy. */
export function shopExportArguments(path: string): string[] {
  const c = SHOP_EXPORT_COLUMNS;
  return [
    "--data",
    path,
    "--customer-col",
    c.customer,
    "--date-col",
    c.date,
    "--amount-col",
    c.amount,
    "--date-format",
    c.dateFormat,
  ];
}
