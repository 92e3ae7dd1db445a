// What a campaign id may be, for the decision service's requests and the ml CLI's options alike:
// an id the CLI took (`ml simulate --campaign "a b"`) was listed on /campaigns, and its own page
// answered 400 for good. Letters, digits and . _ : - only, so no id spoofs another on a page.

export const CAMPAIGN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const CAMPAIGN_ID_RULE = "must be 1-128 letters, digits, '.', '_', ':' or '-'";

/**
 * A campaign id to read by (reports, pages, links): any id the decision log may hold. Campaigns
 * logged before the rule above (2026-12-05) may have any id; they are still measured and opened
 * (escaped on pages, encoded in links), as a stored policy is read under the rules it was stored by.
 */
export const STORED_CAMPAIGN_ID_MAX = 4096;
export const STORED_CAMPAIGN_ID_RULE = `must be 1-${STORED_CAMPAIGN_ID_MAX} characters`;
export function isStoredCampaignId(value: string): boolean {
  return value.length > 0 && value.length <= STORED_CAMPAIGN_ID_MAX;
}
