// The campaign pages (server-rendered HTML, inline SVG, no script, no CDN):
//   GET  /campaigns?after=&limit=       a page of campaigns by id: groups logged, latest result
//   GET  /campaigns/:id                 one campaign: groups, per-action incremental profit with
//                                       95% intervals, the Qini curve (from `ml campaign report`)
//   POST /admin/campaign-links          {campaign?, hours?} → a signed link to open in a browser
// Access: an API key (Authorization: Bearer) or a signed link (?exp&sig): a link to one campaign
// opens that page only, a link to the list opens the list and the campaigns it lists.
import {
  campaignSectionHtml,
  escapeHtml,
  fmt,
  htmlDocument,
} from "@pp/shared/campaigns/campaign-html.ts";
import { isStoredCampaignId, STORED_CAMPAIGN_ID_RULE } from "@pp/shared/campaigns/campaign-id.ts";
import type { CampaignResult } from "@pp/shared/campaigns/campaign-result.ts";
import { latestCampaignResult } from "@pp/shared/campaigns/campaign-results-store.ts";
import { decimalIdParam } from "@pp/shared/contracts/decimal-id.ts";
import type { Database } from "@pp/shared/db/database.ts";
import { AppError } from "@pp/shared/errors/app-error.ts";
import { outwardDriverMessage } from "@pp/shared/errors/driver-message.ts";
import { isStorableText, jsonBody, unstorableTextError } from "@pp/shared/errors/validation.ts";
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { HTML_PAGE_HEADERS } from "@pp/shared/http/page-headers.ts";
import { pathParams } from "@pp/shared/http/path-params.ts";
import { queryParams } from "@pp/shared/http/query-params.ts";
import { campaignGroupCounts } from "@pp/shared/registry/decision-log-reads.ts";
import type { Context, Hono, MiddlewareHandler } from "hono";
import * as z from "zod";
import { type CampaignListPage, readCampaignListPage } from "../campaigns/campaign-list.ts";
import { LinkSigner } from "../campaigns/signed-links.ts";
import type { DecisionDeps } from "../deps.ts";
import { campaignFields } from "./decision-schemas.ts";

/** The answer of POST /admin/campaign-links. */
export const campaignLinkSchema = z.object({
  url: z.string().describe("The signed link (path with ?exp=&sig=)"),
  expires_at: z.string(),
});

/**
 * A campaign to open: any id the decision log may hold (also one logged before the id rule). No
 * stored id holds a NUL or a lone surrogate: `/campaigns/%00` was sent to the database, which
 * refused the text, and the page answered 503 "Campaign results unavailable" (a client's mistake
 * as an outage).
 */
const storedCampaign = z
  .string({ error: "must be a string" })
  .refine(isStoredCampaignId, { error: STORED_CAMPAIGN_ID_RULE })
  .refine(isStorableText, unstorableTextError);
export const campaignIdParams = z.object({ id: storedCampaign });

// A signed link's (checked before the query, see signedLinkOr).
const signedLinkQuery = z.strictObject({
  exp: z.string().optional().describe("A signed link's expiry (POST /admin/campaign-links)"),
  sig: z.string().optional().describe("A signed link's signature"),
});

const CAMPAIGN_PAGE_DEFAULT = 50;
const CAMPAIGN_PAGE_MAX = 500;
// Strict: a misspelt parameter (?afterr=) is a 400 naming it, not the first page.
export const campaignListQuery = z.strictObject({
  after: storedCampaign
    .optional()
    .describe("The last campaign id of the previous page (its next link): ids after it are listed"),
  limit: decimalIdParam("a number of campaigns")
    .pipe(z.number().max(CAMPAIGN_PAGE_MAX, { error: `must be at most ${CAMPAIGN_PAGE_MAX}` }))
    .default(CAMPAIGN_PAGE_DEFAULT)
    .describe(`Campaigns per page, 1-${CAMPAIGN_PAGE_MAX}`),
  ...signedLinkQuery.shape,
});
/** One campaign's page takes a signed link's parameters only (strict, as the list's query). */
export const campaignPageQuery = signedLinkQuery;
export const linkBody = z.strictObject({
  campaign: campaignFields.campaign,
  hours: z
    .number({ error: "must be a number" })
    .min(0.01, { error: "must be ≥ 0.01 (36 seconds)" })
    .max(720, { error: "must be ≤ 720 (30 days)" })
    .default(24),
});

