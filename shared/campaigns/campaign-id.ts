// What a campaign id may be, for the decision service's requests and the ml CLI's options alike:
// an id the CLI took (`ml simulate --campaign "a b"`) was listed on /campaigns, and its own page
// answered 400 for good. Letters, digits and . _ : - only, so no id spoofs another on a page.

export const CAMPAIGN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const CAMPAIGN_ID_RULE = "must be 1-128 letters, digits, '.', '_', ':' or '-'";
