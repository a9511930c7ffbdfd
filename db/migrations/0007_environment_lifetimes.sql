CREATE TABLE "sluice"."janitor_drops" (
	"snapshot_id" text PRIMARY KEY NOT NULL,
	"gateway" text NOT NULL,
	"physical_table" text,
	"status" text NOT NULL,
	"decided_by" text NOT NULL,
	"decided_at" timestamp (3) with time zone NOT NULL,
	"executor" text,
	"dropped_at" timestamp (3) with time zone,
	CONSTRAINT "janitor_drops_status_check" CHECK ("sluice"."janitor_drops"."status" in ('dropping', 'dropped'))
);
--> statement-breakpoint
ALTER TABLE "sluice"."plans" ADD COLUMN "environment_ttl_ms" bigint;--> statement-breakpoint
CREATE INDEX "janitor_drops_decided_idx" ON "sluice"."janitor_drops" USING btree ("decided_at" DESC NULLS LAST,"snapshot_id");