// Renders a Vega-Lite spec to an SVG string without a DOM (vega's headless "none" renderer).

import * as vega from "vega";
import * as vl from "vega-lite";

export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
