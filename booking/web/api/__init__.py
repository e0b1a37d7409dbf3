"""The JSON API under /api/v1: the pages' services and messages, for scripts,
mobile clients and load tests. Errors are {"error": {"code", "message"}}."""
