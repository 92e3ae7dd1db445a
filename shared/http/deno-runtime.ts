// The slice of the `Deno` global the Deno entries use, typed here because the repo
// type-checks with bun-types rather than Deno's lib.

export interface DenoServer {
  shutdown(): Promise<void>;
  finished: Promise<void>;
}

export interface DenoRuntime {
  env: { toObject(): Record<string, string> };
  exit(code?: number): never;
  serve(
    options: {
      port?: number;
      hostname?: string;
      onListen?: (addr: { hostname: string; port: number }) => void;
    },
    handler: (request: Request) => Response | Promise<Response>,
  ): DenoServer;
  addSignalListener(signal: "SIGINT" | "SIGTERM", handler: () => void): void;
}
