// Rows copied out of a training set are the rows asked for, in their order and with repeats (a
// bootstrap's), bit for bit (NaN, -0, float32 values) as a view of each row would give them.
import { expect, test } from "bun:test";
import { datasetRows, takeRows, takeValues } from "./dataset-rows.ts";

test("takeRows copies each asked row's p values, repeats and order kept, bit for bit", () => {
  const p = 3;
  const X = Float32Array.of(0.1, -0, Number.NaN, 1e-40, 2, 3, 4.5, Number.POSITIVE_INFINITY, -7);
  const rows = Uint32Array.of(2, 0, 2, 1);
  const out = takeRows(X, p, rows);
  const expected = new Float32Array(rows.length * p);
  rows.forEach((r, i) => {
    expected.set(X.subarray(r * p, r * p + p), i * p);
  });
  expect(new Uint8Array(out.buffer)).toEqual(new Uint8Array(expected.buffer));
  expect(takeRows(X, p, new Uint32Array(0)).length).toBe(0);
});

test("datasetRows takes the same rows of X, y and the offsets", () => {
  const X = Float32Array.of(1, 2, 3, 4, 5, 6);
  const y = Float64Array.of(10, 20, 30);
  const offset = Float64Array.of(-1, -2, -3);
  const part = datasetRows(X, y, 2, Uint32Array.of(1, 1, 0), offset);
  expect([...part.X]).toEqual([3, 4, 3, 4, 1, 2]);
  expect([...part.y]).toEqual([20, 20, 10]);
  expect([...(part.offset ?? [])]).toEqual([-2, -2, -1]);
  expect([...takeValues(y, Uint32Array.of(2))]).toEqual([30]);
});
