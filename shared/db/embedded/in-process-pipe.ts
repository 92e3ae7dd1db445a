// A connected pair of in-memory duplex streams that stand in for a loopback TCP connection: the
// process that hosts the embedded database hands one end to its own postgres.js client and the
// other to its wire server, so its queries skip the kernel's socket round trip (the bytes and the
// protocol are the same). Each end has what both users of a socket touch: readyState,
// setNoDelay/setKeepAlive, and 'close' once either end is destroyed or both have ended.

import { Duplex } from "node:stream";

class PipeEnd extends Duplex {
  peer: PipeEnd | undefined;

  constructor() {
    // Like a net.Socket: when the other side ends, this side ends too.
    super({ allowHalfOpen: false });
  }

  /** As net.Socket reports it (postgres.js reads it before ending a connection). */
  get readyState(): "open" | "closed" {
    return this.destroyed || this.writableEnded ? "closed" : "open";
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error) => void): void {
    this.peer?.push(chunk);
    done();
  }

  override _final(done: (err?: Error) => void): void {
    this.peer?.push(null);
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    const peer = this.peer;
    this.peer = undefined;
    if (peer && !peer.destroyed) peer.destroy();
    done(err);
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }
}

/** Two connected ends: what one writes, the other reads. */
export function inProcessPipe(): [Duplex, Duplex] {
  const a = new PipeEnd();
  const b = new PipeEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
