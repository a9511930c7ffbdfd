CREATE TABLE "sluice"."stored_payloads" (
	"key" text PRIMARY KEY NOT NULL,
	"data" "bytea" NOT NULL,
	"size" integer NOT NULL,
	"stored_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "stored_payloads_stored_at_idx" ON "sluice"."stored_payloads" USING btree ("stored_at");