CREATE TABLE "sluice"."notification_attempts" (
	"delivery_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"status_code" integer,
	"error" text,
	"duration_ms" integer NOT NULL,
	CONSTRAINT "notification_attempts_pk" PRIMARY KEY("delivery_id","attempt")
);
--> statement-breakpoint
CREATE TABLE "sluice"."notification_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"webhook_id" text NOT NULL,
	"event_type" text NOT NULL,
	"event_key" text NOT NULL,
	"environment" text NOT NULL,
	"body" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	CONSTRAINT "notification_deliveries_event_key" UNIQUE("webhook_id","event_key"),
	CONSTRAINT "notification_deliveries_status_check" CHECK ("sluice"."notification_deliveries"."status" in ('pending', 'delivered', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "sluice"."notification_webhooks" (
	"id" text PRIMARY KEY NOT NULL,
	"environment" text NOT NULL,
	"url" text NOT NULL,
	"events" jsonb NOT NULL,
	"format" text NOT NULL,
	"secret" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notification_webhooks_format_check" CHECK ("sluice"."notification_webhooks"."format" in ('json', 'slack'))
);
--> statement-breakpoint
ALTER TABLE "sluice"."notification_attempts" ADD CONSTRAINT "notification_attempts_delivery_fk" FOREIGN KEY ("delivery_id") REFERENCES "sluice"."notification_deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sluice"."notification_deliveries" ADD CONSTRAINT "notification_deliveries_webhook_fk" FOREIGN KEY ("webhook_id") REFERENCES "sluice"."notification_webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "notification_deliveries_webhook_created_idx" ON "sluice"."notification_deliveries" USING btree ("webhook_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "notification_webhooks_created_idx" ON "sluice"."notification_webhooks" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);