// HTML and SVG of a measured campaign, as plain escaped templates (no DOM, no CDN, no script): the
// report file of `ml campaign report` and the decision service's campaign page render the same.
import type { ActionResult, CampaignResult, Interval, QiniPoint } from "./campaign-result.ts";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** A number for people: 2 decimals, thousands separated; "–" when not finite. */
export function fmt(x: number | null | undefined, digits = 2): string {
  if (typeof x !== "number" || !Number.isFinite(x)) return "–";
  return x.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

const fmtInterval = (x: Interval) => `${fmt(x.estimate)} [${fmt(x.lower)}, ${fmt(x.upper)}]`;

/** Incremental profit per customer with its 95% interval, one row per action. */
export function intervalChartSvg(actions: readonly ActionResult[]): string {
  // An action with fewer than 2 customers in an arm has no interval to draw (the table shows it).
  const rows = actions.filter((a) => {
    const x = a.incremental_profit_per_customer;
    return Number.isFinite(x.estimate) && Number.isFinite(x.lower) && Number.isFinite(x.upper);
  });
  const width = 640;
  const left = 140;
  const right = 20;
  const rowH = 36;
  const height = 40 + rows.length * rowH;
  const values = rows.flatMap((a) => {
    const x = a.incremental_profit_per_customer;
    return [x.lower, x.upper, x.estimate].filter(Number.isFinite);
  });
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  const span = hi - lo || 1;
  const sx = (v: number) => left + ((v - lo) / span) * (width - left - right);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="Incremental profit per customer with 95% intervals" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`,
    `<line x1="${sx(0)}" y1="10" x2="${sx(0)}" y2="${height - 20}" stroke="#888" stroke-dasharray="4 3"/>`,
    `<text x="${sx(0)}" y="${height - 5}" font-size="11" text-anchor="middle" fill="#555">0</text>`,
    `<text x="${sx(lo)}" y="${height - 5}" font-size="11" text-anchor="start" fill="#555">${fmt(lo)}</text>`,
    `<text x="${sx(hi)}" y="${height - 5}" font-size="11" text-anchor="end" fill="#555">${fmt(hi)}</text>`,
  ];
  rows.forEach((a, k) => {
    const y = 25 + k * rowH;
    const x = a.incremental_profit_per_customer;
    const colour = x.lower > 0 ? "#1a7f37" : x.upper < 0 ? "#cf222e" : "#9a6700";
    parts.push(
      `<text x="${left - 8}" y="${y + 4}" font-size="12" text-anchor="end">${escapeHtml(a.action)}</text>`,
      `<line x1="${sx(x.lower)}" y1="${y}" x2="${sx(x.upper)}" y2="${y}" stroke="${colour}" stroke-width="3"/>`,
      `<line x1="${sx(x.lower)}" y1="${y - 6}" x2="${sx(x.lower)}" y2="${y + 6}" stroke="${colour}" stroke-width="2"/>`,
      `<line x1="${sx(x.upper)}" y1="${y - 6}" x2="${sx(x.upper)}" y2="${y + 6}" stroke="${colour}" stroke-width="2"/>`,
      `<circle cx="${sx(x.estimate)}" cy="${y}" r="5" fill="${colour}"><title>${escapeHtml(a.action)}: ${fmtInterval(x)}</title></circle>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}

/** The Qini curve (cumulative incremental profit by predicted-profit decile) against random. */
export function qiniChartSvg(points: readonly QiniPoint[]): string {
  // Without control customers among those picked there is no curve, nor a random line to scale.
  const pts = points.filter(
    (p) => Number.isFinite(p.cumulative_incremental_profit) && Number.isFinite(p.random),
  );
  const width = 640;
  const height = 300;
  const m = { l: 70, r: 20, t: 15, b: 40 };
  const ys = pts.flatMap((p) => [p.cumulative_incremental_profit, p.random]);
  const lo = Math.min(0, ...ys);
  const hi = Math.max(0, ...ys);
  const span = hi - lo || 1;
  const sx = (f: number) => m.l + f * (width - m.l - m.r);
  const sy = (v: number) => height - m.b - ((v - lo) / span) * (height - m.t - m.b);
  const line = (key: "cumulative_incremental_profit" | "random") =>
    pts.map((p) => `${sx(p.fraction).toFixed(1)},${sy(p[key]).toFixed(1)}`).join(" ");
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="Qini curve" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`,
    `<line x1="${m.l}" y1="${sy(0)}" x2="${width - m.r}" y2="${sy(0)}" stroke="#bbb"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${height - m.b}" stroke="#bbb"/>`,
    `<text x="${m.l - 6}" y="${sy(hi) + 4}" font-size="11" text-anchor="end">${fmt(hi, 0)}</text>`,
    `<text x="${m.l - 6}" y="${sy(lo) + 4}" font-size="11" text-anchor="end">${fmt(lo, 0)}</text>`,
    `<text x="${(width + m.l) / 2}" y="${height - 8}" font-size="12" text-anchor="middle">share of customers targeted, by predicted profit (deciles)</text>`,
    `<polyline points="${line("random")}" fill="none" stroke="#999" stroke-dasharray="5 4"/>`,
    `<polyline points="${line("cumulative_incremental_profit")}" fill="none" stroke="#0969da" stroke-width="2.5"/>`,
  ];
  for (const p of pts) {
    parts.push(
      `<circle cx="${sx(p.fraction)}" cy="${sy(p.cumulative_incremental_profit)}" r="3.5" fill="#0969da"><title>top ${fmt(p.fraction * 100, 0)}%: ${fmt(p.cumulative_incremental_profit)}</title></circle>`,
    );
    if (p.decile > 0 && p.decile % 2 === 0) {
      parts.push(
        `<text x="${sx(p.fraction)}" y="${height - m.b + 14}" font-size="11" text-anchor="middle">${p.decile * 10}%</text>`,
      );
    }
  }
  parts.push("</svg>");
  return parts.join("");
}

