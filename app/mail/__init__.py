"""Email: every message is recorded first, sent after the request commits, retried on failure."""
