"""RQ jobs and the cron table. Jobs call domain functions; they hold no business rules."""
