// In-memory stand-ins for the Workers' R2 bucket MODEL_ARTIFACTS and KV namespace MODEL_POINTER
// (the real ones are exercised under wrangler dev by services/conformance/wrangler-dev.test.ts).
// `stopAfter(n)` makes every write or delete after the next n throw, as a publisher dying there
// would (`stopAfter(null)` lets them through again).
export function memoryBindings() {
  const objects = new Map<string, Uint8Array>();
  const keys = new Map<string, string>();
  let writes = 0;
  let limit: number | null = null;
  const write = () => {
    if (limit !== null && writes >= limit) throw new Error(`stopped after ${writes} write(s)`);
    writes++;
  };
  return {
    objects,
    keys,
    stopAfter(n: number | null) {
      limit = n === null ? null : writes + n;
    },
    bucket: {
      async get(key: string) {
        const bytes = objects.get(key);
        return bytes ? { arrayBuffer: async () => new Uint8Array(bytes).buffer } : null;
      },
      async put(key: string, value: Uint8Array) {
        write();
        objects.set(key, new Uint8Array(value)); // a copy (Buffer.slice would be a view)
      },
      async delete(key: string) {
        write();
        objects.delete(key);
      },
    },
    pointer: {
      async get(key: string) {
        return keys.get(key) ?? null;
      },
      async put(key: string, value: string) {
        write();
        keys.set(key, value);
      },
    },
  };
}
