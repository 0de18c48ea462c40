"""Distributed job execution: Celery tasks, worker heartbeats and chunk leases."""
