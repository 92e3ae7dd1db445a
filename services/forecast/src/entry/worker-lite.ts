// Cloudflare Workers entry without onnxruntime-web (wrangler.lite.toml): the same ONNX tree
// ensembles evaluated by the TypeScript evaluator, small enough for the free plan's 3 MB limit.
import bundled from "pp:forecast-model";
import { typescriptEngine } from "../model/typescript-engine.ts";
import { workerHandler } from "../worker/worker-app.ts";

export default workerHandler({ runtime: "workerd-lite", engine: typescriptEngine, bundled });
