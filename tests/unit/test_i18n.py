"""The catalogue of words in every language (pure core: consentry.core.i18n)."""

from __future__ import annotations

import pytest

from consentry.core.i18n import CATALOGUE, message_text, pick_language, words


def test_every_language_has_every_word():
    english = set(CATALOGUE["en"])
    for lang, catalogue in CATALOGUE.items():
        assert set(catalogue) == english, lang
        assert all(value.strip() for value in catalogue.values()), lang


@pytest.mark.parametrize(
    ("locale", "accept", "lang"),
    [
        ("fr", None, "fr"),
        ("es_ES", None, "es"),
        ("pt-BR", "es;q=0.8", "es"),
        (None, None, "en"),
        (None, "de, fr;q=0.5", "fr"),
    ],
)
def test_the_language_follows_the_locale_then_the_browser(locale, accept, lang):
    assert pick_language(locale, accept) == lang


def test_unknown_languages_fall_back_to_english():
    assert words("xx") is CATALOGUE["en"]
    subject, body = message_text("fr", "confirm", sender="Acme", link="https://x.example/c")
    assert "Acme" in subject and "https://x.example/c" in body
