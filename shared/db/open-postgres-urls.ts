// Which PostgreSQL URLs this process holds a client open on: createDatabase's handles and clients
// made beside it (`ml score --to`'s). The CLI's database watchdog (database-watchdog.ts) probes
// them while they are open. A module of its own so a client outside createDatabase can say so
// without loading the rest of client.ts.

/** How many handles are open on each PostgreSQL URL in this process (for database-watchdog.ts). */
const openUrls = new Map<string, number>();
/** Told when the last hold on a URL is released (the watchdog closes its probe connection). */
const releaseListeners = new Set<(url: string) => void>();

/** The PostgreSQL URLs this process has a handle open on (a command waiting on them, maybe). */
export function openPostgresUrls(): string[] {
  return [...openUrls.keys()];
}

/**
 * Counts `url` as open until the returned function is called (once; later calls do nothing): a
 * client made outside createDatabase (`ml score --to`'s) is then watched like a handle.
 */
export function holdPostgresUrl(url: string): () => void {
  openUrls.set(url, (openUrls.get(url) ?? 0) + 1);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    const n = (openUrls.get(url) ?? 1) - 1;
    if (n > 0) openUrls.set(url, n);
    else {
      openUrls.delete(url);
      for (const listener of releaseListeners) listener(url);
    }
  };
}

/** Calls `listener` each time a URL stops being held; returns a function that unsubscribes. */
export function onPostgresUrlReleased(listener: (url: string) => void): () => void {
  releaseListeners.add(listener);
  return () => releaseListeners.delete(listener);
}
