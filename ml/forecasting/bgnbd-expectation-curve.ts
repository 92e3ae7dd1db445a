// Moved to ml/models (model math lives there); this re-export keeps services/forecast's test import
// working until it imports from ml/models directly.
export { BgNbdExpectationCurve, type GridPoints } from "../models/bgnbd-expectation-curve.ts";
