"""Text/Markdown templates derived once from an HTML template."""

from __future__ import annotations

import re

import pytest

from brandloom.templates.derive import html_to_markdown_template, html_to_text_template
from brandloom.templates.engine import TemplateSource, compile_template

EMAIL = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{{ subject }}</title>
  <style>
    body { margin: 0; } {% if dark %}.x { color: #000 }{% endif %}
  </style>
</head>
<body>
  <div class="preheader" style="display:none;max-height:0;overflow:hidden;">{{ preheader }}</div>
  <!--[if mso]><table><tr><td><![endif]-->
  <table role="presentation" width="100%" cellpadding="0" cellspacing="0">
    <tr>
      <td align="center">
        <a href="{{ home_url | utm(source='newsletter', medium='email') }}"><img
           src="https://cdn.example.com/logo.png" alt="Acme Co." width="120"></a>
      </td>
    </tr>
    <tr>
      <td>
        <h1>Hello {{ first_name | default("there") }}!</h1>
        <p>Thanks for joining <strong>Acme</strong> &amp; friends.
           Your code is <em>{{ code }}</em>.</p>
        {% if vip %}
        <p>As a VIP you get <b>20% off</b>*.</p>
        {% endif %}
        <ul>
          {% for p in products %}
          <li><a href="{{ p.url }}">{{ p.name }}</a> &mdash; {{ p.price | currency("EUR") }}</li>
          {% endfor %}
        </ul>
        <table class="data">
          <tr><th>Item</th><th>Qty</th><th>Price</th></tr>
          {% for line in order %}
          <tr><td>{{ line.item }}</td><td>{{ line.qty }}</td><td>{{ line.price }}</td></tr>
          {% endfor %}
        </table>
        <p>Line one<br>Line two</p>
        <p><a href="https://acme.example/help">https://acme.example/help</a> or
           <a href="mailto:help@acme.example">help@acme.example</a></p>
        <p style="text-align:center">
          <a href="{{ cta_url }}" style="background:#f00">Shop now</a></p>
      </td>
    </tr>
    <tr>
      <td style="font-size:12px">
        <img src="https://t.example/open.gif" width="1" height="1" alt="">
        You received this because you signed up.
        <a href="{{ unsubscribe_url }}">Unsubscribe</a> | <a href="#top">Top</a>
      </td>
    </tr>
  </table>
</body>
</html>
"""

HOME = "{{ home_url | utm(source='newsletter', medium='email') }}"
EXPECTED_TEXT = (
    "{% if dark %}{% endif %}Acme Co. ("
    + HOME
    + """)

Hello {{ first_name | default("there") }}!

Thanks for joining Acme & friends. Your code is {{ code }}.

{% if vip %}As a VIP you get 20% off*.

{% endif %}{% for p in products %}- {{ p.name }} ({{ p.url }}) — {{ p.price | currency("EUR") }}
{% endfor %}
Item | Qty | Price
{% for line in order %}{{ line.item }} | {{ line.qty }} | {{ line.price }}
{% endfor %}
Line one
Line two

https://acme.example/help or help@acme.example

Shop now ({{ cta_url }})

You received this because you signed up. Unsubscribe ({{ unsubscribe_url }}) | Top
"""
)

LOGO = "[![Acme Co.](https://cdn.example.com/logo.png)]"
EXPECTED_MARKDOWN = (
    "{% if dark %}{% endif %}"
    + LOGO
    + "("
    + HOME
    + """)

# Hello {{ first_name | default("there") }}!

Thanks for joining **Acme** & friends. Your code is *{{ code }}*.

{% if vip %}As a VIP you get **20% off**\\*.

{% endif %}{% for p in products %}- [{{ p.name }}]({{ p.url }}) — {{ p.price | currency("EUR") }}
{% endfor %}
| Item | Qty | Price |
| --- | --- | --- |
{% for line in order %}| {{ line.item }} | {{ line.qty }} | {{ line.price }} |
{% endfor %}
Line one\x20\x20
Line two

