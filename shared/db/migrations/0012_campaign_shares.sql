-- Each campaign's control share, pinned at its first decision (a later share would move customers between its groups).
CREATE TABLE "campaign_shares" (
	"campaign_id" text PRIMARY KEY NOT NULL,
	"control_share" double precision NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL
);