function actionRows(actions: readonly ActionResult[]): string {
  return actions
    .map(
      (a) => `<tr><th scope="row">${escapeHtml(a.action)}</th>
<td>${a.treated.customers}</td><td>${a.control.customers}</td>
<td>${fmt(a.treated.purchases_per_customer, 3)} / ${fmt(a.control.purchases_per_customer, 3)}</td>
<td>${fmt(a.treated.spend_per_customer)} / ${fmt(a.control.spend_per_customer)}</td>
<td>${fmtInterval(a.incremental_purchases_per_customer)}</td>
<td class="profit">${fmtInterval(a.incremental_profit_per_customer)}</td>
<td>${fmtInterval(a.incremental_profit_total)}</td>
<td>${a.realised_roi === null ? "–" : fmt(a.realised_roi)}</td>
<td>${fmt(a.assumed_uplift, 3)}</td><td>${fmtInterval(a.measured_uplift)}</td></tr>`,
    )
    .join("\n");
}

/** The campaign's section: groups, per-action table, interval chart and Qini curve. */
export function campaignSectionHtml(r: CampaignResult): string {
  return `<section class="campaign" data-campaign="${escapeHtml(r.campaign)}">
<h1>Campaign ${escapeHtml(r.campaign)}</h1>
<p class="groups">Window ${escapeHtml(r.window.start)} → ${escapeHtml(r.window.end)} ·
<strong>${r.groups.treated}</strong> treated · <strong>${r.groups.control}</strong> control
(${fmt(r.groups.control_share * 100, 1)}% held out) · incremental profit
<strong id="total-profit">${fmt(r.incremental_profit)}</strong></p>
<h2>Incremental profit per customer (95% intervals)</h2>
${intervalChartSvg(r.actions)}
<table>
<thead><tr><th>action</th><th>treated</th><th>control</th><th>purchases / cust. (T / C)</th>
<th>spend / cust. (T / C)</th><th>incremental purchases / cust.</th>
<th>incremental profit / cust.</th><th>incremental profit, total</th><th>realised ROI</th>
<th>assumed uplift</th><th>measured uplift</th></tr></thead>
<tbody>
${actionRows(r.actions)}
</tbody></table>
<h2>Qini curve by predicted-profit decile</h2>
${qiniChartSvg(r.qini)}
<p class="method">Method: ${escapeHtml(r.method)}. Control customers are those who would have
received the action (logged by the decision service); profit = margin × purchases − cost for the
treated, margin × purchases for the control.</p>
${r.notes.length > 0 ? `<ul class="notes">${r.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>` : ""}
</section>`;
}

export const CAMPAIGN_CSS = `body{font-family:system-ui,sans-serif;margin:24px;color:#1f2328;max-width:1200px}
table{border-collapse:collapse;margin:12px 0;font-size:13px}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:right}
th[scope=row],thead th{text-align:left;background:#f6f8fa}td.profit{font-weight:600}
.chart{display:block;margin:8px 0;background:#fff;border:1px solid #eee}.method,.notes{font-size:12px;color:#57606a}
nav a{margin-right:12px}`;

/** A whole HTML document around `body`. */
export function htmlDocument(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CAMPAIGN_CSS}</style></head>
<body>${body}</body></html>`;
}
