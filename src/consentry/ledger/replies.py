"""Consentry's own answers to keywords, in the language the contact wrote in.

A receiving number may set its own HELP, opt-out and opt-in texts (used for every language);
without them the contact gets the default below in the language of the keyword they sent
(``ARRET`` → French, ``AYUDA`` → Spanish), English otherwise. Canada requires the French
answers to ARRET / AIDE; the CTIA handbook asks every answer to name the way back (START)
and the way out (STOP).
"""

from __future__ import annotations

from consentry.core.keywords import KeywordKind
from consentry.core.messaging import NumberConfig

_K = KeywordKind
DEFAULT_REPLIES: dict[str, dict[KeywordKind, str]] = {
    "en": {
        _K.OPT_OUT: "You are unsubscribed and will get no more messages from this number. "
        "Reply START to subscribe again.",
        _K.OPT_IN: "You are subscribed again to messages from this number. "
        "Reply HELP for help, STOP to unsubscribe.",
        _K.HELP: "Reply STOP to unsubscribe, START to subscribe again. Msg & data rates may apply.",
    },
    "fr": {
        _K.OPT_OUT: "Vous êtes désabonné(e) et ne recevrez plus de messages de ce numéro. "
        "Répondez START pour vous réabonner.",
        _K.OPT_IN: "Vous êtes de nouveau abonné(e) aux messages de ce numéro. "
        "Répondez AIDE pour de l'aide, ARRET pour vous désabonner.",
        _K.HELP: "Répondez ARRET pour vous désabonner, START pour vous réabonner. "
        "Des frais de messagerie peuvent s'appliquer.",
    },
    "es": {
        _K.OPT_OUT: "Se ha dado de baja y no recibirá más mensajes de este número. "
        "Responda START para volver a suscribirse.",
        _K.OPT_IN: "Está suscrito de nuevo a los mensajes de este número. "
        "Responda AYUDA para obtener ayuda, BAJA para darse de baja.",
        _K.HELP: "Responda BAJA para darse de baja, START para volver a suscribirse. "
        "Pueden aplicarse tarifas de mensajes y datos.",
    },
    "de": {
        _K.OPT_OUT: "Sie sind abgemeldet und erhalten keine Nachrichten mehr von dieser Nummer. "
        "Antworten Sie START, um sich wieder anzumelden.",
        _K.OPT_IN: "Sie sind wieder für Nachrichten von dieser Nummer angemeldet. "
        "Antworten Sie HILFE für Hilfe, STOPP zum Abmelden.",
        _K.HELP: "Antworten Sie STOPP zum Abmelden, START zum erneuten Anmelden. "
        "Es können Gebühren anfallen.",
    },
    "pt": {
        _K.OPT_OUT: "Você cancelou a inscrição e não receberá mais mensagens deste número. "
        "Responda START para voltar a receber.",
        _K.OPT_IN: "Você voltou a receber mensagens deste número. "
        "Responda AJUDA para obter ajuda, SAIR para cancelar.",
        _K.HELP: "Responda SAIR para cancelar, START para voltar a receber. "
        "Podem ser cobradas tarifas de mensagens e dados.",
    },
    "it": {
        _K.OPT_OUT: "Sei stato disiscritto e non riceverai più messaggi da questo numero. "
        "Rispondi START per iscriverti di nuovo.",
        _K.OPT_IN: "Sei di nuovo iscritto ai messaggi di questo numero. "
        "Rispondi AIUTO per assistenza, ANNULLA per disiscriverti.",
        _K.HELP: "Rispondi ANNULLA per disiscriverti, START per iscriverti di nuovo. "
        "Potrebbero essere applicati costi per messaggi e dati.",
    },
}


def reply_text(number: NumberConfig, kind: KeywordKind, language: str | None) -> str:
    """The number's own text for the answer, or the default in the contact's language."""
    if kind is KeywordKind.OPT_OUT_ALL:
        kind = KeywordKind.OPT_OUT
    custom = {
        KeywordKind.OPT_OUT: number.opt_out_text,
        KeywordKind.OPT_IN: number.opt_in_text,
        KeywordKind.HELP: number.help_text,
    }[kind]
    defaults = DEFAULT_REPLIES.get(language or "en", DEFAULT_REPLIES["en"])
    return custom or defaults[kind]
