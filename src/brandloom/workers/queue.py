"""Queue depth on the broker (Redis list length or AMQP message count), for metrics."""

from __future__ import annotations

import logging

from kombu.connection import Connection

log = logging.getLogger(__name__)

# kombu's Redis transport keeps prioritised messages in sibling lists named with this separator.
_PRIORITY_SEP = "\x06\x16"


def queue_depth(broker_url: str, queue: str, *, timeout: float = 1.0) -> int | None:
    """Messages waiting in ``queue``; None when the broker cannot be reached."""
    try:
        if broker_url.startswith(("redis://", "rediss://")):
            import redis

            client = redis.Redis.from_url(
                broker_url, socket_timeout=timeout, socket_connect_timeout=timeout
            )
            try:
                names = [queue, *(f"{queue}{_PRIORITY_SEP}{p}" for p in range(1, 10))]
                pipe = client.pipeline()
                for name in names:
                    pipe.llen(name)
                return int(sum(pipe.execute()))
            finally:
                client.close()
        with Connection(broker_url, connect_timeout=timeout) as conn:  # type: ignore[no-untyped-call]
            conn.ensure_connection(max_retries=1)
            declared = conn.default_channel.queue_declare(queue=queue, passive=True)
            return int(declared.message_count)
    except Exception as exc:  # any broker failure means "unknown", never a broken scrape
        log.warning("queue depth unavailable: %s", type(exc).__name__)
        return None
