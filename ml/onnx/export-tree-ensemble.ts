// Exports a GbdtModel to ONNX: an ai.onnx.ml TreeEnsembleRegressor (float32 thresholds and leaf
// weights, BRANCH_LEQ, NaN goes to the false/right branch) giving the margin, then Exp, Sigmoid or
// Identity giving the prediction. The feature layout and training facts go in metadata_props.

import type { GbdtLoss, GbdtModel } from "../gbdt/gbdt-model.ts";
import { onnx } from "./onnx-proto-root.ts";

export const GBDT_ONNX_INPUT = "features";
export const GBDT_ONNX_PREDICTION = "prediction";
export const GBDT_ONNX_MARGIN = "margin";
const GBDT_ONNX_FORMAT_VERSION = "1";

export interface GbdtOnnxExportOptions {
  /** One name per feature column, in column order. */
  featureNames: string[];
  /** Version of the feature layout the model was trained on (checked by the scorer). */
  layoutVersion: string;
  /** Extra metadata_props; may not reuse the keys this exporter writes. */
  metadata?: Record<string, string>;
}

/** The post-processing op that turns the margin into the prediction, per loss. */
function predictionOpFor(loss: GbdtLoss): "Exp" | "Sigmoid" | "Identity" {
  if (loss === "poisson" || loss === "gamma") return "Exp";
  if (loss === "logistic") return "Sigmoid";
  return "Identity";
}

const AttributeType = onnx.AttributeProto.AttributeType;
const textEncoder = new TextEncoder();

const intsAttr = (name: string, ints: number[]) => ({ name, type: AttributeType.INTS, ints });
const floatsAttr = (name: string, floats: number[]) => ({
  name,
  type: AttributeType.FLOATS,
  floats,
});
const stringAttr = (name: string, s: string) => ({
  name,
  type: AttributeType.STRING,
  s: textEncoder.encode(s),
});
const stringsAttr = (name: string, strings: string[]) => ({
  name,
  type: AttributeType.STRINGS,
  strings: strings.map((s) => textEncoder.encode(s)),
});

