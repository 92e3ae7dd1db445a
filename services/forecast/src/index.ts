// The forecast service's public entry: what other packages (the conformance and reliability
// suites, the monitoring tests) build the service from: the app factory, its dependencies and
// configuration, the model sources and the ONNX GBDT engine, and the response schema of /forecast.
export { createApp } from "./app.ts";
export { handlerTimeLimits, parseConfig } from "./config.ts";
export { buildForecastDeps, type ForecastDeps } from "./deps.ts";
export { bundleModelSource, registryModelSource } from "./model/model-sources.ts";
export { ortEngine } from "./model/ort-engine.ts";
export { forecastResponseSchema } from "./routes/forecast-schemas.ts";
