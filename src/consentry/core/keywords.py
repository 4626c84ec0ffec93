"""Keywords: what a contact's text message asks for — stop, start again, or help (SPEC §4).

A message is normalised (trimmed, case-folded, accents stripped, punctuation removed, spaces
collapsed) and matched, in this order, first match wins (an opt-out always beats an opt-in):

==============  ====================================================  =====================
kind            matched how                                           rule recorded
==============  ====================================================  =====================
opt_out_all     the whole message is a keyword (STOPALL, STOP ALL)    ``keyword:stopall``
opt_out         the whole message is a keyword (STOP, ARRET, BAJA…)   ``keyword:stop``
opt_in          the whole message is a keyword (START, UNSTOP, YES)   ``keyword:start``
help            the whole message is a keyword (HELP, INFO, AIDE…)    ``keyword:help``
opt_out         a free-text phrase that plainly asks to stop          ``free_text:en.…``
==============  ====================================================  =====================

"The whole message" tolerates politeness around the keyword ("STOP please", "Stop!!", "stop
stop") but nothing else: "stop by our shop" is not an opt-out. Free-text phrases follow the
FCC's 2025 rule (47 CFR 64.1200(a)(10): revocation "by any reasonable means") and the CTIA
handbook ("honour plain language"); they look for a request, never the bare word.

Keyword lists are configuration: a ``KeywordSet`` per receiving number or market, per
language, with words added and removed. The words the FCC names as revocation per se can
never be removed (``REQUIRED_OPT_OUT``).

Sources of the default tables:

* English: Twilio's default opt-out/opt-in/help keywords (support.twilio.com, "Twilio support
  for opt-out keywords"), the FCC 24-18 list (stop, quit, end, revoke, opt out, cancel,
  unsubscribe) and AWS End User Messaging's required list (adds REMOVE, OPT-OUT, ARRET, TD).
* French: ARRET / AIDE are required in Canada next to STOP / HELP (CWTA; AWS "French
  compliance keywords"); STOP is the French operators' standard (SMS+ / 36111 code of
  practice); DESABONNER, DESINSCRIRE, ANNULER, FIN are the common verbs.
* Spanish, German, Portuguese, Italian: the equivalents the large gateways and CPaaS
  providers ship for those markets (PARAR, BAJA, CANCELAR, ALTO; STOPP, ABMELDEN, KUENDIGEN;
  PARAR, SAIR, CANCELAR; ANNULLA, BASTA, FERMA, DISISCRIVIMI). Words that are everyday
  replies in another language of the default set (Italian FINE is English "fine", Spanish
  SI is Italian "if") are left out of the multi-language default; add them per number.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from consentry.core.errors import Invalid, KeywordRequired
from consentry.core.phrases import free_text_opt_out


class KeywordKind(StrEnum):
    """What a keyword asks for. Stored values: add, never rename or remove."""

    OPT_OUT_ALL = "opt_out_all"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


#: Matching order: an opt-out (group level first) always beats an opt-in or help.
KIND_ORDER = (KeywordKind.OPT_OUT_ALL, KeywordKind.OPT_OUT, KeywordKind.OPT_IN, KeywordKind.HELP)

ANY_LANGUAGE = "*"
LANGUAGES = ("en", "fr", "es", "de", "pt", "it")

_K = KeywordKind
#: The default keywords by language and kind, as people type them (normalised on use).
DEFAULT_WORDS: dict[str, dict[KeywordKind, tuple[str, ...]]] = {
    "en": {
        _K.OPT_OUT_ALL: ("STOPALL", "STOP ALL"),
        _K.OPT_OUT: (
            "STOP",
            "UNSUBSCRIBE",
            "CANCEL",
            "END",
            "QUIT",
            "REVOKE",
            "OPTOUT",
            "OPT OUT",
            "OPT-OUT",
            "REMOVE",
            "UNSUB",
            "STOP MESSAGES",
            "STOP TEXTS",
        ),
        _K.OPT_IN: ("START", "UNSTOP", "YES", "SUBSCRIBE", "RESUME"),
        _K.HELP: ("HELP", "INFO"),
    },
    "fr": {
        _K.OPT_OUT_ALL: ("STOP TOUT", "ARRET TOUT"),
        _K.OPT_OUT: (
            "ARRET",
            "ARRÊT",
            "ARRETER",
            "ARRÊTER",
            "STOP SMS",
            "DESABONNER",
            "DÉSABONNER",
            "DESINSCRIRE",
            "DÉSINSCRIRE",
            "DESINSCRIPTION",
            "ANNULER",
            "FIN",
        ),
        _K.OPT_IN: ("OUI", "DEMARRER", "DÉMARRER", "REPRENDRE"),
        _K.HELP: ("AIDE",),
    },
    "es": {
        _K.OPT_OUT_ALL: ("PARAR TODO", "BAJA TODO"),
        _K.OPT_OUT: (
            "PARAR",
            "BAJA",
            "DAR DE BAJA",
            "CANCELAR",
            "ALTO",
            "DETENER",
            "DESUSCRIBIR",
            "ANULAR",
            "TERMINAR",
        ),
        _K.OPT_IN: ("COMENZAR", "INICIAR", "ALTA", "REANUDAR"),
        _K.HELP: ("AYUDA",),
    },
    "de": {
        _K.OPT_OUT_ALL: ("STOPP ALLE", "STOPP ALLES"),
        _K.OPT_OUT: (
            "STOPP",
            "ABMELDEN",
            "KÜNDIGEN",
            "KUENDIGEN",
            "ABBESTELLEN",
            "BEENDEN",
            "ENDE",
            "AUSTRAGEN",
        ),
        _K.OPT_IN: ("JA", "ANMELDEN", "STARTEN"),
        _K.HELP: ("HILFE",),
    },
    "pt": {
        _K.OPT_OUT_ALL: ("PARAR TUDO", "SAIR TUDO"),
        _K.OPT_OUT: (
            "PARAR",
            "SAIR",
            "CANCELAR",
            "DESCADASTRAR",
            "REMOVER",
            "DESINSCREVER",
            "FIM",
        ),
        _K.OPT_IN: ("SIM", "COMEÇAR", "INICIAR", "VOLTAR"),
        _K.HELP: ("AJUDA",),
    },
    "it": {
        _K.OPT_OUT_ALL: ("STOP TUTTO", "BASTA TUTTO"),
        _K.OPT_OUT: (
            "ANNULLA",
            "BASTA",
            "FERMA",
            "FERMATI",
            "DISISCRIVIMI",
            "DISISCRIVI",
            "CANCELLAMI",
            "CANCELLA",
            "REVOCA",
        ),
        _K.OPT_IN: ("INIZIA", "AVVIA", "RIPRENDI"),
        _K.HELP: ("AIUTO",),
    },
}

#: Revocation per se under 47 CFR 64.1200(a)(10) (FCC 24-18): never removable.
REQUIRED_OPT_OUT = frozenset(
    {"stop", "quit", "end", "revoke", "opt out", "optout", "cancel", "unsubscribe", "stopall"}
)

#: Politeness tolerated around a keyword ("STOP please", "merci, STOP").
FILLERS = frozenset(
    "please pls plz thanks thank you thx ty now asap merci svp sil vous plait stp por favor "
    "gracias bitte danke obrigado obrigada grazie per favore ok okay".split()
)

_APOSTROPHES = re.compile("['\u2019`\u00b4]")  # apostrophes: straight, curly, grave, acute
_NON_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Trim, case-fold, strip accents, drop apostrophes, punctuation → space, collapse spaces."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    bare = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", _APOSTROPHES.sub("", bare)).split())


@dataclass(frozen=True, slots=True)
class Match:
    """Which kind a message asks for, and the rule that decided it (kept as evidence)."""

    kind: KeywordKind
    rule: str
    language: str | None = None


@dataclass(frozen=True, slots=True)
class KeywordSet:
    """The keywords one receiving number (or market) listens for, already normalised.

    ``words`` maps each kind to its normalised words with the language each came from;
    ``free_text`` switches plain-language opt-out detection on (the default).
    """

    name: str = "default"
    words: Mapping[KeywordKind, Mapping[str, str]] = field(default_factory=dict)
    free_text: bool = True
    languages: tuple[str, ...] = LANGUAGES

    def kind_of(self, phrase: str) -> tuple[KeywordKind, str] | None:
        """The kind and language of an exact (normalised) keyword, in ``KIND_ORDER``."""
        for kind in KIND_ORDER:
            language = self.words.get(kind, {}).get(phrase)
            if language is not None:
                return kind, language
        return None

    def adding(self, kind: KeywordKind, word: str, language: str = ANY_LANGUAGE) -> KeywordSet:
        """A copy that also matches ``word`` as ``kind``."""
        phrase = _phrase(word)
        table = {k: dict(v) for k, v in self.words.items()}
        table.setdefault(kind, {})[phrase] = language
        return KeywordSet(self.name, table, self.free_text, self.languages)

    def removing(self, kind: KeywordKind, word: str) -> KeywordSet:
        """A copy without ``word`` as ``kind``; the FCC's per-se words cannot be removed."""
        phrase = _phrase(word)
        refuse_required(kind, phrase)
        table = {k: dict(v) for k, v in self.words.items()}
        table.get(kind, {}).pop(phrase, None)
        return KeywordSet(self.name, table, self.free_text, self.languages)

    def listing(self, kind: KeywordKind) -> list[str]:
        """The normalised words of one kind, sorted."""
        return sorted(self.words.get(kind, {}))


