ALTER TABLE "sluice"."runs" ADD COLUMN "queued_reason" text;--> statement-breakpoint
ALTER TABLE "sluice"."runs" ADD COLUMN "ready_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "sluice"."runs" ADD COLUMN "first_statement_at" timestamp (3) with time zone;