function floatTensorValueInfo(name: string, dims: (number | string)[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

/** What every model this project writes says about itself. */
const MODEL_HEADER = {
  irVersion: 8,
  producerName: "purchase-prediction",
  producerVersion: GBDT_ONNX_FORMAT_VERSION,
};

/** The op turning the margin column into the prediction column (Identity, Exp or Sigmoid). */
function linkNode(opType: ReturnType<typeof predictionOpFor>) {
  return {
    name: "link",
    opType,
    domain: "",
    input: [GBDT_ONNX_MARGIN],
    output: [GBDT_ONNX_PREDICTION],
  };
}

/** Serialises the model to ONNX bytes. */
export function exportGbdtToOnnx(model: GbdtModel, options: GbdtOnnxExportOptions): Uint8Array {
  const p = model.featureCount;
  if (options.featureNames.length !== p) {
    throw new RangeError(
      `featureNames: ${options.featureNames.length} names for a model of ${p} features`,
    );
  }
  if (new Set(options.featureNames).size !== p) {
    throw new RangeError("featureNames: names must be unique");
  }
  if (model.trees.length === 0) throw new RangeError("model: has no trees");
  const message = onnx.ModelProto.create({
    ...MODEL_HEADER,
    opsetImport: [
      { domain: "", version: 17 },
      { domain: "ai.onnx.ml", version: 3 },
    ],
    graph: {
      name: `gbdt_${model.loss}`,
      node: [ensembleNode(model, ensembleNodeLists(model)), linkNode(predictionOpFor(model.loss))],
      input: [floatTensorValueInfo(GBDT_ONNX_INPUT, ["N", p])],
      output: [
        floatTensorValueInfo(GBDT_ONNX_PREDICTION, ["N", 1]),
        floatTensorValueInfo(GBDT_ONNX_MARGIN, ["N", 1]),
      ],
    },
    metadataProps: Object.entries(exportMetadata(model, options)).map(([key, value]) => ({
      key,
      value,
    })),
  });
  return onnx.ModelProto.encode(message).finish();
}

/**
 * A one-op model applying a link to a margin column: `margin` [N, 1] → `prediction` [N, 1]. It lets
 * a scorer that walks the trees itself still take the prediction from ORT's own Exp or Sigmoid
 * kernel (ort-scoring-session.ts), whose float32 results a JavaScript `Math.exp` does not match.
 */
export function exportLinkOnnx(op: "Exp" | "Sigmoid"): Uint8Array {
  const message = onnx.ModelProto.create({
    ...MODEL_HEADER,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: `link_${op}`,
      node: [linkNode(op)],
      input: [floatTensorValueInfo(GBDT_ONNX_MARGIN, ["N", 1])],
      output: [floatTensorValueInfo(GBDT_ONNX_PREDICTION, ["N", 1])],
    },
  });
  return onnx.ModelProto.encode(message).finish();
}

/** The TreeEnsembleRegressor's per-node and per-leaf attribute lists. */
interface EnsembleNodeLists {
  nodesTreeIds: number[];
  nodesNodeIds: number[];
  nodesFeatureIds: number[];
  nodesModes: string[];
  nodesValues: number[];
  nodesTrue: number[];
  nodesFalse: number[];
  nodesMissingTrue: number[];
  targetTreeIds: number[];
  targetNodeIds: number[];
  targetIds: number[];
  targetWeights: number[];
}

/** Every node of every tree as a branch (x <= threshold goes left) or a leaf with its weight. */
function ensembleNodeLists(model: GbdtModel): EnsembleNodeLists {
  const p = model.featureCount;
  const l: EnsembleNodeLists = {
    nodesTreeIds: [],
    nodesNodeIds: [],
    nodesFeatureIds: [],
    nodesModes: [],
    nodesValues: [],
    nodesTrue: [],
    nodesFalse: [],
    nodesMissingTrue: [],
    targetTreeIds: [],
    targetNodeIds: [],
    targetIds: [],
    targetWeights: [],
  };
  model.trees.forEach((tree, t) => {
    for (let node = 0; node < tree.feature.length; node++) {
      l.nodesTreeIds.push(t);
      l.nodesNodeIds.push(node);
      l.nodesMissingTrue.push(0);
      const f = tree.feature[node]!;
      if (f >= 0) {
        if (f >= p) throw new RangeError(`model: tree ${t} node ${node} uses feature ${f} >= ${p}`);
        l.nodesFeatureIds.push(f);
        l.nodesModes.push("BRANCH_LEQ");
        l.nodesValues.push(Math.fround(tree.threshold[node]!));
        l.nodesTrue.push(tree.left[node]!);
        l.nodesFalse.push(tree.right[node]!);
      } else {
        l.nodesFeatureIds.push(0);
        l.nodesModes.push("LEAF");
        l.nodesValues.push(0);
        l.nodesTrue.push(0);
        l.nodesFalse.push(0);
        l.targetTreeIds.push(t);
        l.targetNodeIds.push(node);
        l.targetIds.push(0);
        l.targetWeights.push(Math.fround(tree.value[node]!));
      }
    }
  });
  return l;
}

/** The TreeEnsembleRegressor node (attributes in name order, as written before). */
function ensembleNode(model: GbdtModel, l: EnsembleNodeLists) {
  return {
    name: "tree_ensemble",
    opType: "TreeEnsembleRegressor",
    domain: "ai.onnx.ml",
    input: [GBDT_ONNX_INPUT],
    output: [GBDT_ONNX_MARGIN],
    attribute: [
      stringAttr("aggregate_function", "SUM"),
      floatsAttr("base_values", [Math.fround(model.baseScore)]),
      { name: "n_targets", type: AttributeType.INT, i: 1 },
      intsAttr("nodes_falsenodeids", l.nodesFalse),
      intsAttr("nodes_featureids", l.nodesFeatureIds),
      intsAttr("nodes_missing_value_tracks_true", l.nodesMissingTrue),
      stringsAttr("nodes_modes", l.nodesModes),
      intsAttr("nodes_nodeids", l.nodesNodeIds),
      intsAttr("nodes_treeids", l.nodesTreeIds),
      intsAttr("nodes_truenodeids", l.nodesTrue),
      floatsAttr("nodes_values", l.nodesValues),
      stringAttr("post_transform", "NONE"),
      intsAttr("target_ids", l.targetIds),
      intsAttr("target_nodeids", l.targetNodeIds),
      intsAttr("target_treeids", l.targetTreeIds),
      floatsAttr("target_weights", l.targetWeights),
    ],
  };
}

/** The model's metadata properties: the exporter's keys, then the caller's (never overriding). */
function exportMetadata(model: GbdtModel, options: GbdtOnnxExportOptions): Record<string, string> {
  const written: Record<string, string> = {
    feature_names: JSON.stringify(options.featureNames),
    feature_layout_version: options.layoutVersion,
    feature_count: String(model.featureCount),
    loss: model.loss,
    base_score: String(Math.fround(model.baseScore)),
    n_trees: String(model.trees.length),
    best_iteration: String(model.bestIteration),
    outputs: JSON.stringify([GBDT_ONNX_PREDICTION, GBDT_ONNX_MARGIN]),
    gbdt_onnx_format_version: GBDT_ONNX_FORMAT_VERSION,
    created_by: "purchase-prediction ml/gbdt",
  };
  for (const key of Object.keys(options.metadata ?? {})) {
    if (key in written)
      throw new RangeError(`metadata.${key}: reserved key, written by the exporter`);
  }
  return { ...written, ...options.metadata };
}
