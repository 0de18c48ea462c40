"""brandloom: self-hostable AI marketing content platform."""

__version__ = "0.1.0"
