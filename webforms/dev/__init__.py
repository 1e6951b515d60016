"""Development helpers: the local SMTP sink and its mailbox page. Never mounted in production."""
