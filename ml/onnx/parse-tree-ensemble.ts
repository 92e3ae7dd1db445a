// Reads a tree-ensemble ONNX model (as written by export-tree-ensemble.ts: one ai.onnx.ml
// TreeEnsembleRegressor, then at most an Exp, Sigmoid or Identity) back into flat typed arrays
// for the TypeScript evaluator, with its metadata. Anything else is rejected with a clear error.
// Uses the dependency-free onnx-model-reader.ts, not a protobuf library.

import {
  type OnnxAttribute,
  type OnnxModelSummary,
  type OnnxNode,
  readOnnxModel,
} from "./onnx-model-reader.ts";

/** Node modes as ORT names them; LEAF marks a leaf. */
export const TREE_NODE_MODES = [
  "BRANCH_LEQ",
  "BRANCH_LT",
  "BRANCH_GTE",
  "BRANCH_GT",
  "BRANCH_EQ",
  "BRANCH_NEQ",
  "LEAF",
] as const;
export type TreeNodeMode = (typeof TREE_NODE_MODES)[number];
export const LEAF_MODE = TREE_NODE_MODES.indexOf("LEAF");

export type PredictionTransform = "identity" | "exp" | "sigmoid";

export interface ParsedTreeEnsemble {
  inputName: string;
  predictionName: string;
  marginName: string;
  /** Number of input columns (from the input shape, else the largest feature id + 1). */
  featureCount: number;
  /** Added to the float32 sum of leaf weights (ONNX base_values[0]). */
  baseValue: number;
  transform: PredictionTransform;
  /** First node of each tree, in the order ORT sums them. */
  roots: Int32Array;
  /** Per node: index into TREE_NODE_MODES, feature, float32 threshold, children, NaN rule. */
  mode: Uint8Array;
  feature: Int32Array;
  threshold: Float32Array;
  trueChild: Int32Array;
  falseChild: Int32Array;
  missingTracksTrue: Uint8Array;
  /** Per node: the float32 weight of a leaf (0 for branches). */
  leafWeight: Float32Array;
  metadata: Record<string, string>;
  /** From metadata feature_names / feature_layout_version when present. */
  featureNames?: string[];
  layoutVersion?: string;
}

const textDecoder = new TextDecoder();

/** Parses ONNX bytes; throws an Error naming the part of the model it cannot handle. */
export function parseTreeEnsembleOnnx(bytes: Uint8Array): ParsedTreeEnsemble {
  let model: OnnxModelSummary;
  try {
    model = readOnnxModel(bytes);
  } catch (err) {
    throw new Error(`onnx: not a valid ModelProto (${(err as Error).message})`);
  }
  const graph = model.graph;
  const { ensemble, inputName, marginName, predictionName, transform } = graphOps(graph.node);
  const attrs = ensembleAttributes(ensemble);
  const { arrays, maxFeature, find } = nodeArrays(attrs);
  addLeafWeights(attrs, arrays.leafWeight, find);
  const base = attrs.floats("base_values");
  const input = graph.input.find((v) => v.name === inputName);
  const width = input?.dims.length === 2 ? input.dims[1] : null;
  const declared = typeof width === "number" ? width : 0;
  const { metadata, featureNames } = modelMetadata(model);
  return {
    inputName,
    predictionName,
    marginName,
    featureCount: declared > 0 ? declared : maxFeature + 1,
    baseValue: Math.fround(base[0] ?? 0),
    transform,
    // Named one by one, not spread: the evaluator reads these for every tree of every row, and
    // the object a spread built made each read ~20% slower (bench:gbdt, TS ONNX evaluator).
    roots: arrays.roots,
    mode: arrays.mode,
    feature: arrays.feature,
    threshold: arrays.threshold,
    trueChild: arrays.trueChild,
    falseChild: arrays.falseChild,
    missingTracksTrue: arrays.missingTracksTrue,
    leafWeight: arrays.leafWeight,
    metadata,
    featureNames,
    layoutVersion: metadata.feature_layout_version,
  };
}

