CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`organizer_email` text NOT NULL,
	`google_event_id` text NOT NULL,
	`ical_uid` text,
	`status` text NOT NULL,
	`summary` text NOT NULL,
	`description` text,
	`location` text,
	`start_time` text NOT NULL,
	`end_time` text NOT NULL,
	`time_zone` text NOT NULL,
	`conference` text,
	`html_link` text,
	`meet_url` text,
	`etag` text,
	`sequence` integer DEFAULT 0 NOT NULL,
	`idempotency_key` text,
	`request_hash` text,
	`pending_op` text,
	`pending_payload` text,
	`pending_since` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_account_google_id` ON `events` (`account_id`,`google_event_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `events_account_idempotency_key` ON `events` (`account_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `events_account_start` ON `events` (`account_id`,`start_time`,`id`);--> statement-breakpoint
CREATE INDEX `events_pending` ON `events` (`pending_since`) WHERE "events"."pending_op" IS NOT NULL;--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`recipient` text NOT NULL,
	`kind` text NOT NULL,
	`sequence` integer NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`next_attempt_at` text NOT NULL,
	`claimed_until` text,
	`created_at` text NOT NULL,
	`sent_at` text,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_change_recipient` ON `outbox` (`event_id`,`sequence`,`recipient`,`kind`);--> statement-breakpoint
CREATE INDEX `outbox_due` ON `outbox` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `outbox_event` ON `outbox` (`event_id`);--> statement-breakpoint
CREATE TABLE `participants` (
	`event_id` text NOT NULL,
	`email` text NOT NULL,
	`position` integer NOT NULL,
	PRIMARY KEY(`event_id`, `email`),
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade
);
