"""The channels copy is written for: their parts (the ``content`` keys) and their limits.

Lengths are counted in Unicode code points (what ad platforms and social networks count), except
SMS, whose limit is one segment: 160 GSM-7 septets, or 70 UCS-2 units when a character is outside
the GSM alphabet (``documents.formats.sms``). ``check_content`` reports every part that is
missing, empty, of the wrong shape or over its limit, naming the part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Content = dict[str, str | list[str]]
"""A candidate's copy: part name -> text, or a list of texts (``hashtags``, ``headlines``)."""


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a channel's copy."""

    name: str
    limit: int | None = None  # code points (per item for list parts); None: no limit
    is_list: bool = False
    min_items: int = 0  # list parts only
    max_items: int | None = None
    required: bool = True
    description: str = ""


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel: its name as briefs write it, its parts in order, and what it is for."""

    name: str
    parts: tuple[Part, ...]
    description: str
    sms_segments: int | None = None  # SMS only: the segments the text must fit
    part_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "part_names", tuple(p.name for p in self.parts))

    def part(self, name: str) -> Part:
        for part in self.parts:
            if part.name == name:
                return part
        raise KeyError(name)

    @property
    def body_part(self) -> str:
        """The part that carries most of the message (scored for voice and emotion)."""
        for name in ("body", "caption", "text", "descriptions", "subheadline"):
            if name in self.part_names:
                return name
        return self.part_names[0]


CHANNELS: dict[str, Channel] = {
    c.name: c
    for c in (
        Channel(
            "email",
            (
                Part("subject", 60, description="the subject line"),
                Part("preheader", 100, description="the preview text after the subject"),
                Part("body", description="the e-mail's text, paragraphs separated by blank lines"),
            ),
            "a marketing e-mail",
        ),
        Channel(
            "social:instagram",
            (
                Part("caption", 2200, description="the post's caption"),
                Part("hashtags", 100, is_list=True, max_items=30, description="without the #"),
            ),
            "an Instagram post",
        ),
        Channel("social:x", (Part("text", 280, description="the post"),), "a post on X"),
        Channel(
            "social:linkedin", (Part("text", 3000, description="the post"),), "a LinkedIn post"
        ),
        Channel(
            "ad:google_search",
            (
                Part("headlines", 30, is_list=True, min_items=3, max_items=15),
                Part("descriptions", 90, is_list=True, min_items=2, max_items=4),
            ),
            "a Google responsive search ad",
        ),
        Channel("sms", (Part("text", description="the message"),), "a text message", 1),
        Channel(
            "push",
            (Part("title", 50), Part("body", 150)),
            "a mobile push notification",
        ),
        Channel(
            "landing",
            (
                Part("headline"),
                Part("subheadline"),
                Part("body", description="paragraphs separated by blank lines"),
                Part("cta", description="the button's label"),
            ),
            "a landing-page section",
        ),
    )
}
"""Every channel, by the name a brief uses."""


class UnknownChannelError(ValueError):
    pass


def channel(name: str) -> Channel:
    """The channel called ``name``; raises naming the known ones."""
    try:
        return CHANNELS[name]
    except KeyError:
        raise UnknownChannelError(
            f"unknown channel {name!r}; known: {', '.join(CHANNELS)}"
        ) from None


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem with a candidate's content: ``code`` (``channel.*``), the part, a message."""

    code: str
    part: str
    message: str


def check_content(
    channel_: Channel, content: Mapping[str, Any], *, sms_segments: int | None = None
) -> list[Finding]:
    """Every way ``content`` breaks the channel's shape or limits (empty when it fits)."""
    from brandloom.documents.formats.sms import sms_info

    findings: list[Finding] = []
    for extra in sorted(set(content) - set(channel_.part_names)):
        findings.append(
            Finding("channel.unknown_part", extra, f"{channel_.name} has no part {extra!r}")
        )
    for part in channel_.parts:
        value = content.get(part.name)
        if value is None or value == "" or value == []:
            if part.required:
                findings.append(Finding("channel.missing_part", part.name, "missing or empty"))
            continue
        items: Sequence[Any]
        if part.is_list:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                findings.append(Finding("channel.bad_part", part.name, "expected a list of texts"))
                continue
            items = value
            if len(items) < part.min_items:
                findings.append(
                    Finding(
                        "channel.too_few",
                        part.name,
                        f"{len(items)} items; at least {part.min_items}",
                    )
                )
            if part.max_items is not None and len(items) > part.max_items:
                findings.append(
                    Finding(
                        "channel.too_many",
                        part.name,
                        f"{len(items)} items; at most {part.max_items}",
                    )
                )
        else:
            if not isinstance(value, str):
                findings.append(Finding("channel.bad_part", part.name, "expected a text"))
                continue
            items = [value]
        for index, item in enumerate(items):
            where = f"{part.name}[{index}]" if part.is_list else part.name
            if not item.strip():
                findings.append(Finding("channel.missing_part", where, "empty"))
            elif part.limit is not None and len(item) > part.limit:
                findings.append(
                    Finding(
                        "channel.too_long",
                        where,
                        f"{len(item)} characters; at most {part.limit}",
                    )
                )
    # SMS only: a brief's ``sms_segments`` widens the one segment allowed by default
    segments = (sms_segments or channel_.sms_segments) if channel_.sms_segments else None
    text = content.get("text")
    if segments and isinstance(text, str) and text:
        info = sms_info(text)
        if info.segments > segments:
            limit = (160 if info.encoding == "GSM-7" else 70) if segments == 1 else None
            findings.append(
                Finding(
                    "channel.too_long",
                    "text",
                    f"{info.segments} SMS segments ({info.encoding}, {info.units} units); "
                    f"at most {segments}" + (f" ({limit} units)" if limit else ""),
                )
            )
    return findings


def content_schema(channel_: Channel) -> dict[str, Any]:
    """A closed JSON schema for one candidate's ``content`` on this channel (strict structured
    output: every key listed and required, no other keys)."""
    properties: dict[str, Any] = {}
    for part in channel_.parts:
        text: dict[str, Any] = {"type": "string"}
        if part.limit is not None:
            text["description"] = f"at most {part.limit} characters"
        if part.is_list:
            properties[part.name] = {"type": "array", "items": text}
            if part.description:
                properties[part.name]["description"] = part.description
        else:
            if part.description:
                text["description"] = "; ".join(
                    x for x in (part.description, text.get("description")) if x
                )
            properties[part.name] = text
    return {
        "type": "object",
        "properties": properties,
        "required": list(channel_.part_names),
        "additionalProperties": False,
    }
