"""brandloom's offline writer: copy from copywriting frameworks and phrase banks, no model.

``OfflineWriter().write(brief, channel, WritingContext(locale=...), n, seed=...)`` returns ``n``
:class:`OfflineDraft`\\ s. The writer cannot translate (``can_translate = False``); the product
shows :data:`NOT_AN_LLM_NOTE` with every candidate it writes.
"""

from brandloom.generation.offline.writer import (
    NOT_AN_LLM_NOTE,
    OfflineDraft,
    OfflineWriter,
    WritingContext,
)

__all__ = ["NOT_AN_LLM_NOTE", "OfflineDraft", "OfflineWriter", "WritingContext"]
