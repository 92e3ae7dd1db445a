// Grows one regression tree on gradients and hessians with Uint8-binned features: histograms per
// node (the smaller child built, its sibling got by subtraction from the parent), best-first
// (leaf-wise) growth bounded by maxDepth and maxLeaves, XGBoost-style gain and leaf values.

import type { FeatureBins } from "./binning.ts";
import type { GbdtTree } from "./gbdt-model.ts";

export interface TreeGrowthSettings {
  maxDepth: number;
  maxLeaves: number;
  minSamplesLeaf: number;
  minHessianLeaf: number;
  l2: number;
  minSplitGain: number;
  maxDeltaStep: number;
  learningRate: number;
}

/** A grown tree plus what the trainer needs to update margins cheaply. */
export interface GrownTree {
  tree: GbdtTree;
  /** Bin of the split per node (-1 for leaves): left iff bin <= splitBin. */
  splitBin: Int32Array;
  /** For each leaf, its node id and its range [start, end) in the grower's row index buffer. */
  leafNodes: Int32Array;
  leafStart: Int32Array;
  leafEnd: Int32Array;
}

interface OpenLeaf {
  node: number;
  depth: number;
  start: number;
  end: number;
  sumG: number;
  sumH: number;
  hist: Float64Array;
  // Best split found for this leaf (gain -Infinity when none is allowed).
  gain: number;
  feature: number;
  bin: number;
  leftG: number;
  leftH: number;
  leftCount: number;
}

/**
 * Reusable tree grower over one binned training matrix. Histograms hold 256 bin slots per feature
 * (feature f, bin b at (f·256 + b)·3), three doubles per bin: gradient sum, hessian sum, row count.
 */
export class HistogramTreeGrower {
  readonly rowIndex: Uint32Array;
  private readonly scratch: Uint32Array;
  // Bins and gradient pairs of the in-bag rows, kept in the same order as rowIndex: partitioning
  // moves them along, so every node's rows are contiguous and histograms read memory in order
  // (scattered rows made deep nodes cache-miss bound, several times slower).
  private readonly nodeBins: Uint8Array;
  private readonly scratchBins: Uint8Array;
  private readonly nodeGH: Float64Array;
  private readonly scratchGH: Float64Array;
  private readonly histLength: number;
  private readonly histPool: Float64Array[] = [];

  constructor(
    private readonly binned: Uint8Array,
    private readonly n: number,
    private readonly p: number,
    private readonly bins: FeatureBins,
  ) {
    this.rowIndex = new Uint32Array(n);
    this.scratch = new Uint32Array(n);
    this.nodeBins = new Uint8Array(n * p);
    this.scratchBins = new Uint8Array(n * p);
    this.nodeGH = new Float64Array(2 * n);
    this.scratchGH = new Float64Array(2 * n);
    this.histLength = p * 256 * 3;
  }

  /**
   * Grows a tree on the rows rowIndex[0..rowCount) (the caller fills rowIndex, ascending), splitting only on
   * `features` (ascending feature ids).
   */
  grow(
    grad: Float64Array,
    hess: Float64Array,
    rowCount: number,
    features: Int32Array,
    s: TreeGrowthSettings,
  ): GrownTree {
    const tree: GbdtTree = { feature: [], threshold: [], left: [], right: [], value: [] };
    const splitBins: number[] = [];
    const newNode = (): number => {
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.value.push(0);
      splitBins.push(-1);
      return tree.feature.length - 1;
    };

    let g0 = 0;
    let h0 = 0;
    const p = this.p;
    for (let k = 0; k < rowCount; k++) {
      const r = this.rowIndex[k];
      const g = grad[r];
      const h = hess[r];
      this.nodeGH[2 * k] = g;
      this.nodeGH[2 * k + 1] = h;
      g0 += g;
      h0 += h;
    }
    if (rowCount === this.n) this.nodeBins.set(this.binned);
    else {
      for (let k = 0; k < rowCount; k++) {
        const src = this.rowIndex[k] * p;
        for (let j = 0; j < p; j++) this.nodeBins[k * p + j] = this.binned[src + j];
      }
    }
    const rootHist = this.takeHist();
    this.buildHistogram(rootHist, 0, rowCount, features);
    const root = this.openLeaf(newNode(), 0, 0, rowCount, g0, h0, rootHist, features, s);
    const open: OpenLeaf[] = [root];

    while (open.length < s.maxLeaves) {
      // Best-first: the open leaf with the largest gain (lowest node id on ties).
      let bestIdx = -1;
      for (let i = 0; i < open.length; i++) {
        if (open[i].gain > s.minSplitGain && (bestIdx < 0 || open[i].gain > open[bestIdx].gain)) {
          bestIdx = i;
        }
      }
      if (bestIdx < 0) break;
      const leaf = open[bestIdx];
      open.splice(bestIdx, 1);

      const mid = this.partition(leaf.start, leaf.end, leaf.feature, leaf.bin);
      const leftNode = newNode();
      const rightNode = newNode();
      tree.feature[leaf.node] = leaf.feature;
      tree.threshold[leaf.node] = this.bins.edges[leaf.feature][leaf.bin];
      tree.left[leaf.node] = leftNode;
      tree.right[leaf.node] = rightNode;
      splitBins[leaf.node] = leaf.bin;

      // Build the smaller child's histogram; the parent's buffer becomes the larger child's.
      const leftSmaller = mid - leaf.start <= leaf.end - mid;
      const small = this.takeHist();
      if (leftSmaller) this.buildHistogram(small, leaf.start, mid, features);
      else this.buildHistogram(small, mid, leaf.end, features);
      const large = leaf.hist;
      for (let j = 0; j < features.length; j++) {
        const f = features[j];
        const from = f * 768;
        const to = from + this.bins.binCounts[f] * 3;
        for (let o = from; o < to; o++) large[o] -= small[o];
      }
      const leftHist = leftSmaller ? small : large;
      const rightHist = leftSmaller ? large : small;
      const depth = leaf.depth + 1;
      const rightG = leaf.sumG - leaf.leftG;
      const rightH = leaf.sumH - leaf.leftH;
      const l = this.openLeaf(
        leftNode,
        depth,
        leaf.start,
        mid,
        leaf.leftG,
        leaf.leftH,
        leftHist,
        features,
        s,
      );
      const r = this.openLeaf(
        rightNode,
        depth,
        mid,
        leaf.end,
        rightG,
        rightH,
        rightHist,
        features,
        s,
      );
      open.push(l, r);
    }

    const leaves = open.sort((a, b) => a.node - b.node);
    const leafNodes = new Int32Array(leaves.length);
    const leafStart = new Int32Array(leaves.length);
    const leafEnd = new Int32Array(leaves.length);
    for (let i = 0; i < leaves.length; i++) {
      const leaf = leaves[i];
      let w = -leaf.sumG / (leaf.sumH + s.l2);
      if (s.maxDeltaStep > 0) w = Math.max(-s.maxDeltaStep, Math.min(s.maxDeltaStep, w));
      // Leaf values are float32 so that ONNX (float attributes) carries them exactly.
      tree.value[leaf.node] = Math.fround(w * s.learningRate);
      leafNodes[i] = leaf.node;
      leafStart[i] = leaf.start;
      leafEnd[i] = leaf.end;
      this.histPool.push(leaf.hist);
    }
    return { tree, splitBin: Int32Array.from(splitBins), leafNodes, leafStart, leafEnd };
  }

