// The public entry of the workerd host: bundle a service's Worker, write a workerd config for it
// with the service's configuration as text bindings, and where the repository's binaries are.
// Tests and benches that run a service under workerd import this, not the files behind it.
export { defaultPorts, workerBindings } from "./bindings.ts";
export {
  binDir,
  bundleWorker,
  foreignZodLocales,
  type LocalHyperdrive,
  repoRoot,
  type WorkerBundle,
  writeWorkerdConfig,
} from "./bundle.ts";
