// Cloudflare Workers entry with onnxruntime-web (wrangler.toml): the WASM binary is imported as a
// precompiled module, because Workers forbid compiling WASM from bytes at run time.

import bundled from "pp:forecast-model";
import * as ort from "onnxruntime-web";
import wasmModule from "../../../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm";
import type { GbdtEngine } from "../model/gbdt-engine.ts";
import { ortEngine } from "../model/ort-engine.ts";
import { workerHandler } from "../worker/worker-app.ts";

/**
 * ORT asks to instantiate WASM from bytes; answer with the precompiled module instead, only while
 * a session is being created (the recipe in /work/shared/notes/onnxruntime-web-runtimes.md).
 */
const precompiledOrtEngine: GbdtEngine = {
  ...ortEngine,
  async createScorer(bytes, featureCount) {
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.wasmBinary = new Uint8Array(1);
    const original = WebAssembly.instantiate;
    const patched = (async (source: unknown, imports?: WebAssembly.Imports) => {
      if (source instanceof WebAssembly.Module) return original(source, imports);
      return { module: wasmModule, instance: await original(wasmModule, imports) };
    }) as typeof WebAssembly.instantiate;
    WebAssembly.instantiate = patched;
    try {
      return await ortEngine.createScorer(bytes, featureCount);
    } finally {
      WebAssembly.instantiate = original;
    }
  },
};

export default workerHandler({ runtime: "workerd", engine: precompiledOrtEngine, bundled });
