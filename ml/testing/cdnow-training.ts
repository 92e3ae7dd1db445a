// Test support: the models `ml train` fits on the CDNOW sample with the classic split (calibration
// to 1997-09-30, holdout to 1998-06-30, weeks), as the CDNOW acceptance tests check them; trained
// once per process and path, since the acceptance suites share it.
import { readCdnowLog } from "../data/cdnow-reader.ts";
import type { CustomerSummaries } from "../features/customer-summaries.ts";
import { summarize } from "../features/summaries.ts";
import { type TrainedModels, trainModels } from "../pipelines/train-models.ts";

export interface CdnowTraining {
  summaries: CustomerSummaries;
  trained: TrainedModels;
}

const trainings = new Map<string, Promise<CdnowTraining>>();

/** The summaries of the CDNOW sample at `samplePath` and the models trained on them. */
export function trainOnCdnowSample(samplePath: string): Promise<CdnowTraining> {
  let models = trainings.get(samplePath);
  if (!models) {
    models = (async () => {
      const { log } = await readCdnowLog(samplePath);
      const summaries = summarize(log, {
        calibrationEnd: "1997-09-30",
        holdoutEnd: "1998-06-30",
        timeUnit: "week",
      });
      const trained = await trainModels({ log, summaries, source: "CDNOW", format: "cdnow" });
      return { summaries, trained };
    })();
    trainings.set(samplePath, models);
  }
  return models;
}
