CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`status` text NOT NULL,
	`grant_version` integer NOT NULL,
	`scopes` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `calendar_syncs` (
	`account_id` text NOT NULL,
	`calendar_id` text NOT NULL,
	`sync_token` text,
	`last_synced_at` text,
	`sync_requested_at` text,
	`sync_enqueued_at` text,
	`lease_until` text,
	`last_error` text,
	`created_at` text NOT NULL,
	PRIMARY KEY(`account_id`, `calendar_id`)
);
--> statement-breakpoint
CREATE INDEX `calendar_syncs_due` ON `calendar_syncs` (`last_synced_at`);--> statement-breakpoint
CREATE TABLE `watch_channels` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`calendar_id` text NOT NULL,
	`resource_id` text,
	`token_hash` text NOT NULL,
	`expires_at` text NOT NULL,
	`last_message_number` integer DEFAULT 0 NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `watch_channels_account` ON `watch_channels` (`account_id`,`calendar_id`);--> statement-breakpoint
CREATE INDEX `watch_channels_expiry` ON `watch_channels` (`expires_at`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`endpoint_id` text NOT NULL,
	`account_id` text NOT NULL,
	`message_id` text NOT NULL,
	`type` text NOT NULL,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_status` integer,
	`last_error` text,
	`next_attempt_at` text NOT NULL,
	`claimed_until` text,
	`created_at` text NOT NULL,
	`delivered_at` text,
	FOREIGN KEY (`endpoint_id`) REFERENCES `webhook_endpoints`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_message` ON `webhook_deliveries` (`endpoint_id`,`message_id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_due` ON `webhook_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_endpoint` ON `webhook_deliveries` (`endpoint_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `webhook_endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`url` text NOT NULL,
	`event_types` text NOT NULL,
	`secret` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhook_endpoints_account` ON `webhook_endpoints` (`account_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `events` ADD `calendar_id` text DEFAULT 'primary' NOT NULL;--> statement-breakpoint
ALTER TABLE `events` ADD `cancelled_by` text;--> statement-breakpoint
ALTER TABLE `events` ADD `start_offset` integer;--> statement-breakpoint
ALTER TABLE `events` ADD `end_offset` integer;--> statement-breakpoint
ALTER TABLE `events` ADD `changed_in_google_at` text;--> statement-breakpoint
ALTER TABLE `participants` ADD `response_status` text DEFAULT 'needs_action' NOT NULL;--> statement-breakpoint
UPDATE `events` SET `cancelled_by` = 'api' WHERE `status` = 'cancelled';
