// Grows one regression tree on gradients and hessians with Uint8-binned features, level by level:
// one sequential pass over the rows per level routes each row to its new node and adds it to the
// histogram of the smaller child of each split (the sibling's histogram is the parent's minus
// it). Sequential passes keep memory access in order, which is what makes this fast in JS.
// XGBoost-style gain and leaf values; maxLeaves keeps the best splits of a level first.

import type { FeatureBins } from "./binning.ts";
import type { GbdtOptions, GbdtTree } from "./gbdt-model.ts";

/** The learner options that shape one tree (documented on GbdtOptions). */
export type TreeGrowthSettings = Pick<
  GbdtOptions,
  | "maxDepth"
  | "maxLeaves"
  | "minSamplesLeaf"
  | "minHessianLeaf"
  | "l2"
  | "minSplitGain"
  | "maxDeltaStep"
  | "learningRate"
  | "monotone"
>;

/** A grown tree and the leaf (node id) every training row, in or out of the bag, ends in. */
export interface GrownTree {
  tree: GbdtTree;
  nodeOfRow: Uint16Array;
}

interface LeafState {
  node: number;
  depth: number;
  sumG: number;
  sumH: number;
  count: number;
  hist: Float64Array | null;
  // Best split found (gain -Infinity when none is allowed).
  gain: number;
  feature: number;
  bin: number;
  leftG: number;
  leftH: number;
  leftCount: number;
  /** Bounds on the leaf's value before shrinkage (monotone constraints; ±Infinity without). */
  lo: number;
  hi: number;
  /** The chosen split's left and right values, within [lo, hi]. */
  leftW: number;
  rightW: number;
}

const clamp = (w: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, w));

/** Loss reduction (×2) of a leaf with gradient and hessian sums G and H at value w. */
const scoreAt = (G: number, H: number, lambda: number, w: number) =>
  -2 * G * w - (H + lambda) * w * w;

/** The children's value bounds after a split on a feature with constraint `mono`. */
function childBounds(parent: LeafState, mono: number): [[number, number], [number, number]] {
  const { lo, hi } = parent;
  if (mono === 0) {
    return [
      [lo, hi],
      [lo, hi],
    ];
  }
  const mid = (parent.leftW + parent.rightW) / 2;
  return mono > 0
    ? [
        [lo, Math.min(hi, mid)],
        [Math.max(lo, mid), hi],
      ]
    : [
        [Math.max(lo, mid), hi],
        [lo, Math.min(hi, mid)],
      ];
}

/** Whether a split's children may split in turn (evaluate() would look at their histograms). */
function childMaySplit(parent: LeafState, s: TreeGrowthSettings): boolean {
  const larger = Math.max(parent.leftCount, parent.count - parent.leftCount);
  return parent.depth + 1 < s.maxDepth && larger >= 2 * s.minSamplesLeaf;
}

/** What one grow() call shares between its steps. */
interface GrowState {
  tree: GbdtTree;
  grad: Float64Array;
  hess: Float64Array;
  inBag: Uint8Array;
  features: Int32Array;
  s: TreeGrowthSettings;
  splitFeature: Int32Array;
  /** The split's last left bin as a histogram index (offsetOf[feature] + 3 · bin). */
  splitAt: Int32Array;
  slotOfNode: Int32Array;
}

/** Appends an unsplit node to the tree and returns its id. */
function newNode(tree: GbdtTree): number {
  tree.feature.push(-1);
  tree.threshold.push(0);
  tree.left.push(-1);
  tree.right.push(-1);
  tree.value.push(0);
  tree.gain.push(0);
  return tree.feature.length - 1;
}

// Histogram layout: three doubles per bin (gradient sum, hessian sum, in-bag row count), the
// features' bins packed one after another: feature f, bin b at offsetOf[f] + 3b. Packed rather than
// 256 slots per feature because a histogram is zeroed per node and subtracted per split: features
// with few distinct values (counts, flags) would make most of that work on empty slots.

/**
 * Reusable tree grower over one row-major n×p Uint8 bin matrix. It keeps each cell as the
 * histogram index of its bin (offsetOf[f] + 3 · bin): a row's histogram update then reads one
 * index per feature, and a split compares indices, which order as the bins do within a feature.
 */
export class HistogramTreeGrower {
  private readonly nodeOfRow: Uint16Array;
  /** The rows one level pass adds to histograms, in row order (so each bin sums as before). */
  private readonly rowsToAdd: Uint32Array;
  /** Per feature, where its bins start in a histogram. */
  private readonly offsetOf: Int32Array;
  private readonly histLength: number;
  private readonly histPool: Float64Array[] = [];
  /** Row-major n×p histogram indices of the cells' bins. */
  private readonly cells: Uint16Array | Uint32Array;

