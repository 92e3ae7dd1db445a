// The `campaign_shares` table (its one owner): each campaign's control share, pinned at its first
// decision. A customer is held out when its keyed draw is below the share (control-assignment.ts),
// so a batch at another share moved customers between groups: at 0.5 then 0.1, 931 of the 1,196
// held out were treated, and the report measured the uplift 23% low.

import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { campaignShares } from "../db/schema.ts";
import type { ControlAssignment } from "../policy/control-assignment.ts";
import { DecisionLogRepository } from "../registry/decision-log.ts";

export interface PinnedShare {
  share: number;
  startedAt: Date;
}

/** Logged decisions checked against this process's assignment when a campaign is first read. */
const SAMPLED = 500;

/** The campaign is decided under another CAMPAIGN_SECRET than this process's. */
export class CampaignSecretMismatchError extends Error {
  override readonly name: string = "CampaignSecretMismatchError";
  constructor(readonly campaign: string) {
    super(
      `campaign "${campaign}" was decided under another secret than this process's ` +
        `CAMPAIGN_SECRET (its stored secret fingerprint differs): deciding on would put customers in the other group; ` +
        `set the same CAMPAIGN_SECRET everywhere (every replica, ml simulate), or start a new campaign`,
    );
  }
}

/** The campaign's logged groups are not this process's: decided under another CAMPAIGN_SECRET. */
export class CampaignGroupsMismatchError extends CampaignSecretMismatchError {
  override readonly name = "CampaignGroupsMismatchError";
  constructor(
    campaign: string,
    readonly moved: number,
    readonly sampled: number,
  ) {
    super(campaign);
    this.message =
      `campaign "${campaign}": ${moved} of its ${sampled} latest logged decisions are in another ` +
      `group than this CAMPAIGN_SECRET puts them: it was decided under another secret (another ` +
      `replica, or ml simulate run without the services' CAMPAIGN_SECRET); set the same ` +
      `CAMPAIGN_SECRET everywhere, or start a new campaign`;
  }
}

/** Campaigns whose share is kept in memory (a pinned share never changes). */
const CACHED_CAMPAIGNS = 10_000;
/** The largest control share a campaign may hold out (the request schema's bound). */
const MOST_HELD_OUT = 0.5;

export class CampaignShares {
  private readonly cache = new Map<string, PinnedShare>();

  constructor(
    private readonly database: () => Promise<Database>,
    private readonly assignment: ControlAssignment,
  ) {}

  /**
   * The campaign's pinned share: `share` when this is its first decision, else the one pinned.
   * `startedAt`: when its first decisions were made, if not now (a simulated campaign's).
   */
  async pin(campaign: string, share: number, startedAt?: Date): Promise<PinnedShare> {
    const cached = this.cache.get(campaign);
    if (cached) return cached;
    const db = await this.database();
    const fingerprint = await this.assignment.fingerprint();
    const existing = await this.read(db, campaign);
    if (existing) await this.checkSecret(db, existing, fingerprint);
    const row = existing ?? (await this.insert(db, campaign, share, fingerprint, startedAt));
    const pinned = { share: row.controlShare, startedAt: row.startedAt };
    if (this.cache.size >= CACHED_CAMPAIGNS) this.cache.clear();
    this.cache.set(campaign, pinned);
    return pinned;
  }

  /** The campaign's pinned share, or null when it has none yet (nothing is pinned here). */
  async pinned(campaign: string): Promise<PinnedShare | null> {
    const cached = this.cache.get(campaign);
    if (cached) return cached;
    const row = await this.read(await this.database(), campaign);
    return row ? { share: row.controlShare, startedAt: row.startedAt } : null;
  }

  /**
   * Refuses a campaign pinned under another secret's fingerprint. The sampled groups check let a
   * wrong secret through on a young campaign (4 decisions: 15 times in 16), and 96 of 200
   * customers ended in both groups. A row pinned before fingerprints were stored is checked by
   * its logged groups, then gets this process's fingerprint (the first to fill it wins).
   */
  private async checkSecret(
    db: Database,
    row: typeof campaignShares.$inferSelect,
    fingerprint: string,
  ): Promise<void> {
    if (row.secretFingerprint === null) {
      await this.checkLoggedGroups(db, row.campaignId, row.controlShare);
      await db
        .update(campaignShares)
        .set({ secretFingerprint: fingerprint })
        .where(
          and(
            eq(campaignShares.campaignId, row.campaignId),
            isNull(campaignShares.secretFingerprint),
          ),
        );
      const filled = await this.read(db, row.campaignId);
      if (filled?.secretFingerprint && filled.secretFingerprint !== fingerprint) {
        throw new CampaignSecretMismatchError(row.campaignId);
      }
      return;
    }
    if (row.secretFingerprint !== fingerprint)
      throw new CampaignSecretMismatchError(row.campaignId);
  }

