CREATE SCHEMA "sluice";
--> statement-breakpoint
CREATE TABLE "sluice"."audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sluice"."audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target" text,
	"environment" text,
	"reason" text,
	"details" jsonb
);
--> statement-breakpoint
CREATE TABLE "sluice"."environment_snapshots" (
	"environment" text NOT NULL,
	"model_name" text NOT NULL,
	"snapshot_id" text NOT NULL,
	CONSTRAINT "environment_snapshots_pk" PRIMARY KEY("environment","model_name")
);
--> statement-breakpoint
CREATE TABLE "sluice"."environments" (
	"name" text PRIMARY KEY NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"plan_id" text,
	"finalized_at" timestamp (3) with time zone,
	"expires_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "sluice"."intervals" (
	"snapshot_id" text NOT NULL,
	"start_ms" bigint NOT NULL,
	"end_ms" bigint NOT NULL,
	"recorded_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"run_id" text,
	"execution_id" text,
	CONSTRAINT "intervals_pk" PRIMARY KEY("snapshot_id","start_ms","end_ms"),
	CONSTRAINT "intervals_range_check" CHECK ("sluice"."intervals"."end_ms" > "sluice"."intervals"."start_ms")
);
--> statement-breakpoint
CREATE TABLE "sluice"."model_executions" (
	"id" text PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"environment" text NOT NULL,
	"model" text NOT NULL,
	"snapshot_id" text NOT NULL,
	"interval_start_ms" bigint,
	"interval_end_ms" bigint,
	"status" text NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"executor" text,
	"queued_at" timestamp (3) with time zone NOT NULL,
	"started_at" timestamp (3) with time zone,
	"finished_at" timestamp (3) with time zone,
	"wait_ms" bigint,
	"duration_ms" bigint,
	"rows_affected" bigint,
	"error" text,
	"skip_reason" text,
	"log" jsonb,
	CONSTRAINT "model_executions_status_check" CHECK ("sluice"."model_executions"."status" in ('queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled')),
	CONSTRAINT "model_executions_interval_check" CHECK (("sluice"."model_executions"."interval_start_ms" is null and "sluice"."model_executions"."interval_end_ms" is null) or "sluice"."model_executions"."interval_end_ms" > "sluice"."model_executions"."interval_start_ms")
);
--> statement-breakpoint
CREATE TABLE "sluice"."pauses" (
	"id" text PRIMARY KEY NOT NULL,
	"environment" text NOT NULL,
	"model" text,
	"reason" text,
	"paused_by" text NOT NULL,
	"paused_at" timestamp (3) with time zone NOT NULL,
	"resumed_by" text,
	"resumed_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "sluice"."plans" (
	"id" text PRIMARY KEY NOT NULL,
	"environment" text NOT NULL,
	"status" text NOT NULL,
	"diff" jsonb NOT NULL,
	"submitted_by" text NOT NULL,
	"submitted_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp (3) with time zone,
	"finished_at" timestamp (3) with time zone,
	"error" text,
	"progress" jsonb,
	CONSTRAINT "plans_status_check" CHECK ("sluice"."plans"."status" in ('pending', 'queued', 'applying', 'applied', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "sluice"."runs" (
	"id" text PRIMARY KEY NOT NULL,
	"environment" text NOT NULL,
	"trigger" text NOT NULL,
	"status" text NOT NULL,
	"scheduled_at" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp (3) with time zone,
	"finished_at" timestamp (3) with time zone,
	"models" jsonb NOT NULL,
	"plan_id" text,
	"triggered_by" text,
	"error" text,
	"skip_reason" text,
	CONSTRAINT "runs_trigger_check" CHECK ("sluice"."runs"."trigger" in ('schedule', 'manual', 'restatement', 'plan')),
	CONSTRAINT "runs_status_check" CHECK ("sluice"."runs"."status" in ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped'))
);
--> statement-breakpoint
CREATE TABLE "sluice"."snapshots" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"fingerprint" text NOT NULL,
	"metadata_hash" text NOT NULL,
	"kind" text NOT NULL,
	"definition" jsonb NOT NULL,
	"query" text NOT NULL,
	"parents" jsonb NOT NULL,
	"physical_schema" text NOT NULL,
	"physical_table" text NOT NULL,
	"gateway" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "snapshots_name_fingerprint_key" UNIQUE("name","fingerprint")
);
--> statement-breakpoint
ALTER TABLE "sluice"."environment_snapshots" ADD CONSTRAINT "environment_snapshots_environment_fk" FOREIGN KEY ("environment") REFERENCES "sluice"."environments"("name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sluice"."environment_snapshots" ADD CONSTRAINT "environment_snapshots_snapshot_fk" FOREIGN KEY ("snapshot_id") REFERENCES "sluice"."snapshots"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sluice"."environments" ADD CONSTRAINT "environments_plan_fk" FOREIGN KEY ("plan_id") REFERENCES "sluice"."plans"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sluice"."intervals" ADD CONSTRAINT "intervals_snapshot_fk" FOREIGN KEY ("snapshot_id") REFERENCES "sluice"."snapshots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sluice"."model_executions" ADD CONSTRAINT "model_executions_run_fk" FOREIGN KEY ("run_id") REFERENCES "sluice"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "sluice"."audit_log" USING btree ("at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_log_environment_at_idx" ON "sluice"."audit_log" USING btree ("environment","at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "environment_snapshots_snapshot_idx" ON "sluice"."environment_snapshots" USING btree ("snapshot_id");--> statement-breakpoint
CREATE INDEX "environments_expires_idx" ON "sluice"."environments" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "model_executions_model_started_idx" ON "sluice"."model_executions" USING btree ("model","environment","started_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "model_executions_run_idx" ON "sluice"."model_executions" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "model_executions_status_finished_idx" ON "sluice"."model_executions" USING btree ("status","finished_at");--> statement-breakpoint
CREATE INDEX "model_executions_environment_finished_idx" ON "sluice"."model_executions" USING btree ("environment","finished_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "model_executions_environment_queued_idx" ON "sluice"."model_executions" USING btree ("environment","queued_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "model_executions_queued_idx" ON "sluice"."model_executions" USING btree ("queued_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "pauses_active_idx" ON "sluice"."pauses" USING btree ("environment",coalesce("model", '')) WHERE "sluice"."pauses"."resumed_at" is null;--> statement-breakpoint
CREATE INDEX "pauses_environment_paused_idx" ON "sluice"."pauses" USING btree ("environment","paused_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "plans_environment_submitted_idx" ON "sluice"."plans" USING btree ("environment","submitted_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "plans_submitted_idx" ON "sluice"."plans" USING btree ("submitted_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "plans_status_idx" ON "sluice"."plans" USING btree ("status");--> statement-breakpoint
CREATE INDEX "runs_environment_scheduled_idx" ON "sluice"."runs" USING btree ("environment","scheduled_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_scheduled_idx" ON "sluice"."runs" USING btree ("scheduled_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_status_idx" ON "sluice"."runs" USING btree ("status");--> statement-breakpoint
CREATE INDEX "runs_trigger_idx" ON "sluice"."runs" USING btree ("trigger");--> statement-breakpoint
CREATE INDEX "snapshots_created_idx" ON "sluice"."snapshots" USING btree ("created_at");