  constructor(
    binned: Uint8Array,
    private readonly n: number,
    private readonly p: number,
    private readonly bins: FeatureBins,
  ) {
    this.nodeOfRow = new Uint16Array(n);
    this.rowsToAdd = new Uint32Array(n);
    this.offsetOf = new Int32Array(p);
    let at = 0;
    for (let f = 0; f < p; f++) {
      this.offsetOf[f] = at;
      at += bins.binCounts[f]! * 3;
    }
    this.histLength = at;
    const cells = at <= 65536 ? new Uint16Array(n * p) : new Uint32Array(n * p);
    for (let r = 0; r < n; r++) {
      for (let f = 0; f < p; f++) cells[r * p + f] = this.offsetOf[f]! + binned[r * p + f]! * 3;
    }
    this.cells = cells;
  }

  /**
   * Grows a tree on the rows with inBag[r] = 1, splitting only on `features` (ascending ids).
   * Rows out of the bag are routed too, so the caller can update every row's margin.
   */
  grow(
    grad: Float64Array,
    hess: Float64Array,
    inBag: Uint8Array,
    features: Int32Array,
    s: TreeGrowthSettings,
  ): GrownTree {
    if (s.maxLeaves > 32768) throw new RangeError("maxLeaves must be at most 32768");
    const maxNodes = 2 * s.maxLeaves;
    const g: GrowState = {
      tree: { feature: [], threshold: [], left: [], right: [], value: [], gain: [] },
      grad,
      hess,
      inBag,
      features,
      s,
      // Per node, during one level pass: split feature/bin (-1 = not split now) and the
      // histogram to accumulate rows into (children only).
      splitFeature: new Int32Array(maxNodes).fill(-1),
      splitAt: new Int32Array(maxNodes),
      slotOfNode: new Int32Array(maxNodes).fill(-1),
    };
    const nodeOfRow = this.nodeOfRow;
    nodeOfRow.fill(0);
    let level: LeafState[] = [this.rootLeaf(g)];
    const finished: LeafState[] = [];
    let leafCount = 1;
    while (level.length > 0) {
      const candidates = level
        .filter((l) => l.gain > s.minSplitGain)
        .sort((a, b) => b.gain - a.gain || a.node - b.node)
        .slice(0, Math.max(0, s.maxLeaves - leafCount));
      const chosen = new Set(candidates);
      for (const l of level) if (!chosen.has(l)) finished.push(l);
      level = [];
      if (candidates.length === 0) break;
      candidates.sort((a, b) => a.node - b.node);
      // Histograms only for children that may still split: none at the last level.
      const splitsLeft = leafCount + candidates.length < s.maxLeaves;
      const built = candidates.map((parent) =>
        splitsLeft && childMaySplit(parent, s) ? this.takeHist() : null,
      );
      const children = this.splitNodes(g, candidates, built);
      leafCount += candidates.length;
      this.levelPass(g, g.tree.left, built, false);
      level = this.childLeaves(g, children, built);
    }
    this.setLeafValues(g.tree, finished, s);
    return { tree: g.tree, nodeOfRow };
  }

  /** The root as a leaf: its sums and best split from one pass over the in-bag rows. */
  private rootLeaf(g: GrowState): LeafState {
    g.slotOfNode[newNode(g.tree)] = 0;
    const rootHist = this.takeHist();
    this.levelPass(g, g.tree.left, [rootHist], true);
    g.slotOfNode[0] = -1;
    let sumG = 0;
    let sumH = 0;
    let count = 0;
    const f0 = g.features[0]!;
    const end = this.offsetOf[f0]! + this.bins.binCounts[f0]! * 3;
    for (let o = this.offsetOf[f0]!; o < end; o += 3) {
      sumG += rootHist[o]!;
      sumH += rootHist[o + 1]!;
      count += rootHist[o + 2]!;
    }
    const unbounded: [number, number] = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
    return this.evaluate(0, 0, sumG, sumH, count, rootHist, g.features, g.s, unbounded);
  }

  /**
   * Splits the candidates (in node order): their children, and the slot of each smaller one whose
   * histogram is to be built.
   */
  private splitNodes(
    g: GrowState,
    candidates: LeafState[],
    built: (Float64Array | null)[],
  ): [LeafState, number, number][] {
    const { tree } = g;
    const children: [LeafState, number, number][] = [];
    for (let c = 0; c < candidates.length; c++) {
      const parent = candidates[c]!;
      const left = newNode(tree);
      const right = newNode(tree);
      tree.feature[parent.node] = parent.feature;
      tree.threshold[parent.node] = this.bins.edges[parent.feature]![parent.bin]!;
      tree.gain[parent.node] = parent.gain;
      tree.left[parent.node] = left;
      tree.right[parent.node] = right;
      g.splitFeature[parent.node] = parent.feature;
      g.splitAt[parent.node] = this.offsetOf[parent.feature]! + parent.bin * 3;
      const leftSmaller = parent.leftCount <= parent.count - parent.leftCount;
      if (built[c]) g.slotOfNode[leftSmaller ? left : right] = c;
      children.push([parent, left, right]);
    }
    return children;
  }

