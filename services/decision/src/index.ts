// The decision service's public entry: what other packages (the conformance and reliability
// suites, the monitoring tests) build the service from: the app factory, its dependencies and
// configuration, the transports to the forecast service, the policy catalog, the API key store
// and key ring (and how a key is made and hashed, for rows written by hand), and the database
// providers of its entries.
export { createApp } from "./app.ts";
export { generateApiKey, hashApiKey } from "./auth/api-key-hash.ts";
export { ApiKeyRing } from "./auth/api-key-ring.ts";
export { ApiKeyStore } from "./auth/api-key-store.ts";
export { handlerTimeLimits, parseConfig } from "./config.ts";
export { buildDecisionDeps, type DecisionDeps, forecastReadyCheck } from "./deps.ts";
export { inProcessTransport } from "./forecast-client/forecast-transports.ts";
export { PolicyCatalog } from "./policy/policy-catalog.ts";
export { closeWithin } from "./store/close-within.ts";
export { lazyDatabase } from "./store/lazy-database.ts";
export { openDecisionDatabase } from "./store/open-decision-database.ts";
