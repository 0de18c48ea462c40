"""Deterministic synthetic data for the demo: contacts in ten locales, one message catalog per
language, the brand's kit and guidelines (``brand.py`` stores them), and the job spec.

The e-mail (``email.html``) is a fragment: the brand's layout wraps it (logo, colors, address and
legal lines). The letter (the ``markdown`` part) makes the PDF and Word documents: on the
brand's letterhead, dated, with a greeting, the body, a sign-off and the footer."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

BRAND = "Lumen & Loom Coffee"
#: The brand's files, shipped next to this module and copied into the demo's inputs.
BRAND_FILES = ("kit.yaml", "guidelines.yaml", "logo.png")

# The letter every contact gets as PDF and Word document (and Markdown), in their language.
LETTER = """{{ "2026-11-02" | date("long") }}

{{ t.greeting }} {{ first_name | default(t.friend) }},

{{ t.intro }} {{ t.letter_thanks }}

## {{ points | number }} {{ t.points }}

{{ t.last_order }} {{ last_order | date("long") }} · {{ t.saved }} {{ saved | currency(currency) }}

[{{ t.cta }}]({{ 'https://shop.lumenloom.example/autumn' | utm(source='letter', \
medium='print', campaign='autumn-blend') }})

{{ t.sign_off }}\\
**{{ t.signature }}**
"""

# locale -> (first names, last names, currency)
PEOPLE: dict[str, tuple[list[str], list[str], str]] = {
    "en-US": (["Emma", "Liam", "Olivia", "Noah", "Ava"], ["Smith", "Johnson", "Brown"], "USD"),
    "de-DE": (
        ["Jürgen", "Lena", "Matthias", "Sophie", "Björn"],
        ["Müller", "Schäfer", "Weiß"],
        "EUR",
    ),
    "es-ES": (["José", "Lucía", "Martín", "Sofía", "Álvaro"], ["García", "Núñez", "López"], "EUR"),
    "fr-FR": (["Chloé", "Hugo", "Léa", "Théo", "Zoé"], ["Dubois", "Lefèvre", "Girard"], "EUR"),
    "pt-BR": (
        ["João", "Ana", "Luíza", "Thiago", "Conceição"],
        ["Silva", "Gonçalves", "Araújo"],
        "BRL",
    ),
    "zh-CN": (["伟", "芳", "娜", "秀英", "敏"], ["王", "李", "张"], "CNY"),
    "ja-JP": (["花子", "太郎", "さくら", "翔太", "美咲"], ["佐藤", "鈴木", "高橋"], "JPY"),
    "ar-SA": (
        ["محمد", "فاطمة", "عبد الله", "نورة", "خالد"],
        ["العتيبي", "القحطاني", "الحربي"],
        "SAR",
    ),
    "hi-IN": (["आरव", "प्रिया", "विवान", "अनन्या", "रोहन"], ["शर्मा", "वर्मा", "गुप्ता"], "INR"),
    "it-IT": (
        ["Niccolò", "Giulia", "Lorenzo", "Chiara", "Matteo"],
        ["Rossi", "Bianchi", "Ricci"],
        "EUR",
    ),
}

# language -> the campaign copy: written as messages/<language>.yaml, read in parts as t.<key>
MESSAGES: dict[str, dict[str, Any]] = {
    "en": {
        "greeting": "Hi",
        "friend": "friend",
        "intro": "Our autumn blend is back — and your points are waiting.",
        "points": {"count": "points", "one": "point", "other": "points"},
        "last_order": "Your last order:",
        "saved": "You saved",
        "image_alt": "A cup of autumn blend coffee",
        "cta": "Redeem your points",
        "unsubscribe": "Unsubscribe",
        "letter_thanks": (
            "Thank you for sharing another year of good coffee with us. Your points are "
            "ready to redeem online and in every Lumen & Loom café."
        ),
        "sign_off": "Warm regards,",
        "signature": "Mara Lind, Head Roaster",
    },
    "de": {
        "greeting": "Hallo",
        "friend": "Kaffeefreund",
        "intro": "Unsere Herbstmischung ist zurück – und Ihre Punkte warten.",
        "points": {"count": "points", "one": "Punkt", "other": "Punkte"},
        "last_order": "Ihre letzte Bestellung:",
        "saved": "Gespart",
        "image_alt": "Eine Tasse Herbstmischung",
        "cta": "Punkte einlösen",
        "unsubscribe": "Abmelden",
        "letter_thanks": (
            "Danke, dass Sie ein weiteres Jahr guten Kaffee mit uns geteilt haben. Ihre "
            "Punkte lösen Sie online und in jedem Café von Lumen & Loom ein."
        ),
        "sign_off": "Herzliche Grüße",
        "signature": "Mara Lind, Röstmeisterin",
    },
    "es": {
        "greeting": "Hola",
        "friend": "amigo",
        "intro": "Nuestra mezcla de otoño ha vuelto y tus puntos te esperan.",
        "points": {"count": "points", "one": "punto", "other": "puntos"},
        "last_order": "Tu último pedido:",
        "saved": "Ahorraste",
        "image_alt": "Una taza de mezcla de otoño",
        "cta": "Canjea tus puntos",
        "unsubscribe": "Darse de baja",
        "letter_thanks": (
            "Gracias por compartir otro año de buen café con nosotros. Puedes canjear tus "
            "puntos en línea y en cualquier cafetería Lumen & Loom."
        ),
        "sign_off": "Un cordial saludo,",
        "signature": "Mara Lind, maestra tostadora",
    },
    "fr": {
        "greeting": "Bonjour",
        "friend": "ami",
        "intro": "Notre mélange d'automne est de retour, vos points vous attendent.",
        "points": {"count": "points", "one": "point", "other": "points"},
        "last_order": "Votre dernière commande :",
        "saved": "Économisé",
        "image_alt": "Une tasse de mélange d'automne",
        "cta": "Utiliser mes points",
        "unsubscribe": "Se désabonner",
        "letter_thanks": (
            "Merci d'avoir partagé une nouvelle année de bon café avec nous. Vos points "
            "sont à utiliser en ligne et dans tous les cafés Lumen & Loom."
        ),
        "sign_off": "Bien chaleureusement,",
        "signature": "Mara Lind, maître torréfactrice",
    },
    "pt": {
        "greeting": "Olá",
        "friend": "amigo",
        "intro": "Nosso blend de outono voltou — e seus pontos estão esperando.",
        "points": {"count": "points", "one": "ponto", "other": "pontos"},
        "last_order": "Seu último pedido:",
        "saved": "Você economizou",
        "image_alt": "Uma xícara do blend de outono",
        "cta": "Resgatar pontos",
        "unsubscribe": "Cancelar inscrição",
        "letter_thanks": (
            "Obrigado por compartilhar mais um ano de bom café conosco. Seus pontos podem "
            "ser resgatados on-line e em qualquer cafeteria Lumen & Loom."
        ),
        "sign_off": "Um abraço,",
        "signature": "Mara Lind, mestre de torra",
    },
    "zh": {
        "greeting": "您好",
        "friend": "朋友",
        "intro": "我们的秋季拼配咖啡回来了，您的积分正在等您。",
        "points": {"count": "points", "other": "积分"},
        "last_order": "您的上一笔订单：",
        "saved": "已节省",
        "image_alt": "一杯秋季拼配咖啡",
        "cta": "兑换积分",
        "unsubscribe": "退订",
        "letter_thanks": (
            "感谢您又一年与我们分享好咖啡。您的积分可以在网上商店和每一家 Lumen & Loom 咖啡馆兑换。"
        ),
        "sign_off": "此致敬礼，",
        "signature": "首席烘焙师 Mara Lind",
    },
    "ja": {
        "greeting": "こんにちは",
        "friend": "お客様",
        "intro": "秋のブレンドが帰ってきました。ポイントもお待ちしています。",
        "points": {"count": "points", "other": "ポイント"},
        "last_order": "前回のご注文：",
        "saved": "節約額",
        "image_alt": "秋のブレンドコーヒー",
        "cta": "ポイントを使う",
        "unsubscribe": "配信停止",
        "letter_thanks": (
            "今年もおいしいコーヒーをご一緒いただき、ありがとうございます。"
            "ポイントはオンラインストアとすべての Lumen & Loom カフェでご利用いただけます。"
        ),
        "sign_off": "心を込めて",
        "signature": "焙煎責任者 Mara Lind",
    },
    "ar": {
        "greeting": "مرحبًا",
        "friend": "صديقنا",
        "intro": "عادت خلطة الخريف — ونقاطك بانتظارك.",
        "points": {"count": "points", "other": "نقطة"},
        "last_order": "طلبك الأخير:",
        "saved": "وفّرت",
        "image_alt": "فنجان من قهوة خلطة الخريف",
        "cta": "استبدل نقاطك",
        "unsubscribe": "إلغاء الاشتراك",
        "letter_thanks": (
            "شكرًا لأنك شاركتنا عامًا آخر من القهوة الطيبة. يمكنك استبدال نقاطك عبر "
            "الإنترنت وفي جميع مقاهي لومن آند لوم."
        ),
        "sign_off": "مع أطيب التحيات،",
        "signature": "مارا ليند، رئيسة المحمصة",
    },
    "hi": {
        "greeting": "नमस्ते",
        "friend": "मित्र",
        "intro": "हमारा ऑटम ब्लेंड लौट आया है — और आपके पॉइंट्स इंतज़ार कर रहे हैं।",
        "points": {"count": "points", "other": "पॉइंट्स"},
        "last_order": "आपका पिछला ऑर्डर:",
        "saved": "आपने बचाए",
        "image_alt": "ऑटम ब्लेंड कॉफ़ी का एक कप",
        "cta": "पॉइंट्स भुनाएँ",
        "unsubscribe": "सदस्यता छोड़ें",
        "letter_thanks": (
            "एक और साल अच्छी कॉफ़ी हमारे साथ बाँटने के लिए धन्यवाद। आप अपने पॉइंट्स ऑनलाइन "
            "और हर Lumen & Loom कैफ़े में भुना सकते हैं।"
        ),
        "sign_off": "शुभकामनाओं सहित,",
        "signature": "मारा लिंड, हेड रोस्टर",
    },
    "it": {
        "greeting": "Ciao",
        "friend": "amico",
        "intro": "La nostra miscela d'autunno è tornata: i tuoi punti ti aspettano.",
        "points": {"count": "points", "one": "punto", "other": "punti"},
        "last_order": "Il tuo ultimo ordine:",
        "saved": "Hai risparmiato",
        "image_alt": "Una tazza di miscela d'autunno",
        "cta": "Usa i tuoi punti",
        "unsubscribe": "Annulla iscrizione",
        "letter_thanks": (
            "Grazie per aver condiviso con noi un altro anno di buon caffè. Puoi usare i "
            "tuoi punti online e in ogni caffetteria Lumen & Loom."
        ),
        "sign_off": "Un caro saluto,",
        "signature": "Mara Lind, mastra torrefattrice",
    },
}


def write_contacts(path: Path, *, count: int = 10_000, seed: int = 7) -> None:
    """A CSV of ``count`` contacts, plus a few realistic bad rows the import must reject."""
    rng = random.Random(seed)  # noqa: S311 -- synthetic demo data, not security
    locales = list(PEOPLE)
    start = date(2026, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "Email",
                "First Name",
                "Last Name",
                "Locale",
                "Points",
                "Last Order",
                "Saved",
                "Currency",
                "Consent",
                "Consent Source",
            ]
        )
        for i in range(count):
            locale = locales[i % len(locales)]
            firsts, lasts, currency = PEOPLE[locale]
            first = rng.choice(firsts) if rng.random() > 0.03 else ""  # some names are missing
            consent = "yes" if rng.random() > 0.02 else "no"
            writer.writerow(
                [
                    f"customer{i:05d}@example.com",
                    first,
                    rng.choice(lasts),
                    locale,
                    rng.randint(50, 25_000),
                    (start + timedelta(days=rng.randint(0, 300))).isoformat(),
                    f"{rng.uniform(1, 80):.2f}",
                    currency,
                    consent,
                    "checkout",
                ]
            )
        writer.writerow(
            ["not-an-email", "Bad", "Row", "en-US", 1, "2026-02-01", "1", "USD", "yes", ""]
        )
        writer.writerow(
            [
                "CUSTOMER00001@example.com",
                "Dupe",
                "Row",
                "en-US",
                1,
                "2026-02-01",
                "1",
                "USD",
                "yes",
                "",
            ]
        )
        writer.writerow(
            [
                "maybe@example.com",
                "Unsure",
                "Row",
                "en-US",
                1,
                "2026-02-01",
                "1",
                "USD",
                "perhaps",
                "",
            ]
        )


def write_demo(folder: Path, *, count: int = 10_000) -> Path:
    """Write contacts, the e-mail, the letter, one message catalog per language, the brand's
    kit, logo and guidelines, and the spec into ``folder``; returns the spec path. The spec
    names the brand: store it first (:func:`brandloom.demo.brand.save_demo_brand`)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_contacts(folder / "contacts.csv", count=count)
    package = resources.files("brandloom.demo")
    html = package.joinpath("email.html").read_text(encoding="utf-8")
    (folder / "email.html").write_text(html, encoding="utf-8")
    (folder / "letter.md").write_text(LETTER, encoding="utf-8")
    for name in BRAND_FILES:
        (folder / name).write_bytes(package.joinpath(name).read_bytes())
    catalogs = folder / "messages"
    catalogs.mkdir(exist_ok=True)
    for language, messages in MESSAGES.items():
        (catalogs / f"{language}.yaml").write_text(
            yaml.safe_dump(messages, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    spec = {
        "name": "autumn-blend",
        "locale": "en-US",
        "seed": 2026,
        # its kit dresses the e-mail, the PDF letter and the Word document
        "brand": BRAND,
        "audience": {"path": "contacts.csv", "key": "email"},
        "template": {
            "subject": "{{ t.greeting }} {{ first_name | default(t.friend) }} — "
            "{{ points | number }} {{ t.points }}",
            "preheader": "{{ t.intro }}",
            "html": "email.html",
            "markdown": "letter.md",
            "sms": BRAND + ": {{ t.intro }} {{ points | number }} {{ t.points }}",
            "messages": {language: f"messages/{language}.yaml" for language in MESSAGES},
            # Japanese puts the name first and addresses the reader with 様.
            "locales": {
                "ja": {
                    "subject": "{{ first_name | default(t.friend) }}様、"
                    "{{ points | number }}{{ t.points }}がお待ちしています"
                }
            },
        },
        "variants": [
            {"name": "points-first", "weight": 1},
            {
                "name": "question",
                "weight": 1,
                "subject": "{{ first_name | default(t.friend) }}, {{ t.cta | lower }}?",
            },
        ],
        "outputs": ["html", "txt", "md", "sms", "eml", "pdf", "docx"],
        "sink": "dir",
        "qa": {
            "banned_phrases": {"*": ["guaranteed", "risk-free", "act now"]},
            # every e-mail carries its language's unsubscribe link text
            "required_phrases": {
                language: [messages["unsubscribe"]] for language, messages in MESSAGES.items()
            },
            "require_consent": True,
            "sms_max_segments": 3,
            # every part of at least 20 letters must be in the contact's language
            "language_match": True,
        },
        "email": {
            "from": "hello@lumenloom.example",
            "from_name": BRAND,
            "reply_to": "care@lumenloom.example",
            "unsubscribe_url": (
                "https://shop.lumenloom.example/unsubscribe?c={{ key | url_encode }}"
            ),
            "date": "2026-11-02T09:00:00+00:00",
        },
    }
    spec_path = folder / "spec.yaml"
    spec_path.write_text(
        yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return spec_path
