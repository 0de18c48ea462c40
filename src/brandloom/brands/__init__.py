"""Brands: guidelines (versioned), visual kit, content library and voice profiles; the
``/v1/brands`` API over them and :mod:`brandloom.analysis` (guidelines, brand rules, voice)."""