/** Parses ONNX bytes for rows of `featureCount` columns; throws when the model reads another width. */
export function parseTreeEnsembleFor(bytes: Uint8Array, featureCount: number): ParsedTreeEnsemble {
  const ensemble = parseTreeEnsembleOnnx(bytes);
  if (ensemble.featureCount !== featureCount) {
    throw new Error(
      `onnx: the model reads ${ensemble.featureCount} features, the layout has ${featureCount}`,
    );
  }
  return ensemble;
}

/** The graph's TreeEnsembleRegressor, its optional link op, and the names they read and write. */
function graphOps(nodes: OnnxNode[]) {
  if (nodes.length === 0) throw new Error("onnx: model has no graph nodes");
  const ensembles = nodes.filter((n) => n.opType === "TreeEnsembleRegressor");
  const [ensemble] = ensembles;
  if (!ensemble || ensembles.length !== 1 || nodes.length > 2) {
    throw new Error(
      `onnx: expected one TreeEnsembleRegressor and at most one link op, got ${nodes.map((n) => n.opType).join(", ")}`,
    );
  }
  const inputName = ensemble.input[0] ?? "";
  const marginName = ensemble.output[0] ?? "";
  let predictionName = marginName;
  let transform: PredictionTransform = "identity";
  const link = nodes.find((n) => n !== ensemble);
  if (link) {
    if (link.input[0] !== marginName) throw new Error("onnx: link op does not read the ensemble");
    predictionName = link.output[0] ?? "";
    if (link.opType === "Exp") transform = "exp";
    else if (link.opType === "Sigmoid") transform = "sigmoid";
    else if (link.opType !== "Identity") throw new Error(`onnx: unsupported op ${link.opType}`);
  }
  return { ensemble, inputName, marginName, predictionName, transform };
}

interface EnsembleAttributes {
  ints(name: string, required?: boolean): number[];
  floats(name: string): number[];
  strings(name: string): string[];
}

/** Typed access to the ensemble's attributes, after rejecting the options it does not support. */
function ensembleAttributes(ensemble: OnnxNode): EnsembleAttributes {
  const attrs = new Map<string, OnnxAttribute>();
  for (const a of ensemble.attribute) attrs.set(a.name, a);
  const ints = (name: string, required = true): number[] => {
    const a = attrs.get(name);
    if (!a) {
      if (required) throw new Error(`onnx: TreeEnsembleRegressor lacks ${name}`);
      return [];
    }
    return a.ints;
  };
  const floats = (name: string): number[] => {
    const a = attrs.get(name);
    if (!a) {
      if (attrs.has(`${name}_as_tensor`))
        throw new Error(`onnx: ${name}_as_tensor is not supported`);
      return [];
    }
    return a.floats;
  };
  const str = (name: string, fallback: string): string => {
    const a = attrs.get(name);
    return a?.s ? textDecoder.decode(a.s) : fallback;
  };
  if (str("aggregate_function", "SUM") !== "SUM") {
    throw new Error(`onnx: aggregate_function ${str("aggregate_function", "")} is not supported`);
  }
  if (str("post_transform", "NONE") !== "NONE") {
    throw new Error(`onnx: post_transform ${str("post_transform", "")} is not supported`);
  }
  const nTargets = attrs.get("n_targets");
  if (nTargets && (nTargets.i ?? 1) !== 1) throw new Error("onnx: n_targets must be 1");
  const strings = (name: string) =>
    (attrs.get(name)?.strings ?? []).map((s) => textDecoder.decode(s));
  return { ints, floats, strings };
}

type NodeArrays = Pick<
  ParsedTreeEnsemble,
  | "roots"
  | "mode"
  | "feature"
  | "threshold"
  | "trueChild"
  | "falseChild"
  | "missingTracksTrue"
  | "leafWeight"
>;

/** Flat index of (tree, node); throws naming the node `at` that points to a missing one. */
type FindNode = (tree: number, node: number, what: string, at: number) => number;

