// A process started by another that must not outlive it: a step of `ml publish --follow`, or
// `npm start`'s script after npm passed its SIGTERM to a shell that dropped it. Checked by the
// parent's pid (process.ppid changes when the parent is gone), twice a second.

/** Calls `onGone` once `parent` is no longer this process's parent; the watch does not keep the
 * process alive. Returns a function that stops watching. */
export function whenParentGone(parent: number, onGone: () => void): () => void {
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    onGone();
  }, 500);
  watch.unref();
  return () => clearInterval(watch);
}
