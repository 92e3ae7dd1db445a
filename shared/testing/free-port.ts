// A free TCP port on 127.0.0.1 for tests and benchmarks that start real servers (Node APIs: this
// is test and bench support, not service code).
import { createServer } from "node:net";

/** Asks the OS for an unused port by listening on port 0, then releases it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no port was assigned"))));
    });
  });
}
