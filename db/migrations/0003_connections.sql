CREATE TABLE "sluice"."connections" (
	"gateway" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"host" text,
	"sealed" jsonb NOT NULL,
	"key_id" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL,
	"updated_by" text NOT NULL,
	"last_tested_at" timestamp (3) with time zone,
	"last_test_ms" integer,
	CONSTRAINT "connections_type_check" CHECK ("sluice"."connections"."type" in ('postgres', 'duckdb')),
	CONSTRAINT "connections_gateway_check" CHECK ("sluice"."connections"."gateway" = lower("sluice"."connections"."gateway")),
	CONSTRAINT "connections_key_id_check" CHECK ("sluice"."connections"."key_id" = "sluice"."connections"."sealed"->>'keyId')
);
--> statement-breakpoint
CREATE INDEX "connections_key_id_idx" ON "sluice"."connections" USING btree ("key_id");