/** The nodes_* attributes as flat per-node arrays, children as flat indexes. */
function nodeArrays(attrs: EnsembleAttributes): {
  arrays: NodeArrays;
  maxFeature: number;
  find: FindNode;
} {
  const treeIds = attrs.ints("nodes_treeids");
  const nodeIds = attrs.ints("nodes_nodeids");
  const featureIds = attrs.ints("nodes_featureids");
  const trueIds = attrs.ints("nodes_truenodeids");
  const falseIds = attrs.ints("nodes_falsenodeids");
  const missing = attrs.ints("nodes_missing_value_tracks_true", false);
  const values = attrs.floats("nodes_values");
  const modes = attrs.strings("nodes_modes");
  const count = treeIds.length;
  for (const [name, arr] of [
    ["nodes_nodeids", nodeIds],
    ["nodes_featureids", featureIds],
    ["nodes_truenodeids", trueIds],
    ["nodes_falsenodeids", falseIds],
    ["nodes_values", values],
    ["nodes_modes", modes],
  ] as const) {
    if (arr.length !== count)
      throw new Error(`onnx: ${name} has ${arr.length} entries, not ${count}`);
  }
  const { rootOf, find } = flatIndex(treeIds, nodeIds);
  const out: NodeArrays = {
    roots: new Int32Array(0),
    mode: new Uint8Array(count),
    feature: new Int32Array(count),
    threshold: new Float32Array(count),
    trueChild: new Int32Array(count).fill(-1),
    falseChild: new Int32Array(count).fill(-1),
    missingTracksTrue: new Uint8Array(count),
    leafWeight: new Float32Array(count),
  };
  let maxFeature = -1;
  for (let i = 0; i < count; i++) {
    const m = TREE_NODE_MODES.indexOf(modes[i] as TreeNodeMode);
    if (m < 0) throw new Error(`onnx: node ${i} has unknown mode ${modes[i]}`);
    out.mode[i] = m;
    out.threshold[i] = values[i]!;
    out.missingTracksTrue[i] = missing[i] ? 1 : 0;
    if (m !== LEAF_MODE) {
      out.feature[i] = featureIds[i]!;
      maxFeature = Math.max(maxFeature, featureIds[i]!);
      out.trueChild[i] = find(treeIds[i]!, trueIds[i]!, "true", i);
      out.falseChild[i] = find(treeIds[i]!, falseIds[i]!, "false", i);
    }
  }
  out.roots = Int32Array.from(rootOf.values());
  return { arrays: out, maxFeature, find };
}

/** Flat index of (tree, node); roots in order of first appearance of each tree id. */
function flatIndex(treeIds: number[], nodeIds: number[]) {
  const indexOf = new Map<string, number>();
  const rootOf = new Map<number, number>();
  for (let i = 0; i < treeIds.length; i++) {
    indexOf.set(`${treeIds[i]}:${nodeIds[i]}`, i);
    if (!rootOf.has(treeIds[i]!) || nodeIds[i] === 0) rootOf.set(treeIds[i]!, i);
  }
  const find = (tree: number, node: number, what: string, at: number): number => {
    const i = indexOf.get(`${tree}:${node}`);
    if (i === undefined) throw new Error(`onnx: node ${at} points ${what} to missing node ${node}`);
    return i;
  };
  return { rootOf, find };
}

/** Sums the target_* weights into their leaves (float32, as ORT does). */
function addLeafWeights(attrs: EnsembleAttributes, leafWeight: Float32Array, find: FindNode): void {
  const targetTrees = attrs.ints("target_treeids");
  const targetNodes = attrs.ints("target_nodeids");
  const targetIds = attrs.ints("target_ids");
  const weights = attrs.floats("target_weights");
  for (let k = 0; k < targetTrees.length; k++) {
    if (targetIds[k] !== 0) throw new Error(`onnx: target_ids[${k}] = ${targetIds[k]}, not 0`);
    const i = find(targetTrees[k]!, targetNodes[k]!, "a weight", k);
    leafWeight[i] = Math.fround(leafWeight[i]! + weights[k]!);
  }
}

/** The metadata properties, and feature_names decoded when present. */
function modelMetadata(model: OnnxModelSummary): {
  metadata: Record<string, string>;
  featureNames: string[] | undefined;
} {
  const metadata: Record<string, string> = {};
  for (const e of model.metadataProps) metadata[e.key] = e.value;
  let featureNames: string[] | undefined;
  if (metadata.feature_names !== undefined) {
    const parsed: unknown = JSON.parse(metadata.feature_names);
    if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === "string")) {
      throw new Error("onnx: metadata feature_names is not a JSON array of strings");
    }
    featureNames = parsed;
  }
  return { metadata, featureNames };
}
