import { expect, test } from "bun:test";
import { makeSyntheticGbdtData } from "../gbdt/synthetic-gbdt-data.ts";
import { trainGbdt } from "../gbdt/train-gbdt.ts";
import { exportGbdtToOnnx } from "./export-tree-ensemble.ts";
import { readOnnxModel } from "./onnx-model-reader.ts";
import { onnx } from "./onnx-proto-root.ts";

test("the wire reader reads what onnx-proto reads", () => {
  const d = makeSyntheticGbdtData(1500, 5, "logistic", 3);
  const model = trainGbdt(d.X, d.y, { loss: "logistic", nEstimators: 25 });
  const bytes = exportGbdtToOnnx(model, {
    featureNames: d.featureNames,
    layoutVersion: "v9",
    metadata: { note: "héllo ✓" },
  });
  const mine = readOnnxModel(bytes);
  const ref = onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), {
    longs: Number,
    bytes: Array,
    defaults: false,
  });
  expect(mine.irVersion).toBe(ref.irVersion);
  expect(mine.opsetImport).toEqual(ref.opsetImport);
  expect(mine.metadataProps).toEqual(ref.metadataProps);
  expect(mine.graph.name).toBe(ref.graph.name);
  expect(mine.graph.input).toEqual([{ name: "features", dims: ["N", 5] }]);
  expect(mine.graph.output.map((o) => o.name)).toEqual(["prediction", "margin"]);
  expect(mine.graph.node.length).toBe(ref.graph.node.length);
  for (let k = 0; k < mine.graph.node.length; k++) {
    const a = mine.graph.node[k]!;
    const b = ref.graph.node[k];
    expect([a.opType, a.domain, a.input, a.output]).toEqual([
      b.opType,
      b.domain ?? "",
      b.input,
      b.output,
    ]);
    for (let j = 0; j < a.attribute.length; j++) {
      const x = a.attribute[j]!;
      const y = (b.attribute ?? [])[j];
      expect(x.name).toBe(y.name);
      expect(x.ints).toEqual(y.ints ?? []);
      expect(x.floats).toEqual(y.floats ?? []);
      expect(x.strings.map((s) => Array.from(s))).toEqual(y.strings ?? []);
      if (y.s) expect(Array.from(x.s ?? [])).toEqual(y.s);
      if (y.i !== undefined) expect(x.i).toBe(y.i);
    }
  }
});

test("packed repeated fields and negative int64 varints decode", () => {
  const attr = onnx.AttributeProto.create({
    name: "a",
    type: 7,
    ints: [-1, 0, 2 ** 40, -(2 ** 40) - 3],
  });
  const graph = { name: "g", node: [{ opType: "X", attribute: [attr] }] };
  const bytes = onnx.ModelProto.encode({ irVersion: 8, graph }).finish();
  expect(readOnnxModel(bytes).graph.node[0]!.attribute[0]!.ints).toEqual([
    -1,
    0,
    2 ** 40,
    -(2 ** 40) - 3,
  ]);
  // Hand-made packed floats: field 7, wire type 2, two little-endian float32 values.
  const f = new Uint8Array(new Float32Array([1.5, -2]).buffer);
  const attrBytes = new Uint8Array([0x0a, 1, 0x62, 0x3a, 8, ...f]);
  const nodeBytes = new Uint8Array([0x2a, attrBytes.length, ...attrBytes]);
  const graphBytes = new Uint8Array([0x0a, nodeBytes.length, ...nodeBytes]);
  const modelBytes = new Uint8Array([0x3a, graphBytes.length, ...graphBytes]);
  expect(readOnnxModel(modelBytes).graph.node[0]!.attribute[0]!.floats).toEqual([1.5, -2]);
});

test("truncated or malformed bytes throw", () => {
  const d = makeSyntheticGbdtData(300, 4, "squared", 1);
  const model = trainGbdt(d.X, d.y, { loss: "squared", nEstimators: 3 });
  const bytes = exportGbdtToOnnx(model, { featureNames: d.featureNames, layoutVersion: "1" });
  expect(() => readOnnxModel(bytes.subarray(0, bytes.length - 7))).toThrow();
  expect(() => readOnnxModel(new Uint8Array([0x3a, 0xff]))).toThrow();
  expect(() => readOnnxModel(new Uint8Array([0x13]))).toThrow(/wire type/);
});
