"""Metrics, structured logs and request ids for the API and the workers."""
