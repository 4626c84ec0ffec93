"""Keyword tables and free-text opt-outs: core, no I/O."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consentry.core.errors import Invalid, KeywordRequired
from consentry.core.keywords import (
    DEFAULT_WORDS,
    FILLERS,
    REQUIRED_OPT_OUT,
    KeywordKind,
    default_keywords,
    match,
    normalise,
)

DEFAULTS = default_keywords()

EVERY_KEYWORD = [
    pytest.param(kind, word, id=f"{language}-{kind.value}-{word}")
    for language, table in DEFAULT_WORDS.items()
    for kind, words in table.items()
    for word in words
]


def variants(word: str) -> list[str]:
    """Case, space and punctuation variants of a keyword, as people type them."""
    return [
        word,
        word.lower(),
        word.title(),
        f"  {word}  ",
        f"\n{word.lower()}\n",
        f"{word}!",
        f"{word}.",
        f"{word.lower()}!!!",
        f'"{word}"',
        f"*{word}*",
        word.replace(" ", "  "),
        word.replace(" ", "-"),
        f"{word} please",
        f"{word.lower()}, thanks",
    ]


@pytest.mark.parametrize(("kind", "word"), EVERY_KEYWORD)
def test_every_keyword_in_every_language_matches_in_every_variant(kind, word):
    for text in variants(word):
        found = match(text, DEFAULTS)
        assert found is not None, text
        assert found.kind is kind, (text, found)
        assert found.rule == f"keyword:{normalise(word)}"


@pytest.mark.parametrize(
    "word",
    ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "OPT OUT",
     "STOP ALL", "ARRET", "ARRÊT", "PARAR", "BAJA", "CANCELAR", "ALTO", "STOPP", "ABMELDEN",
     "KÜNDIGEN", "SAIR", "ANNULLA", "BASTA", "FERMA", "DISISCRIVIMI", "DÉSABONNER"],
)  # fmt: skip
def test_the_named_opt_out_words_are_opt_outs(word):
    found = match(word, DEFAULTS)
    assert found is not None
    assert found.kind in (KeywordKind.OPT_OUT, KeywordKind.OPT_OUT_ALL)


@pytest.mark.parametrize("word", ["STOPALL", "STOP ALL", "stop-all", "Stop All!"])
def test_stop_all_asks_for_the_group_level(word):
    found = match(word, DEFAULTS)
    assert found is not None and found.kind is KeywordKind.OPT_OUT_ALL


@pytest.mark.parametrize("word", ["START", "unstop", "Yes", "YES!"])
def test_start_unstop_yes_opt_in(word):
    found = match(word, DEFAULTS)
    assert found is not None and found.kind is KeywordKind.OPT_IN


@pytest.mark.parametrize("word", ["HELP", "info", "Aide", "AYUDA", "hilfe", "ajuda", "aiuto"])
def test_help_and_info_ask_for_help(word):
    found = match(word, DEFAULTS)
    assert found is not None and found.kind is KeywordKind.HELP


def test_normalise_folds_case_accents_punctuation_and_spaces():
    assert normalise("  ArrÊT!!  ") == "arret"
    assert normalise("OPT-OUT") == "opt out"
    assert normalise("Don\u2019t  text\tme") == "dont text me"
    assert normalise("KÜNDIGEN") == "kundigen"
    assert normalise("...") == ""


FREE_TEXT_OPT_OUTS = [
    ("please stop texting me", "en.stop_contacting"),
    ("Stop sending me these messages!", "en.stop_sending"),
    ("stop it", "en.stop_it"),
    ("Take me off your list", "en.take_me_off"),
    ("remove me from your list please", "en.take_me_off"),
    ("Please remove me", "en.remove_me"),
    ("don't text me anymore", "en.do_not_contact"),
    ("Do NOT contact me again.", "en.do_not_contact"),
    ("I want to unsubscribe", "en.unsubscribe"),
    ("how do I opt out?", "en.unsubscribe"),
    ("No more texts please", "en.no_more"),
    ("leave me alone", "en.leave_me_alone"),
    ("I'd like to stop receiving these", "en.stop_receiving"),
    ("I don't want these texts", "en.do_not_want"),
    ("I no longer wish to receive anything from you", "en.no_longer_receive"),
    ("Arrêtez de m'envoyer des messages", "fr.arretez_de"),
    ("Ne m'envoyez plus de SMS", "fr.ne_plus"),
    ("désinscrivez-moi", "fr.desinscrivez_moi"),
    ("Je ne veux plus recevoir vos offres", "fr.ne_veux_plus"),
    ("No me envíen más mensajes", "es.no_me_envien"),
    ("Dejen de enviarme mensajes", "es.dejen_de"),
    ("Quiero darme de baja", "es.darme_de_baja"),
    ("Keine SMS mehr bitte", "de.keine_mehr"),
    ("Hört auf, mir zu schreiben", "de.hort_auf"),
    ("Bitte melden Sie mich ab", "de.melden_sie_mich_ab"),
    ("Não quero mais receber mensagens", "pt.nao_quero_receber"),
    ("Parem de me enviar mensagens", "pt.parem_de"),
    ("Non voglio più ricevere messaggi", "it.non_voglio_piu"),
    ("Smettetela di scrivermi", "it.smettete_di"),
    ("Non mandatemi più messaggi", "it.non_mandate_piu"),
]


@pytest.mark.parametrize(("text", "rule"), FREE_TEXT_OPT_OUTS)
def test_a_plain_request_to_stop_is_an_opt_out_and_names_its_rule(text, rule):
    found = match(text, DEFAULTS)
    assert found is not None, text
    assert found.kind is KeywordKind.OPT_OUT
    assert found.rule == f"free_text:{rule}"


@pytest.mark.parametrize(
    "text",
    [
        "stop by our shop",
        "I can't stop smiling",
        "when does the store stop serving breakfast?",
        "Is there a bus stop near the venue?",
        "Don't stop texting me, I love these deals",
        "Can you cancel my order?",
        "I'll be at the end of the queue",
        "non-stop fun this weekend!",
        "Start time?",
        "Yes I'll come to the event",
        "What's the help desk number?",
        "I didn't unsubscribe, why no offers?",
        "Stopping by later",
        "Arrêt de bus près d'ici ?",
        "Bitte rufen Sie mich an",
        "No pares de enviarme ofertas",
        "",
        "   ",
        "🙂",
    ],
)
def test_a_message_that_merely_contains_the_word_is_not_a_keyword(text):
    assert match(text, DEFAULTS) is None


def test_free_text_can_be_switched_off():
    strict = default_keywords(free_text=False)
    assert match("please stop texting me", strict) is None
    assert match("STOP", strict) is not None


def test_added_words_match_and_removed_words_do_not():
    custom = DEFAULTS.adding(KeywordKind.OPT_OUT, "Enough").removing(KeywordKind.OPT_IN, "yes")
    found = match("enough!", custom)
    assert found is not None and found.kind is KeywordKind.OPT_OUT
    assert found.rule == "keyword:enough"
    assert match("YES", custom) is None
    assert match("YES", DEFAULTS) is not None  # the defaults are untouched


@pytest.mark.parametrize("word", sorted(REQUIRED_OPT_OUT))
def test_the_fccs_per_se_opt_out_words_cannot_be_removed(word):
    kind = KeywordKind.OPT_OUT_ALL if word == "stopall" else KeywordKind.OPT_OUT
    with pytest.raises(KeywordRequired) as refused:
        DEFAULTS.removing(kind, word.upper())
    assert refused.value.code == "keyword_required"


def test_a_bad_keyword_in_a_keyword_set_value_is_refused():
    with pytest.raises(Invalid):
        default_keywords().adding(KeywordKind.OPT_OUT, "...")
    with pytest.raises(Invalid):
        default_keywords(["xx"])


def test_an_opt_out_beats_an_opt_in_for_the_same_word():
    both = DEFAULTS.adding(KeywordKind.OPT_IN, "stop")
    found = match("stop", both)
    assert found is not None and found.kind is KeywordKind.OPT_OUT


def test_languages_choose_the_tables_and_english_is_always_in():
    french = default_keywords(["fr"])
    assert french.languages == ("en", "fr")
    assert match("ARRET", french) is not None
    assert match("PARAR", french) is None
    found = match("Arrêt", french)
    assert found is not None and found.language == "fr"


ALL_WORDS = [(p.values[0], p.values[1]) for p in EVERY_KEYWORD]


@given(st.text(max_size=300))
def test_matching_never_fails_and_normalising_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once
    match(text, DEFAULTS)


@given(
    st.sampled_from(ALL_WORDS),
    st.lists(st.sampled_from(sorted(FILLERS)), max_size=2),
    st.lists(st.sampled_from(sorted(FILLERS)), max_size=2),
    st.sampled_from(["", "!", ".", "!!", " :)", "?"]),
)
def test_a_keyword_wrapped_in_politeness_keeps_its_kind(kind_word, before, after, ending):
    kind, word = kind_word
    text = " ".join([*before, word, *after]) + ending
    found = match(text, DEFAULTS)
    assert found is not None and found.kind is kind, text
