// Puts the read's DataQuality into the trained run: flat into metrics.json `data`, and as the
// first section of report.html. Kept apart from trainModels, which does not know how data was read.

import type { DataQuality } from "../data/input/data-quality.ts";
import { dataQualityTables } from "../report/data-quality-section.ts";
import type { TrainedModels } from "./train-models.ts";

export function attachDataQuality(trained: TrainedModels, quality: DataQuality): void {
  trained.metrics.data = { ...trained.metrics.data, ...quality };
  trained.report.dataTables = dataQualityTables(quality);
}
