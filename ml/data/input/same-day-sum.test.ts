// A purchase day's amount is the sum of its lines in one fixed order (ascending, as quantity's),
// not in the order the sort's threads deliver lines of one customer and day: in floating point
// the order changes the last bit (0.3 + 0.2 + 0.1 = 0.6, 0.1 + 0.2 + 0.3 = 0.6000000000000001),
// and the same log read twice gave summaries, models and hashes that differed in it.
import { expect, test } from "bun:test";
import { tempLogFile as file, readCsvLog as read } from "../../testing/log-files.ts";

test("same-day lines are summed in amount order, whatever order the file lists them in", async () => {
  const orders = [
    ["0.3", "0.2", "0.1"],
    ["0.1", "0.2", "0.3"],
    ["0.2", "0.3", "0.1"],
  ];
  const sums: number[] = [];
  for (const amounts of orders) {
    const lines = amounts.map((a) => `x,2020-01-01,${a}`).join("\n");
    const { log } = await read(file(`customer_id,date,amount\n${lines}\ny,2020-01-02,1\n`));
    sums.push(log.amount[0]!);
  }
  expect(sums).toEqual([0.1 + 0.2 + 0.3, 0.1 + 0.2 + 0.3, 0.1 + 0.2 + 0.3]);
});
