// Whether an exported bundle can be loaded inside a Cloudflare Workers isolate (128 MB each), judged
// from bundle.json's file sizes alone, so a publisher refuses and a Worker declines before reading.
// Loading holds the fetched bytes, their decoded copy and ~128 bytes of index per stored customer.
import { FEATURE_COUNT } from "@pp/ml/features/feature-vector.ts";

/** Cloudflare Workers' memory limit per isolate (128 MB, every plan). */
const WORKER_MEMORY_LIMIT_MB = 128;
/** Kept for the runtime, the script and requests: a 10,000-customer answer is ~12 MiB of text. */
const WORKER_HEADROOM_BYTES = 28 * 1024 * 1024;
const INDEX_BYTES_PER_CUSTOMER = 128;
/** customers.json spends at least this per customer (id, four numbers, separators). */
const MIN_JSON_BYTES_PER_CUSTOMER = 30;

export interface BundleFileSize {
  name: string;
  bytes: number;
}

interface WorkerLoadEstimate {
  /** Stored customers (from the feature file, else an upper bound from customers.json). */
  customers: number;
  /** Peak bytes the load holds in the isolate. */
  bytes: number;
  /** Bytes an isolate under `limitMb` has for the model. */
  budget: number;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** The load's peak: every file read and decoded (2×) plus the customer index. */
function workerLoadEstimate(
  files: readonly BundleFileSize[],
  limitMb = WORKER_MEMORY_LIMIT_MB,
): WorkerLoadEstimate {
  const size = (name: string) => files.find((f) => f.name === name)?.bytes ?? 0;
  const features = size("customer_features.f32");
  const customers =
    features > 0
      ? Math.round(features / (4 * FEATURE_COUNT))
      : Math.ceil(size("customers.json") / MIN_JSON_BYTES_PER_CUSTOMER);
  const fileBytes = files.reduce((sum, f) => sum + f.bytes, 0);
  return {
    customers,
    bytes: 2 * fileBytes + INDEX_BYTES_PER_CUSTOMER * customers,
    budget: limitMb * 1_000_000 - WORKER_HEADROOM_BYTES,
  };
}

/** Null when the bundle fits an isolate of `limitMb`; else one sentence saying why not. */
export function workerMemoryProblem(
  files: readonly BundleFileSize[],
  limitMb = WORKER_MEMORY_LIMIT_MB,
): string | null {
  const e = workerLoadEstimate(files, limitMb);
  if (e.bytes <= e.budget) return null;
  const perCustomer = e.customers > 0 ? e.bytes / e.customers : 1;
  const fit = Math.max(0, Math.floor(e.budget / perCustomer / 1000) * 1000);
  const sizes = files
    .filter((f) => f.name.startsWith("customer"))
    .map((f) => `${f.name} ${mib(f.bytes)}`)
    .join(", ");
  return (
    `its ${e.customers.toLocaleString("en")} stored customers (${sizes}) need about ` +
    `${mib(e.bytes)} to load in a Worker, over the ${mib(e.budget)} a ${limitMb} MB Workers ` +
    `isolate has for a model (about ${fit.toLocaleString("en")} customers fit)`
  );
}
