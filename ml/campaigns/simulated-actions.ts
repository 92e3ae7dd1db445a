// The actions of `ml simulate --campaign`: what they cost, the margin per purchase, the uplift the
// caller assumes, and the TRUE uplift per P(alive) segment (<0.3, 0.3–0.7, ≥0.7) the simulator
// applies to treated customers; printed by the command so reports can be checked against truth.
import type { SimulatedAction } from "./campaign-simulator.ts";

export const SIMULATED_CAMPAIGN_ACTIONS: SimulatedAction[] = [
  { id: "email", cost: 0.2, margin: 10, assumedUplift: 0.2, trueUplift: [0.05, 0.1, 0.15] },
  { id: "coupon", cost: 1.5, margin: 10, assumedUplift: 0.5, trueUplift: [0.15, 0.3, 0.25] },
  { id: "call", cost: 6, margin: 10, assumedUplift: 1.2, trueUplift: [0.2, 0.7, 0.6] },
];
