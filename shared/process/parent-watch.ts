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
  // Deno's timers are numbers (nothing to unref); its servers keep the process alive anyway.
  (watch as { unref?: () => void }).unref?.();
  return () => clearInterval(watch);
}

/**
 * A service started by its own npm script (`npm run start:decision`, `start:forecast`): npm passes
 * a SIGTERM to the `sh -c` that runs the script, which ended without passing it on, and the
 * service kept serving its port, orphaned (a probe's restart then failed with EADDRINUSE). So did
 * one started by npx (`npx bun …/entry/bun.ts`, `npx deno run …`: a shell, and for deno its Node
 * wrapper, in between; npm names the event `npx`). Such a service stops as on `signal` once its
 * parent is gone; so does one `npm start` runs (`PP_STOP_WITH_PARENT=1`): its scripts/start.ts
 * stops it, unless killed with SIGKILL. Run directly, nothing is watched.
 */
export function stopWithNpmScript(stop: () => void): void {
  const event = process.env.npm_lifecycle_event;
  const byNpmScript = event?.startsWith("start:") || event === "npx";
  if (!byNpmScript && process.env.PP_STOP_WITH_PARENT !== "1") return;
  whenParentGone(process.ppid, stop);
}
