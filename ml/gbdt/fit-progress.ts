// Trees grown so far in a long GBDT fit, for progress display: a fit on a million customers runs
// for minutes, and a bar that counts only finished fits looked stuck ("10/18 fits" for 5+ minutes
// in a scale probe). The boosting loop calls treeGrown() after each round; whoever runs a fit
// (the task pool, in this thread or a worker thread) listens with whileCountingTrees(). Nothing
// here touches the fit's arithmetic or its random numbers: the models are the same with or
// without a listener.

let listener: (() => void) | null = null;

/** Called by the boosting loop after each tree (a bag's members all count). */
export function treeGrown(): void {
  listener?.();
}

/**
 * Runs `run` (synchronous: one fit) with `report(trees)` told the trees grown since it started,
 * at most once per `everyMs` milliseconds (0: after every tree). The previous listener is restored.
 */
export function whileCountingTrees<T>(
  report: (trees: number) => void,
  run: () => T,
  everyMs = 1_000,
): T {
  const previous = listener;
  let trees = 0;
  let last = Date.now();
  listener = () => {
    trees++;
    const now = everyMs > 0 ? Date.now() : last;
    if (everyMs > 0 && now - last < everyMs) return;
    last = now;
    report(trees);
  };
  try {
    return run();
  } finally {
    listener = previous;
  }
}