<https://acme.example/help> or <help@acme.example>

[Shop now]({{ cta_url }})

You received this because you signed up. [Unsubscribe]({{ unsubscribe_url }}) | Top
"""
)

CONTEXT = {
    "first_name": "Ada",
    "code": "WELCOME10",
    "vip": True,
    "locale": "de-DE",
    "products": [
        {"name": "Shoe", "url": "https://acme.example/s", "price": 19.99},
        {"name": "Hat", "url": "https://acme.example/h", "price": 5},
    ],
    "order": [
        {"item": "Shoe", "qty": 1, "price": "19.99"},
        {"item": "Hat", "qty": 2, "price": "10"},
    ],
    "home_url": "https://acme.example/?ref=1#top",
    "cta_url": "https://acme.example/shop",
    "unsubscribe_url": "https://acme.example/u/1",
}

RENDERED_TEXT = """Acme Co. (https://acme.example/?ref=1&utm_source=newsletter&utm_medium=email#top)

Hello Ada!

Thanks for joining Acme & friends. Your code is WELCOME10.

As a VIP you get 20% off*.

- Shoe (https://acme.example/s) — 19,99\xa0€
- Hat (https://acme.example/h) — 5,00\xa0€

Item | Qty | Price
Shoe | 1 | 19.99
Hat | 2 | 10

Line one
Line two

https://acme.example/help or help@acme.example

Shop now (https://acme.example/shop)

You received this because you signed up. Unsubscribe (https://acme.example/u/1) | Top
"""

PRIVATE_USE = re.compile("[\U000f0000-\U0010ffff]")


def test_text_template_from_realistic_email() -> None:
    assert html_to_text_template(EMAIL) == EXPECTED_TEXT


def test_markdown_template_from_realistic_email() -> None:
    assert html_to_markdown_template(EMAIL) == EXPECTED_MARKDOWN


def test_derived_parts_render_per_contact() -> None:
    compiled = compile_template(TemplateSource({"html": EMAIL}))
    rendered = compiled.render(CONTEXT)
    assert rendered.parts["text"] == RENDERED_TEXT
    md = rendered.parts["markdown"]
    assert "- [Shoe](https://acme.example/s) — 19,99\xa0€\n- [Hat](" in md
    assert "| Hat | 2 | 10 |" in md
    # subject/preheader only appear in <title> and the hidden preheader of the html part.
    assert rendered.unresolved == ["subject", "preheader"]
    no_vip = compiled.render({**CONTEXT, "vip": False, "products": []}).parts["text"]
    assert "VIP" not in no_vip
    assert "Your code is WELCOME10.\n\n\nItem | Qty | Price\nShoe | 1" in no_vip


def test_liquid_html_derives_liquid_templates() -> None:
    html = (
        "<h2>Hi {{ name | default: 'there' }}</h2>"
        "<ul>{% for p in items %}<li>{{ p | upcase }}</li>{% endfor %}</ul>"
        "<p><a href=\"{{ url | utm: source: 'nl' }}\">Go</a></p>"
    )
    compiled = compile_template(TemplateSource({"html": html}, "liquid"))
    out = compiled.render({"items": ["a", "b"], "url": "https://x.example"}).parts
    assert out["text"] == "Hi there\n\n- A\n- B\n\nGo (https://x.example?utm_source=nl)\n"
    assert out["markdown"] == "## Hi there\n\n- A\n- B\n\n[Go](https://x.example?utm\\_source=nl)\n"


def test_placeholders_are_restored_and_statements_kept_in_order() -> None:
    html = (
        '<table><tr {% if odd %}class="odd"{% endif %}>'
        "{% if show_a %}<td>A {{ a }}</td>{% endif %}<td>B</td></tr></table>"
        '<div style="{% if x %}color:red{% endif %}">{%- if y -%}Y{%- endif -%}</div>'
        "<!-- {% if c %} --><p>C</p><!-- {% endif %} -->{# a comment #}"
    )
    text = html_to_text_template(html)
    assert not PRIVATE_USE.search(text)
    statements = re.findall(r"\{%.*?%\}", text)
    assert statements == [
        "{% if odd %}",
        "{% endif %}",
        "{% if show_a %}",
        "{% endif %}",
        "{% if x %}",
        "{% endif %}",
        "{% if y %}",
        "{% endif %}",
        "{% if c %}",
        "{% endif %}",
    ]
    assert "a comment" not in text
    compiled = compile_template(TemplateSource({"text": text}))
    out = compiled.render({"show_a": True, "a": 1, "y": True, "c": True}).parts["text"]
    assert out == "A 1 | B\n\nY\n\nC\n"
    out = compiled.render({}).parts["text"]
    assert out.strip() == "| B"


def test_tags_in_attributes_survive() -> None:
    html = (
        '<a href="{{ url | utm(source=\'x\', campaign="y") }}">{{ label }}</a> '
        '<img src="{{ img }}" alt="{{ alt_text }}"> '
        '<a href="{{ page }}">{{ page }}</a>'
    )
    text = html_to_text_template(html)
    assert text == (
        "{{ label }} ({{ url | utm(source='x', campaign=\"y\") }}) {{ alt_text }} {{ page }}\n"
    )
    md = html_to_markdown_template(html)
    assert md == (
        "[{{ label }}]({{ url | utm(source='x', campaign=\"y\") }}) "
        "![{{ alt_text }}]({{ img }}) <{{ page }}>\n"
    )


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>a   b\n\n c</p><p>d</p>", "a b c\n\nd\n"),
        ("<ol><li>one</li><li>two<ul><li>nested</li></ul></li></ol>", "- one\n- two\n  - nested\n"),
        ('<img src="x.png" alt="A logo"><img src="y.png" alt="">', "A logo\n"),
        (
            "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>",
            "a | b\nc | d\n",
        ),
        ("<div>one</div><div>two</div>", "one\ntwo\n"),
        ('<a href="https://x.example">https://x.example</a>', "https://x.example\n"),
        ('<a href="mailto:a@b.example">a@b.example</a>', "a@b.example\n"),
        ("<script>var a = '{{ x }}';</script><style>p{}</style>visible", "visible\n"),
        ('<span style="display: none">hidden {{ x }}</span>shown', "shown\n"),
        ("<p>Tom &amp; Jerry &lt;3 &euro;5</p>", "Tom & Jerry <3 €5\n"),
        ("<hr><p>x</p>", "---\n\nx\n"),
    ],
)
def test_text_conversion_rules(html: str, text: str) -> None:
    assert html_to_text_template(html) == text


@pytest.mark.parametrize(
    ("html", "md"),
    [
        ("<h3>Title *</h3><p>a_b <i>it</i> <b> </b></p>", "### Title \\*\n\na\\_b *it*\n"),
        ("<p># not a heading</p><p>1. not a list</p>", "\\# not a heading\n\n1\\. not a list\n"),
        ("<blockquote><p>quoted</p></blockquote>", "> quoted\n"),
        ("<p>a<br>b</p>", "a  \nb\n"),
        (
            "<table><tr><th>A</th><th>B|C</th></tr><tr><td>1</td><td>2</td></tr></table>",
            "| A | B\\|C |\n| --- | --- |\n| 1 | 2 |\n",
        ),
    ],
)
def test_markdown_conversion_rules(html: str, md: str) -> None:
    assert html_to_markdown_template(html) == md


def test_whitespace_control_is_dropped_in_derived_templates() -> None:
    html = "<ul>{%- for i in xs -%}<li>{{- i -}}</li>{%- endfor -%}</ul>"
    text = html_to_text_template(html)
    assert text == "{% for i in xs %}- {{ i }}\n{% endfor %}\n"
    compiled = compile_template(TemplateSource({"text": text}))
    assert compiled.render({"xs": [1, 2]}).parts["text"] == "- 1\n- 2\n\n"