  private takeHist(): Float64Array {
    return this.histPool.pop() ?? new Float64Array(this.histLength);
  }

  private openLeaf(
    node: number,
    depth: number,
    start: number,
    end: number,
    sumG: number,
    sumH: number,
    hist: Float64Array,
    features: Int32Array,
    s: TreeGrowthSettings,
  ): OpenLeaf {
    const leaf: OpenLeaf = {
      node,
      depth,
      start,
      end,
      sumG,
      sumH,
      hist,
      gain: Number.NEGATIVE_INFINITY,
      feature: -1,
      bin: -1,
      leftG: 0,
      leftH: 0,
      leftCount: 0,
    };
    const count = end - start;
    if (depth >= s.maxDepth || count < 2 * s.minSamplesLeaf) return leaf;
    const lambda = s.l2;
    const parentScore = (sumG * sumG) / (sumH + lambda);
    for (let j = 0; j < features.length; j++) {
      const f = features[j];
      const base = f * 768;
      const nb = this.bins.binCounts[f];
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < nb - 1; b++) {
        const o = base + b * 3;
        gl += hist[o];
        hl += hist[o + 1];
        cl += hist[o + 2];
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
   * Stable partition of the rows in [start, end) into bin <= splitBin first, moving their row ids,
   * bins and gradient pairs together; returns the boundary.
   */
  private partition(start: number, end: number, feature: number, splitBin: number): number {
    const { rowIndex: idx, scratch, nodeBins: bins, scratchBins, nodeGH: gh, scratchGH } = this;
    const p = this.p;
    let l = start;
    let t = 0;
    for (let k = start; k < end; k++) {
      const src = k * p;
      if (bins[src + feature] <= splitBin) {
        if (l !== k) {
          idx[l] = idx[k];
          const dst = l * p;
          for (let j = 0; j < p; j++) bins[dst + j] = bins[src + j];
          gh[2 * l] = gh[2 * k];
          gh[2 * l + 1] = gh[2 * k + 1];
        }
        l++;
      } else {
        scratch[t] = idx[k];
        const dst = t * p;
        for (let j = 0; j < p; j++) scratchBins[dst + j] = bins[src + j];
        scratchGH[2 * t] = gh[2 * k];
        scratchGH[2 * t + 1] = gh[2 * k + 1];
        t++;
      }
    }
    idx.set(scratch.subarray(0, t), l);
    bins.set(scratchBins.subarray(0, t * p), l * p);
    gh.set(scratchGH.subarray(0, 2 * t), 2 * l);
    return l;
  }

  /** Gradient/hessian/count histogram of the rows in [start, end) over the given features. */
  private buildHistogram(
    hist: Float64Array,
    start: number,
    end: number,
    features: Int32Array,
  ): void {
    hist.fill(0);
    const bins = this.nodeBins;
    const gh = this.nodeGH;
    const p = this.p;
    const nf = features.length;
    if (nf === p) {
      for (let k = start; k < end; k++) {
        const g = gh[2 * k];
        const h = gh[2 * k + 1];
        const rowBase = k * p;
        for (let f = 0; f < p; f++) {
          const o = ((f << 8) + bins[rowBase + f]) * 3;
          hist[o] += g;
          hist[o + 1] += h;
          hist[o + 2] += 1;
        }
      }
      return;
    }
    for (let k = start; k < end; k++) {
      const g = gh[2 * k];
      const h = gh[2 * k + 1];
      const rowBase = k * p;
      for (let j = 0; j < nf; j++) {
        const f = features[j];
        const o = ((f << 8) + bins[rowBase + f]) * 3;
        hist[o] += g;
        hist[o + 1] += h;
        hist[o + 2] += 1;
      }
    }
  }

  /** Number of training rows this grower was built for. */
  get rowCapacity(): number {
    return this.n;
  }
}