  /**
   * Refuses a campaign whose logged groups this process's assignment does not reproduce: its
   * decisions were made under another CAMPAIGN_SECRET (a replica configured apart, or `ml
   * simulate` run without the services' secret). Deciding on would put customers logged as
   * control in treatment (67 of 200 in a probe) and the report would compare mixed groups. A
   * wrong secret moves 2·s·(1−s) of them at share s; past half that (and 3 customers) is refused.
   */
  private async checkLoggedGroups(db: Database, campaign: string, share: number) {
    const sample = await new DecisionLogRepository(db).campaignGroupSample(campaign, SAMPLED);
    if (sample.length === 0) return;
    const groups = await this.assignment.groups(
      campaign,
      sample.map((r) => r.id),
      share,
    );
    const moved = sample.filter((r, i) => (r.group === "control") !== (groups[i] === "control"));
    if (moved.length >= 3 && moved.length > share * (1 - share) * sample.length) {
      throw new CampaignGroupsMismatchError(campaign, moved.length, sample.length);
    }
  }

  private async read(db: Database, campaign: string) {
    const [row] = await db
      .select()
      .from(campaignShares)
      .where(eq(campaignShares.campaignId, campaign));
    return row;
  }

  /**
   * The first pin: `share`, unless the campaign has decisions logged from before shares were
   * pinned (a store upgraded from a release without campaign_shares). Then it keeps the groups
   * they were logged in, and its start is its first logged decision; else the first request after
   * the upgrade re-pinned it at its own share, and customers held out before were treated.
   */
  private async insert(
    db: Database,
    campaign: string,
    share: number,
    fingerprint: string,
    startedAt?: Date,
  ) {
    const logged = await new DecisionLogRepository(db).campaignGroups(campaign);
    const draws = (ids: string[]) =>
      Promise.all(ids.map((id) => this.assignment.draw(campaign, id)));
    const kept =
      logged.since === null
        ? share
        : shareKeepingGroups(share, await draws(logged.control), await draws(logged.treated));
    // Checked before it is pinned: a process under another secret pinned a share no logged group
    // fits (0.00002), and every process was then refused the campaign.
    if (logged.since !== null) await this.checkLoggedGroups(db, campaign, kept);
    const [inserted] = await db
      .insert(campaignShares)
      .values({
        campaignId: campaign,
        controlShare: kept,
        secretFingerprint: fingerprint,
        ...(logged.since ? { startedAt: logged.since } : startedAt ? { startedAt } : {}),
      })
      .onConflictDoNothing()
      .returning();
    if (inserted) return inserted;
    const row = await this.read(db, campaign); // another process pinned it first
    if (!row) throw new Error(`campaign_shares: no row for the campaign after its insert`);
    await this.checkSecret(db, row, fingerprint);
    return row;
  }
}

/** The campaign's pinned share as stored (for readers with no secret: `ml campaign report`). */
export async function storedCampaignShare(
  db: Database,
  campaign: string,
): Promise<PinnedShare | null> {
  const [row] = await db
    .select()
    .from(campaignShares)
    .where(eq(campaignShares.campaignId, campaign));
  return row ? { share: row.controlShare, startedAt: row.startedAt } : null;
}

/**
 * A share under which the most customers keep their logged group ("control" when the draw is below
 * it): `asked` when it is one, else the shortest decimal among them nearest to `asked` (0.3, not
 * 0.30041…). Customers logged in both groups before shares were pinned count by their first group.
 */
export function shareKeepingGroups(asked: number, control: number[], treated: number[]): number {
  // Moving the share up past a control draw puts it right, past a treated one wrong.
  const events = [
    ...control.map((u) => ({ u, change: -1 })),
    ...treated.map((u) => ({ u, change: +1 })),
  ].sort((a, b) => a.u - b.u);
  // Shares in (lo, hi] disagree with `wrong` of the logged groups.
  const spans: Array<{ lo: number; hi: number; wrong: number }> = [];
  let wrong = control.length;
  let lo = 0;
  for (const e of events) {
    if (e.u > lo) spans.push({ lo, hi: Math.min(e.u, MOST_HELD_OUT), wrong });
    if (e.u >= MOST_HELD_OUT) break;
    wrong += e.change;
    lo = e.u;
  }
  if (lo < MOST_HELD_OUT) spans.push({ lo, hi: MOST_HELD_OUT, wrong });
  // A loop, not Math.min(...spans): a spread of ~1M arguments overflows the stack.
  const fewest = spans.reduce((min, s) => Math.min(min, s.wrong), Number.POSITIVE_INFINITY);
  const best = spans.filter((s) => s.wrong === fewest && s.hi > s.lo);
  if (best.some((s) => asked > s.lo && asked <= s.hi)) return asked;
  const distance = (s: { lo: number; hi: number }) => (asked <= s.lo ? s.lo - asked : asked - s.hi);
  const nearest = best.reduce((a, b) => (distance(b) < distance(a) ? b : a));
  return shortestDecimalIn(nearest.lo, nearest.hi);
}

/** The decimal with the fewest digits in (lo, hi]. */
function shortestDecimalIn(lo: number, hi: number): number {
  for (let digits = 1; digits <= 15; digits++) {
    const scale = 10 ** digits;
    const candidate = (Math.floor(lo * scale) + 1) / scale;
    if (candidate > lo && candidate <= hi) return candidate;
  }
  return hi;
}
