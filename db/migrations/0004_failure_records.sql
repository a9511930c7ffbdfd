ALTER TABLE "sluice"."plans" DROP CONSTRAINT "plans_status_check";--> statement-breakpoint
ALTER TABLE "sluice"."runs" DROP CONSTRAINT "runs_status_check";--> statement-breakpoint
ALTER TABLE "sluice"."plans" ADD COLUMN "recompute_on_turn" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "sluice"."plans" ADD COLUMN "cancelled_by" text;--> statement-breakpoint
ALTER TABLE "sluice"."runs" ADD COLUMN "cancelled_by" text;--> statement-breakpoint
ALTER TABLE "sluice"."plans" ADD CONSTRAINT "plans_status_check" CHECK ("sluice"."plans"."status" in ('pending', 'queued', 'applying', 'applied', 'failed', 'cancelled', 'rejected', 'terminated'));--> statement-breakpoint
ALTER TABLE "sluice"."runs" ADD CONSTRAINT "runs_status_check" CHECK ("sluice"."runs"."status" in ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped', 'terminated'));