  /**
   * The children as leaves after a level pass: the smaller child's histogram is the pass's
   * (`built`, one per split), the larger's is the parent's minus it (in place in the parent's).
   * Children that cannot split (null in `built`) get no histogram and the parent's is freed.
   */
  private childLeaves(
    g: GrowState,
    children: [LeafState, number, number][],
    built: (Float64Array | null)[],
  ): LeafState[] {
    const { features, s } = g;
    const next: LeafState[] = [];
    for (let c = 0; c < children.length; c++) {
      const [parent, left, right] = children[c]!;
      g.splitFeature[parent.node] = -1;
      g.slotOfNode[left] = -1;
      g.slotOfNode[right] = -1;
      const small = built[c] ?? null;
      const large = small ? parent.hist : null;
      if (small && large) {
        for (let j = 0; j < features.length; j++) {
          const from = this.offsetOf[features[j]!]!;
          const to = from + this.bins.binCounts[features[j]!]! * 3;
          for (let o = from; o < to; o++) large[o]! -= small[o]!;
        }
      } else if (parent.hist) {
        this.histPool.push(parent.hist);
      }
      const leftSmaller = parent.leftCount <= parent.count - parent.leftCount;
      const depth = parent.depth + 1;
      const rightCount = parent.count - parent.leftCount;
      const [leftBounds, rightBounds] = childBounds(parent, s.monotone?.[parent.feature] ?? 0);
      next.push(
        this.evaluate(
          left,
          depth,
          parent.leftG,
          parent.leftH,
          parent.leftCount,
          leftSmaller ? small : large,
          features,
          s,
          leftBounds,
        ),
        this.evaluate(
          right,
          depth,
          parent.sumG - parent.leftG,
          parent.sumH - parent.leftH,
          rightCount,
          leftSmaller ? large : small,
          features,
          s,
          rightBounds,
        ),
      );
      parent.hist = null;
    }
    return next;
  }

  /** Leaf values of the finished leaves; their histograms go back to the pool. */
  private setLeafValues(tree: GbdtTree, finished: LeafState[], s: TreeGrowthSettings): void {
    for (const leaf of finished) {
      let w = clamp(-leaf.sumG / (leaf.sumH + s.l2), leaf.lo, leaf.hi);
      if (s.maxDeltaStep > 0) w = Math.max(-s.maxDeltaStep, Math.min(s.maxDeltaStep, w));
      // Leaf values are float32 so that ONNX (float attributes) carries them exactly.
      tree.value[leaf.node] = Math.fround(w * s.learningRate);
      if (leaf.hist) this.histPool.push(leaf.hist);
      leaf.hist = null;
    }
  }

  /** A zeroed histogram (from the pool when one is free). */
  private takeHist(): Float64Array {
    const pooled = this.histPool.pop();
    return pooled ? pooled.fill(0) : new Float64Array(this.histLength);
  }

  /**
   * One sequential pass over all rows: rows of a node being split move to its child; then in-bag
   * rows whose (new) node has a histogram slot s are added to hists[s], in row order.
   */
  private levelPass(
    g: GrowState,
    leftChild: number[],
    hists: (Float64Array | null)[],
    root: boolean,
  ): void {
    const { grad, hess, inBag, features, splitFeature, splitAt, slotOfNode } = g;
    const { cells, nodeOfRow, rowsToAdd, n, p } = this;
    // Rows are listed first and added after: deciding in the add loop which rows to add was a
    // branch on data (in the bag, in the smaller child) that the CPU mispredicted.
    let listed = 0;
    if (root) {
      for (let r = 0; r < n; r++) {
        rowsToAdd[listed] = r;
        listed += inBag[r]!;
      }
    } else {
      for (let r = 0; r < n; r++) {
        let node = nodeOfRow[r]!;
        const f = splitFeature[node]!;
        if (f < 0) continue;
        // Children of a node are created together: right = left + 1. The side is the sign bit
        // of splitAt - cell (ints in [0, 2^31)), not a compare: as a branch it was mispredicted
        // on about every other row, which cost ~10% of growing a CDNOW tree.
        node = leftChild[node]! + ((splitAt[node]! - cells[r * p + f]!) >>> 31);
        nodeOfRow[r] = node;
        rowsToAdd[listed] = r;
        // Listed when in the bag and its node has a slot (slot >= 0: sign bit clear).
        listed += inBag[r]! & (~slotOfNode[node]! >>> 31);
      }
    }
    for (let i = 0; i < listed; i++) {
      const r = rowsToAdd[i]!;
      const hist = root ? hists[0]! : hists[slotOfNode[nodeOfRow[r]!]!]!;
      this.addRow(hist, r * p, grad[r]!, hess[r]!, features);
    }
  }