/** No script, no remote anything (styles and SVG are inline), and never cached: live figures. */
const PAGE_HEADERS = { ...HTML_PAGE_HEADERS, "Cache-Control": "no-store" };

/** Runs `read` on the database; an absent or failing database is a 503, not a 500. */
async function fromDatabase<T>(deps: DecisionDeps, read: (db: Database) => Promise<T>): Promise<T> {
  try {
    return await read(await deps.database());
  } catch (err) {
    // The driver's message: drizzle's own names the query and the campaign asked for.
    throw new AppError(
      "unavailable",
      `Campaign results unavailable: ${outwardDriverMessage(err)}`,
      {
        headers: { "Retry-After": "5" },
        cause: err,
      },
    );
  }
}

/**
 * The path the request's signed link was made for, when it opens `path`: `path` itself, or the
 * list (`/campaigns` lists every campaign, so its link opens each of them); null when it opens
 * nothing. A link to one campaign opens nothing else: the list's links were once re-signed for any
 * page, so a link to one campaign gave a signed "all campaigns" back link and, through it, every
 * other campaign.
 */
async function linkScope(
  c: Context<AppEnv>,
  signer: LinkSigner,
  path: string,
): Promise<string | null> {
  const exp = c.req.query("exp") ?? "";
  const sig = c.req.query("sig") ?? "";
  const now = Date.now() / 1000;
  if (await signer.verify(path, exp, sig, now)) return path;
  const list = path.startsWith("/campaigns/") && (await signer.verify("/campaigns", exp, sig, now));
  return list ? "/campaigns" : null;
}

/** Whether a link made for `scope` opens `path` (a list link opens every campaign). */
const scopeOpens = (scope: string | null, path: string) =>
  scope !== null && (path === scope || (scope === "/campaigns" && path.startsWith("/campaigns/")));

/** Lets a valid signed link through; anything else must pass `auth` (the API key). */
function signedLinkOr(
  signer: LinkSigner,
  auth: MiddlewareHandler<AppEnv>,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.query("exp") !== undefined || c.req.query("sig") !== undefined) {
      if ((await linkScope(c, signer, c.req.path)) === null) {
        throw new AppError("unauthorized", "Invalid or expired signed link");
      }
      c.get("logFields").api_key = "signed-link";
      return next();
    }
    return auth(c, next);
  };
}

/**
 * The key links are signed with: CAMPAIGN_SECRET, else a random one made at start, so links then
 * open only in this process until it stops. The development key is in the source: links signed
 * with it could be made by anyone, opening every campaign page of a service left without a secret.
 */
function linkSecret(deps: DecisionDeps): string {
  return deps.config.CAMPAIGN_SECRET ?? crypto.randomUUID(); // 122 random bits
}

/**
 * A link to `path` with `query` from the page being served, whose own link was made for `scope`
 * (linkScope, worked out once per page): with its signature when that opens `path` too (the
 * signature covers the path, so a list link opens each page of the list).
 */
function linkTo(
  c: Context<AppEnv>,
  scope: string | null,
  path: string,
  query: Record<string, string> = {},
): string {
  const params = Object.entries(query);
  const exp = c.req.query("exp");
  const sig = c.req.query("sig");
  if (exp && sig && scopeOpens(scope, path)) params.push(["exp", exp], ["sig", sig]);
  const search = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
  return search ? `${path}?${search}` : path;
}

