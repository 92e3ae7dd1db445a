// The complete layout against the node-by-node walk, to the bit: random unbalanced trees (a leaf
// beside a deep subtree on either side, single-leaf trees), rows with NaN, ±Infinity and values on
// the thresholds; and the ensembles it must leave to the walk.

import { expect, test } from "bun:test";
import { createSeededRandom } from "../random/seeded-random.ts";
import { completeTreeForest } from "./complete-tree-forest.ts";
import { LEAF_MODE, type ParsedTreeEnsemble, TREE_NODE_MODES } from "./parse-tree-ensemble.ts";
import { evaluateTreeEnsembleMargins, walkTreeEnsembleMargins } from "./tree-ensemble-evaluator.ts";

const P = 4;
const BRANCH_LEQ = TREE_NODE_MODES.indexOf("BRANCH_LEQ");
const THRESHOLDS = [-1.5, 0, 0.25, 1, 3];

interface Nodes {
  mode: number[];
  feature: number[];
  threshold: number[];
  trueChild: number[];
  falseChild: number[];
  leafWeight: number[];
}

/** An empty node list to grow trees into. */
function emptyNodes(): Nodes {
  return { mode: [], feature: [], threshold: [], trueChild: [], falseChild: [], leafWeight: [] };
}

/** Appends a node (a leaf when `split` is null); its children are set by the caller. */
function pushNode(nodes: Nodes, split: { feature: number; threshold: number } | null, weight = 0) {
  const i = nodes.mode.length;
  nodes.mode.push(split ? BRANCH_LEQ : LEAF_MODE);
  nodes.feature.push(split?.feature ?? 0);
  nodes.threshold.push(split?.threshold ?? 0);
  nodes.leafWeight.push(split ? 0 : weight);
  nodes.trueChild.push(-1);
  nodes.falseChild.push(-1);
  return i;
}

/** Appends a random subtree of at most `depth` levels; returns its root's index. */
function grow(nodes: Nodes, depth: number, random: () => number): number {
  if (depth === 0 || random() < 0.3) {
    return pushNode(nodes, null, Math.fround((random() - 0.5) * 2));
  }
  const feature = Math.floor(random() * P);
  const i = pushNode(nodes, {
    feature,
    threshold: THRESHOLDS[Math.floor(random() * THRESHOLDS.length)]!,
  });
  nodes.trueChild[i] = grow(nodes, depth - 1, random);
  nodes.falseChild[i] = grow(nodes, depth - 1, random);
  return i;
}

/** An ensemble of the given trees (roots) over `nodes`. */
function withNodes(nodes: Nodes, roots: number[]): ParsedTreeEnsemble {
  return {
    inputName: "features",
    predictionName: "prediction",
    marginName: "margin",
    featureCount: P,
    baseValue: Math.fround(0.1),
    transform: "identity",
    roots: Int32Array.from(roots),
    mode: Uint8Array.from(nodes.mode),
    feature: Int32Array.from(nodes.feature),
    threshold: Float32Array.from(nodes.threshold),
    trueChild: Int32Array.from(nodes.trueChild),
    falseChild: Int32Array.from(nodes.falseChild),
    missingTracksTrue: new Uint8Array(nodes.mode.length),
    leafWeight: Float32Array.from(nodes.leafWeight),
    metadata: {},
  };
}

function ensemble(trees: number, maxDepth: number, seed: number): ParsedTreeEnsemble {
  const random = createSeededRandom(seed);
  const nodes = emptyNodes();
  const roots: number[] = [];
  for (let t = 0; t < trees; t++) roots.push(grow(nodes, Math.floor(random() * maxDepth), random));
  return withNodes(nodes, roots);
}

function rows(n: number, seed: number): Float32Array {
  const random = createSeededRandom(seed);
  const odd = [Number.NaN, Infinity, -Infinity, 0, -0, ...THRESHOLDS];
  const X = new Float32Array(n * P);
  for (let i = 0; i < X.length; i++) {
    X[i] = random() < 0.4 ? odd[Math.floor(random() * odd.length)]! : (random() - 0.4) * 8;
  }
  return X;
}

function expectSameBits(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i]))
      throw new Error(`row ${i}: ${got[i]} vs the walk's ${want[i]}`);
  }
}

test("random unbalanced ensembles: the complete layout gives the walk's margins to the bit", () => {
  let depthsSeen = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const e = ensemble(1 + (seed % 17), 1 + (seed % 8), seed);
    const forest = completeTreeForest(e);
    expect(forest).not.toBeNull();
    depthsSeen = Math.max(depthsSeen, forest?.depth ?? 0);
    const n = 1 + ((seed * 37) % 500);
    const X = rows(n, 1000 + seed);
    expectSameBits(evaluateTreeEnsembleMargins(e, X, n), walkTreeEnsembleMargins(e, X, n));
  }
  expect(depthsSeen).toBeGreaterThanOrEqual(6);
});

test("an ensemble of single leaves has depth 0 and sums its leaves", () => {
  const e = ensemble(5, 0, 3);
  expect(completeTreeForest(e)?.depth).toBe(0);
  const X = rows(10, 4);
  expectSameBits(evaluateTreeEnsembleMargins(e, X, 10), walkTreeEnsembleMargins(e, X, 10));
});

test("other split modes, NaN to the true side and very deep trees keep the node walk", () => {
  const base = ensemble(6, 4, 9);
  const branch = base.mode.findIndex((m) => m !== LEAF_MODE);
  expect(branch).toBeGreaterThanOrEqual(0);
  const lessThan = { ...base, mode: base.mode.slice() };
  lessThan.mode[branch] = TREE_NODE_MODES.indexOf("BRANCH_LT");
  expect(completeTreeForest(lessThan)).toBeNull();
  const nanTrue = { ...base, missingTracksTrue: base.missingTracksTrue.slice() };
  nanTrue.missingTracksTrue[branch] = 1;
  expect(completeTreeForest(nanTrue)).toBeNull();
  // Both still score through the walk, NaN rule included.
  const X = rows(200, 5);
  expectSameBits(
    evaluateTreeEnsembleMargins(nanTrue, X, 200),
    walkTreeEnsembleMargins(nanTrue, X, 200),
  );
  // A chain 13 splits deep would need 2^13 slots per tree.
  const nodes = emptyNodes();
  const chain = (depth: number): number => {
    if (depth === 0) return pushNode(nodes, null, 1);
    const i = pushNode(nodes, { feature: 0, threshold: depth });
    nodes.trueChild[i] = chain(depth - 1);
    nodes.falseChild[i] = chain(0);
    return i;
  };
  const root = chain(13);
  const deep = withNodes(nodes, [root]);
  expect(completeTreeForest(deep)).toBeNull();
  expect(completeTreeForest({ ...deep, roots: Int32Array.of(nodes.trueChild[root]!) })?.depth).toBe(
    12,
  );
});
