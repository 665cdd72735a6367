"""Personal data (GDPR): what the privacy page says and who to ask (notice), a member's own
data as a file (export), erasing a member while their role counts keep counting (erasure), and
removing old polls' answers, comments and mails (retention)."""