/** The list page's HTML: its rows, and a next link when there are more campaigns. */
function campaignListHtml(
  page: CampaignListPage,
  href: (campaign: string) => string,
  nextHref: string | null,
): string {
  const rows = page.rows.map(({ campaign, treated, control, result: r }) => {
    return `<tr><th scope="row"><a href="${escapeHtml(href(campaign))}">${escapeHtml(campaign)}</a></th>
<td>${treated}</td><td>${control}</td>
<td>${r ? escapeHtml(r.windowEnd) : "not measured"}</td><td>${r ? fmt(r.incrementalProfit) : "–"}</td></tr>`;
  });
  const next = nextHref
    ? `\n<nav><a rel="next" href="${escapeHtml(nextHref)}">next page →</a></nav>`
    : "";
  return `<nav><strong>Campaigns</strong></nav><h1>Campaigns</h1>
<table><thead><tr><th>campaign</th><th>treated decisions</th><th>control decisions</th>
<th>measured to</th><th>incremental profit</th></tr></thead><tbody>
${rows.join("\n") || '<tr><td colspan="5">No campaign yet: send "campaign" with /decision/batch.</td></tr>'}
</tbody></table>${next}`;
}

export function registerCampaignPages(
  app: Hono<AppEnv>,
  deps: DecisionDeps,
  /** The admin-scope check (a signed link is accepted instead, see signed-links.ts). */
  auth: MiddlewareHandler<AppEnv>,
): void {
  const signer = new LinkSigner(linkSecret(deps));
  const gate = signedLinkOr(signer, auth);

  app.get("/campaigns", gate, queryParams(campaignListQuery), async (c) => {
    const { after, limit } = c.req.valid("query");
    const page = await fromDatabase(deps, (db) => readCampaignListPage(db, after, limit));
    const scope = await linkScope(c, signer, c.req.path);
    const href = (id: string) => linkTo(c, scope, `/campaigns/${encodeURIComponent(id)}`);
    // The limit asked for is kept by the next link (the default is left out).
    const sized: Record<string, string> =
      c.req.query("limit") === undefined ? {} : { limit: String(limit) };
    const next =
      page.nextAfter === null
        ? null
        : linkTo(c, scope, "/campaigns", { after: page.nextAfter, ...sized });
    return c.html(htmlDocument("Campaigns", campaignListHtml(page, href, next)), 200, PAGE_HEADERS);
  });

  app.get(
    "/campaigns/:id",
    gate,
    pathParams(campaignIdParams),
    queryParams(campaignPageQuery),
    async (c) => {
      const { id } = c.req.valid("param");
      const [row, counts] = await fromDatabase(deps, (db) =>
        Promise.all([latestCampaignResult(db, id), campaignGroupCounts(db, [id])]),
      );
      if (!row && counts.length === 0) throw new AppError("not_found", `No campaign "${id}"`);
      const logged = counts.map((m) => `${m.decisions} ${escapeHtml(m.group)}`).join(" · ");
      const back = linkTo(c, await linkScope(c, signer, c.req.path), "/campaigns");
      const section = row
        ? campaignSectionHtml(row.result as unknown as CampaignResult)
        : `<h1>Campaign ${escapeHtml(id)}</h1><p>Not measured yet: run
<code>npm run ml -- campaign report --campaign ${escapeHtml(id)} --data LOG</code>.</p>`;
      const body = `<nav><a href="${escapeHtml(back)}">← all campaigns</a></nav>${section}
<p class="method">Decisions logged: ${logged || "none"}${row ? ` · reported ${escapeHtml(row.reportedAt.toISOString())}` : ""}</p>`;
      return c.html(htmlDocument(`Campaign ${id}`, body), 200, PAGE_HEADERS);
    },
  );

  // Keyed by app.ts's /admin/* check, as every admin route: a second check here took a second
  // rate-limit token per request.
  app.post("/admin/campaign-links", jsonBody(linkBody), async (c) => {
    const { campaign, hours } = c.req.valid("json");
    const exp = Math.floor(Date.now() / 1000 + hours * 3600);
    const path = campaign ? `/campaigns/${encodeURIComponent(campaign)}` : "/campaigns";
    return c.json({
      url: await signer.sign(path, exp),
      expires_at: new Date(exp * 1000).toISOString(),
    } satisfies z.infer<typeof campaignLinkSchema>);
  });
}