  /** Adds one row (its bins from rowBase) to a histogram, over the tree's features. */
  private addRow(
    hist: Float64Array,
    rowBase: number,
    g: number,
    h: number,
    features: Int32Array,
  ): void {
    const cells = this.cells;
    for (let j = 0; j < features.length; j++) {
      const o = cells[rowBase + features[j]!]!;
      hist[o]! += g;
      hist[o + 1]! += h;
      hist[o + 2]! += 1;
    }
  }

  /** The best allowed split of a leaf from its histogram (none without one). */
  private evaluate(
    node: number,
    depth: number,
    sumG: number,
    sumH: number,
    count: number,
    hist: Float64Array | null,
    features: Int32Array,
    s: TreeGrowthSettings,
    [lo, hi]: [number, number],
  ): LeafState {
    const leaf: LeafState = {
      node,
      depth,
      sumG,
      sumH,
      count,
      hist,
      gain: Number.NEGATIVE_INFINITY,
      feature: -1,
      bin: -1,
      leftG: 0,
      leftH: 0,
      leftCount: 0,
      lo,
      hi,
      leftW: 0,
      rightW: 0,
    };
    if (hist === null || depth >= s.maxDepth || count < 2 * s.minSamplesLeaf) return leaf;
    if (s.monotone) return this.evaluateMonotone(leaf, hist, features, s);
    const lambda = s.l2;
    const parentScore = (sumG * sumG) / (sumH + lambda);
    for (let j = 0; j < features.length; j++) {
      const f = features[j]!;
      const base = this.offsetOf[f]!;
      const nb = this.bins.binCounts[f]!;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < nb - 1; b++) {
        const o = base + b * 3;
        gl += hist[o]!;
        hl += hist[o + 1]!;
        cl += hist[o + 2]!;
        if (cl < s.minSamplesLeaf || hl < s.minHessianLeaf) continue;
        const cr = count - cl;
        if (cr < s.minSamplesLeaf) break;
        const hr = sumH - hl;
        if (hr < s.minHessianLeaf) continue;
        const gr = sumG - gl;
        const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parentScore;
        if (gain > leaf.gain) {
          leaf.gain = gain;
          leaf.feature = f;
          leaf.bin = b;
          leaf.leftG = gl;
          leaf.leftH = hl;
          leaf.leftCount = cl;
        }
      }
    }
    return leaf;
  }

  /**
   * evaluate() under monotone constraints: children's values are clamped to the leaf's bounds,
   * gains are taken at the clamped values, and a split against a feature's direction is skipped.
   */
  private evaluateMonotone(
    leaf: LeafState,
    hist: Float64Array,
    features: Int32Array,
    s: TreeGrowthSettings,
  ): LeafState {
    const { sumG, sumH, count, lo, hi } = leaf;
    const lambda = s.l2;
    const parentScore = scoreAt(sumG, sumH, lambda, clamp(-sumG / (sumH + lambda), lo, hi));
    for (let j = 0; j < features.length; j++) {
      const f = features[j]!;
      const mono = s.monotone?.[f] ?? 0;
      const base = this.offsetOf[f]!;
      const nb = this.bins.binCounts[f]!;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < nb - 1; b++) {
        const o = base + b * 3;
        gl += hist[o]!;
        hl += hist[o + 1]!;
        cl += hist[o + 2]!;
        if (cl < s.minSamplesLeaf || hl < s.minHessianLeaf) continue;
        const cr = count - cl;
        if (cr < s.minSamplesLeaf) break;
        const hr = sumH - hl;
        if (hr < s.minHessianLeaf) continue;
        const gr = sumG - gl;
        const wl = clamp(-gl / (hl + lambda), lo, hi);
        const wr = clamp(-gr / (hr + lambda), lo, hi);
        if ((mono > 0 && wl > wr) || (mono < 0 && wl < wr)) continue;
        const gain = scoreAt(gl, hl, lambda, wl) + scoreAt(gr, hr, lambda, wr) - parentScore;
        if (gain > leaf.gain) {
          leaf.gain = gain;
          leaf.feature = f;
          leaf.bin = b;
          leaf.leftG = gl;
          leaf.leftH = hl;
          leaf.leftCount = cl;
          leaf.leftW = wl;
          leaf.rightW = wr;
        }
      }
    }
    return leaf;
  }
}
