// The `campaign_shares` table (its one owner): each campaign's control share, pinned at its first
// decision. A customer is held out when its keyed draw is below the share (control-assignment.ts),
// so a batch at another share moved customers between groups: at 0.5 then 0.1, 931 of the 1,196
// held out were treated, and the report measured the uplift 23% low.
import type { Database } from "@pp/shared/db/database.ts";
import { campaignShares } from "@pp/shared/db/schema.ts";
import { eq } from "drizzle-orm";

export interface PinnedShare {
  share: number;
  startedAt: Date;
}

/** Campaigns whose share is kept in memory (a pinned share never changes). */
const CACHED_CAMPAIGNS = 10_000;

export class CampaignShares {
  private readonly cache = new Map<string, PinnedShare>();

  constructor(private readonly database: () => Promise<Database>) {}

  /** The campaign's pinned share: `share` when this is its first decision, else the one pinned. */
  async pin(campaign: string, share: number): Promise<PinnedShare> {
    const cached = this.cache.get(campaign);
    if (cached) return cached;
    const db = await this.database();
    const [inserted] = await db
      .insert(campaignShares)
      .values({ campaignId: campaign, controlShare: share })
      .onConflictDoNothing()
      .returning();
    const row =
      inserted ??
      (await db.select().from(campaignShares).where(eq(campaignShares.campaignId, campaign)))[0];
    if (!row) throw new Error(`campaign_shares: no row for the campaign after its insert`);
    const pinned = { share: row.controlShare, startedAt: row.startedAt };
    if (this.cache.size >= CACHED_CAMPAIGNS) this.cache.clear();
    this.cache.set(campaign, pinned);
    return pinned;
  }
}
