"""Free-text opt-outs: plain-language requests to stop, by language (SPEC §4).

The FCC's 2025 revocation rule (47 CFR 64.1200(a)(10)) asks senders to honour a revocation
"by any reasonable means"; the CTIA handbook asks to honour plain language ("please opt me
out"). A pattern here matches a *request* — a verb of contacting after "stop", "take me off",
"don't text me" — never the bare word, so "stop by our shop", "can't stop smiling" and
"when does the store stop serving" stay ordinary messages. A negation right before the
request ("don't stop texting me") cancels it.

Patterns run on ``keywords.normalise``d text: lower case, no accents, no apostrophes
("don't" → "dont", "m'envoyer" → "menvoyer"), punctuation turned into spaces. Each pattern
has a stable name (``en.stop_contacting``) that is recorded as the rule that matched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NEGATED = r"(?<!dont )(?<!do not )(?<!cant )(?<!cannot )(?<!never )(?<!wont )(?<!didnt )"
_CONTACT_VERBS = (
    r"(texting|txting|messaging|msging|messaging|contacting|calling|ringing|emailing|"
    r"spamming|bothering|harassing|pestering)"
)
_MESSAGES = (
    r"(texts?|txts?|messages?|msgs?|sms|texting|messaging|calls|spam|marketing|promos?|offers)"
)

_RAW: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("stop_contacting", _NEGATED + r"\b(stop|quit|cease) " + _CONTACT_VERBS + r"\b"),
        (
            "stop_sending",
            _NEGATED + r"\b(stop|quit|cease) sending (me|us|these|this|those|them|any|"
            r"your|" + _MESSAGES[1:-1] + r")\b",
        ),
        (
            "stop_it",
            r"^(please )?(stop|quit) (it|this|these|them|that|those|" + _MESSAGES[1:-1] + r")$",
        ),
        (
            "take_me_off",
            r"\b(take|remove|delete|drop|get|cross|strike|erase) (me|us|my number|"
            r"my phone number|my cell|this number|my name) (off|from|out of)\b",
        ),
        ("remove_me", r"\b(remove|delete|unlist) (me|my number|this number)$"),
        (
            "do_not_contact",
            r"\b(dont|do not|never|pls dont|please dont) (ever )?(text|txt|message|msg|sms|"
            r"contact|call|email|spam|bother) (me|us|this number|again)\b",
        ),
        (
            "unsubscribe",
            r"(?<!not )(?<!dont )(?<!didnt )(?<!never )"
            r"\b(unsubscribe|unsub|opt me out|opt out|optout)\b",
        ),
        ("no_more", r"\bno more " + _MESSAGES + r"\b"),
        ("leave_me_alone", r"\bleave me alone\b"),
        ("stop_receiving", r"\b(stop|quit|cease|end) (receiving|getting)\b"),
        (
            "do_not_want",
            r"\b(dont|do not|no longer|never) (want|wish|need) (to (receive|get) )?(any more |"
            r"anymore |these |your |any |this |those |more )?" + _MESSAGES + r"\b",
        ),
        ("no_longer_receive", r"\b(dont|do not|no longer) (want|wish) to (receive|get)\b"),
    ),
    "fr": (
        ("ne_plus", r"\bne (m ?|me |nous )?(envoyez|ecrivez|contactez|appelez|texte[sz]?) plus\b"),
        (
            "arretez_de",
            r"\barrete[sz]? (de |d )?(m ?|me |nous )?(envoyer|ecrire|contacter|appeler|harceler)\b",
        ),
        ("arretez_les", r"\barrete[sz]? (les|vos|ces) (sms|messages|textos|appels)\b"),
        ("ne_veux_plus", r"\b(je )?ne (veux|souhaite) plus (recevoir|de (sms|messages|textos))\b"),
        (
            "desinscrivez_moi",
            r"\b(desinscri(vez|s|re)|desabonne[sz]?|retire[sz]?|supprime[sz]?) moi\b",
        ),
        ("plus_de", r"\bplus (de|d) (sms|messages|textos|appels)\b"),
    ),
    "es": (
        (
            "no_me_envien",
            r"\bno (me |nos )?(envien|manden|escriban|contacten|llamen|envies|mandes) mas\b",
        ),
        (
            "dejen_de",
            r"\b(dejen|deja|dejar) de (enviar|mandar|escribir|llamar|contactar)(me|nos)?\b",
        ),
        ("darme_de_baja", r"\b(dar ?me|dame|denme|darse|darnos|me doy) de baja\b"),
        ("no_quiero_mas", r"\bno (quiero|deseo) (recibir )?mas (mensajes|sms|textos|llamadas)\b"),
        ("borrenme", r"\b(borr|quit|elimin|sac)(enme|ame|adme) de (la|su|esta) lista\b"),
    ),
    "de": (
        ("keine_mehr", r"\bkeine (sms|nachrichten|werbung|mitteilungen|anrufe|mails) mehr\b"),
        (
            "hort_auf",
            r"\b(hort|horen sie) auf (mir )?(zu )?(schreiben|simsen|anzurufen|nachrichten)",
        ),
        ("melden_sie_mich_ab", r"\b(melden|tragen|nehmen) sie mich (ab|aus|raus)\b"),
        ("mich_abmelden", r"\bmich (bitte )?(abmelden|austragen|entfernen|loschen)\b"),
        (
            "nicht_mehr_kontaktieren",
            r"\b(nicht mehr|nie wieder) (kontaktieren|anschreiben|anrufen|schreiben)\b",
        ),
    ),
    "pt": (
        ("nao_quero_receber", r"\bnao (quero|desejo) (mais )?receber\b"),
        ("parem_de", r"\b(parem|pare|para) de (me )?(enviar|mandar|ligar|contactar|contatar)\b"),
        ("nao_enviem_mais", r"\bnao (me )?(enviem|mandem|liguem|envie|mande) mais\b"),
        (
            "tirem_me",
            r"\b(me )?(tire|tirem|remova|removam|retire|retirem)( me)? (da|desta|dessa) lista\b",
        ),
        ("descadastre_me", r"\bdescadastr(e|ar|em)( me)?\b"),
    ),
    "it": (
        ("non_voglio_piu", r"\bnon (voglio|desidero) piu (ricevere|messaggi|sms)\b"),
        (
            "smettete_di",
            r"\bsmett(ete|i|etela|ila)( di)? (inviar|mandar|scriver|chiamar|contattar)",
        ),
        (
            "non_mandate_piu",
            r"\bnon (mi )?(inviate|mandate|scrivete|chiamate|contattate)(mi)? piu\b",
        ),
        ("toglietemi", r"\b(toglietemi|rimuovetemi|cancellatemi|togliete il mio numero)\b"),
        ("basta_messaggi", r"\bbasta (messaggi|sms)\b"),
    ),
}

PATTERNS: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    language: tuple((f"{language}.{name}", re.compile(rx)) for name, rx in table)
    for language, table in _RAW.items()
}


def free_text_opt_out(phrase: str, languages: Iterable[str]) -> str | None:
    """The name of the first pattern that reads ``phrase`` as a request to stop, or ``None``."""
    for language in dict.fromkeys(["en", *languages]):
        for name, pattern in PATTERNS.get(language, ()):
            if pattern.search(phrase):
                return name
    return None
