// The model compiled into a Workers build: `scripts/export-bundle.ts` writes worker-model/ and its
// index.js (file name → bytes as Data modules); wrangler aliases "pp:forecast-model" to it.
declare module "pp:forecast-model" {
  const files: Record<string, ArrayBuffer>;
  export default files;
}

declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
