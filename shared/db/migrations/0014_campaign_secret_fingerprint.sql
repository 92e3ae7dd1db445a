-- A keyed fingerprint of the CAMPAIGN_SECRET that decides the campaign (an HMAC of a fixed label, never the secret): a process under another secret is refused the campaign. Null for campaigns pinned before: filled on their next use.
ALTER TABLE "campaign_shares" ADD COLUMN "secret_fingerprint" text;
