"""Deterministic synthetic data for the demo: contacts in ten locales and the job spec."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import yaml

BRAND = "Lumen & Loom Coffee"

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

COPY = {
    "en": [
        "Hi",
        "friend",
        "Our autumn blend is back — and your points are waiting.",
        "points",
        "Your last order:",
        "You saved",
        "A cup of autumn blend coffee",
        "Redeem your points",
        "Lumen & Loom, 1 Roastery Lane",
        "Unsubscribe",
    ],
    "de": [
        "Hallo",
        "Kaffeefreund",
        "Unsere Herbstmischung ist zurück – und Ihre Punkte warten.",
        "Punkte",
        "Ihre letzte Bestellung:",
        "Gespart",
        "Eine Tasse Herbstmischung",
        "Punkte einlösen",
        "Lumen & Loom, Röstereiweg 1",
        "Abmelden",
    ],
    "es": [
        "Hola",
        "amigo",
        "Nuestra mezcla de otoño ha vuelto y tus puntos te esperan.",
        "puntos",
        "Tu último pedido:",
        "Ahorraste",
        "Una taza de mezcla de otoño",
        "Canjea tus puntos",
        "Lumen & Loom, Calle del Tostador 1",
        "Darse de baja",
    ],
    "fr": [
        "Bonjour",
        "ami",
        "Notre mélange d'automne est de retour, vos points vous attendent.",
        "points",
        "Votre dernière commande :",
        "Économisé",
        "Une tasse de mélange d'automne",
        "Utiliser mes points",
        "Lumen & Loom, 1 rue de la Torréfaction",
        "Se désabonner",
    ],
    "pt": [
        "Olá",
        "amigo",
        "Nosso blend de outono voltou — e seus pontos estão esperando.",
        "pontos",
        "Seu último pedido:",
        "Você economizou",
        "Uma xícara do blend de outono",
        "Resgatar pontos",
        "Lumen & Loom, Rua da Torrefação 1",
        "Cancelar inscrição",
    ],
    "zh": [
        "您好",
        "朋友",
        "我们的秋季拼配咖啡回来了，您的积分正在等您。",
        "积分",
        "您的上一笔订单：",
        "已节省",
        "一杯秋季拼配咖啡",
        "兑换积分",
        "Lumen & Loom，烘焙路1号",
        "退订",
    ],
    "ja": [
        "こんにちは",
        "お客様",
        "秋のブレンドが帰ってきました。ポイントもお待ちしています。",
        "ポイント",
        "前回のご注文：",
        "節約額",
        "秋のブレンドコーヒー",
        "ポイントを使う",
        "Lumen & Loom 焙煎通り1",
        "配信停止",
    ],
    "ar": [
        "مرحبًا",
        "صديقنا",
        "عادت خلطة الخريف — ونقاطك بانتظارك.",
        "نقطة",
        "طلبك الأخير:",
        "وفّرت",
        "فنجان من قهوة خلطة الخريف",
        "استبدل نقاطك",
        "لومن آند لوم، شارع المحمصة 1",
        "إلغاء الاشتراك",
    ],
    "hi": [
        "नमस्ते",
        "मित्र",
        "हमारा ऑटम ब्लेंड लौट आया है — और आपके पॉइंट्स इंतज़ार कर रहे हैं।",
        "पॉइंट्स",
        "आपका पिछला ऑर्डर:",
        "आपने बचाए",
        "ऑटम ब्लेंड कॉफ़ी का एक कप",
        "पॉइंट्स भुनाएँ",
        "Lumen & Loom, रोस्टरी लेन 1",
        "सदस्यता छोड़ें",
    ],
    "it": [
        "Ciao",
        "amico",
        "La nostra miscela d'autunno è tornata: i tuoi punti ti aspettano.",
        "punti",
        "Il tuo ultimo ordine:",
        "Hai risparmiato",
        "Una tazza di miscela d'autunno",
        "Usa i tuoi punti",
        "Lumen & Loom, Via della Torrefazione 1",
        "Annulla iscrizione",
    ],
}
COPY_FIELDS = [
    "greeting",
    "friend",
    "intro",
    "points",
    "last_order",
    "saved",
    "image_alt",
    "cta",
    "footer",
    "unsubscribe",
]


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


def copy_table() -> str:
    """A Jinja dictionary of the campaign copy per language (set once at the top of each part)."""
    entries = []
    for lang, values in COPY.items():
        inner = ", ".join(f"{k!r}: {v!r}" for k, v in zip(COPY_FIELDS, values, strict=True))
        entries.append(f"{lang!r}: {{{inner}}}")
    return (
        "{% set copy = {"
        + ", ".join(entries)
        + "} %}{% set t = copy.get(locale[:2], copy['en']) %}"
    )


def write_demo(folder: Path, *, count: int = 10_000) -> Path:
    """Write contacts, templates and the spec into ``folder``; returns the spec path."""
    folder.mkdir(parents=True, exist_ok=True)
    write_contacts(folder / "contacts.csv", count=count)
    header = copy_table() + "{% set brand = " + repr(BRAND) + " %}"
    html = resources.files("brandloom.demo").joinpath("email.html").read_text(encoding="utf-8")
    (folder / "email.html").write_text(header + html, encoding="utf-8")
    spec = {
        "name": "autumn-blend",
        "locale": "en-US",
        "seed": 2026,
        "audience": {"path": "contacts.csv", "key": "email"},
        "template": {
            "subject": header + "{{ t.greeting }} {{ first_name | default(t.friend) }} — "
            "{{ points | number }} {{ t.points }}",
            "preheader": header + "{{ t.intro }}",
            "html": "email.html",
            "sms": header + "{{ brand }}: {{ t.intro }} {{ points | number }} {{ t.points }}",
        },
        "variants": [
            {"name": "points-first", "weight": 1},
            {
                "name": "question",
                "weight": 1,
                "subject": header + "{{ first_name | default(t.friend) }}, {{ t.cta | lower }}?",
            },
        ],
        "outputs": ["html", "txt", "md", "sms", "eml", "pdf", "docx"],
        "sink": "dir",
        "qa": {
            "banned_phrases": ["guaranteed", "risk-free", "act now"],
            "require_consent": True,
            "sms_max_segments": 3,
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