def _phrase(word: str) -> str:
    phrase = normalise(word)
    if not phrase or len(phrase) > 100:
        raise Invalid("a keyword needs 1 to 100 letters or digits", word=word)
    return phrase


def refuse_required(kind: KeywordKind, word: str) -> None:
    """Refuse to remove a word the FCC names as revocation per se."""
    phrase = normalise(word)
    if kind in (KeywordKind.OPT_OUT, KeywordKind.OPT_OUT_ALL) and phrase in REQUIRED_OPT_OUT:
        raise KeywordRequired(
            f"{phrase!r} is an opt-out by law (47 CFR 64.1200(a)(10)) and cannot be removed",
            word=phrase,
        )


def default_keywords(
    languages: Iterable[str] = LANGUAGES, name: str = "default", free_text: bool = True
) -> KeywordSet:
    """The default keyword set for some languages (English is always included)."""
    chosen = tuple(dict.fromkeys(["en", *languages]))
    unknown = [lang for lang in chosen if lang not in DEFAULT_WORDS]
    if unknown:
        raise Invalid(f"no default keywords for {', '.join(unknown)}", languages=unknown)
    return _defaults(chosen, name, free_text)


@lru_cache(maxsize=64)
def _defaults(languages: tuple[str, ...], name: str, free_text: bool) -> KeywordSet:
    """Built once per choice: a keyword set is never changed in place (``adding`` copies)."""
    table: dict[KeywordKind, dict[str, str]] = {kind: {} for kind in KIND_ORDER}
    for language in languages:
        for kind, words in DEFAULT_WORDS[language].items():
            for word in words:
                table[kind].setdefault(normalise(word), language)
    return KeywordSet(name, table, free_text, languages)


def match(text: str, keywords: KeywordSet) -> Match | None:
    """What a message asks for, or ``None`` for an ordinary message."""
    phrase = normalise(text)
    if not phrase:
        return None
    exact = keywords.kind_of(phrase) or keywords.kind_of(_trimmed(phrase))
    if exact is not None:
        kind, language = exact
        word = phrase if keywords.kind_of(phrase) else _trimmed(phrase)
        return Match(kind, f"keyword:{word}", None if language == ANY_LANGUAGE else language)
    if keywords.free_text:
        found = free_text_opt_out(phrase, keywords.languages)
        if found is not None:
            return Match(KeywordKind.OPT_OUT, f"free_text:{found}", found.split(".", 1)[0])
    return None


def _trimmed(phrase: str) -> str:
    """The phrase without politeness at either end and without repeated words."""
    tokens = phrase.split()
    while tokens and tokens[0] in FILLERS:
        tokens.pop(0)
    while tokens and tokens[-1] in FILLERS:
        tokens.pop()
    words = [w for i, w in enumerate(tokens) if i == 0 or w != tokens[i - 1]]
    return " ".join(words)
