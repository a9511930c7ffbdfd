CREATE TABLE "sluice"."api_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"role" text NOT NULL,
	"environments" jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp (3) with time zone,
	"last_used_at" timestamp (3) with time zone,
	"revoked_by" text,
	"revoked_at" timestamp (3) with time zone,
	CONSTRAINT "api_tokens_role_check" CHECK ("sluice"."api_tokens"."role" in ('viewer', 'operator', 'deployer', 'admin'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_hash_idx" ON "sluice"."api_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "api_tokens_created_idx" ON "sluice"."api_tokens" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);