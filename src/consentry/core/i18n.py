"""The words of the hosted pages and of Consentry's own messages, in English, French and
Spanish (a dict per language; every language has every key, a test holds them equal).

The language is the contact's locale (``fr-CA`` → ``fr``), else the browser's
``Accept-Language``, else English. Standard library only.
"""

from __future__ import annotations

LANGUAGES = ("en", "fr", "es")
DEFAULT = "en"

EN = {
    "title_preferences": "Your email preferences",
    "title_unsubscribe": "Unsubscribe",
    "title_confirm": "Confirm your subscription",
    "title_request": "Manage your preferences",
    "title_error": "This link cannot be used",
    "one_click_done": "Done: you are unsubscribed.",
    "intro": "Choose which messages you no longer want to receive.",
    "level_legend": "From whom",
    "level_user": "Just this sender: {name}",
    "level_client": "Everything from {name}",
    "level_group": "Everything from {name} (all senders)",
    "channels_legend": "On which channels",
    "unsubscribe_button": "Unsubscribe",
    "opt_in_legend": "Changed your mind?",
    "opt_in_button": "Opt back in",
    "status_heading": "Your current status",
    "status_level": "Level",
    "status_channel": "Channel",
    "status_none": "no choice recorded",
    "status_pending": "waiting for your confirmation",
    "status_opted_in": "subscribed",
    "status_soft_opt_out": "unsubscribed",
    "status_hard_opt_out": "unsubscribed by you",
    "effective": "Messages on {channel}: {status}",
    "result_opted_out": "Done: you are unsubscribed from {channels} — {level}.",
    "result_opted_in": "Done: you are subscribed again to {channels} — {level}.",
    "result_confirmation_sent": (
        "We sent a confirmation message. Follow its link to opt back in to {channels} — {level}."
    ),
    "result_confirmed": "Thank you: your subscription to {channels} — {level} is confirmed.",
    "result_unchanged": "Nothing needed to change: {channels} — {level}.",
    "confirm_intro": "Please confirm that you want to receive {channels} messages — {level}.",
    "confirm_button": "Yes, confirm",
    "request_intro": (
        "Enter your email address or mobile number. If we know it, we will send you a link "
        "to manage your preferences."
    ),
    "address_label": "Email address or mobile number",
    "send_button": "Send me a link",
    "request_sent": (
        "If this address is known to us, a link to manage your preferences is on its way. "
        "It works for 2 days."
    ),
    "rate_limited": "Too many requests. Please try again in an hour.",
    "invalid_address": "Please enter a valid email address or mobile number (with +country code).",
    "invalid_choice": "Please choose a level and at least one channel.",
    "error_link_invalid": "This link is not valid. It may have been copied incompletely.",
    "error_link_expired": "This link has expired. Ask for a new one below.",
    "error_code": "Error code",
    "error_other": "This could not be done. Please ask for a new link.",
    "new_link": "Ask for a new link",
    "channel_email": "email",
    "channel_sms": "SMS",
    "channel_mms": "MMS",
    "channel_rcs": "RCS",
    "channel_whatsapp": "WhatsApp",
    "channel_voice": "phone calls",
    "channel_post": "post",
    "channel_push": "push notifications",
    "mail_confirm_subject": "Please confirm your subscription to {sender}",
    "mail_confirm_body": (
        "You asked to receive messages from {sender} again.\n\n"
        "Confirm here: {link}\n\n"
        "If you did not ask for this, ignore this message and nothing will change."
    ),
    "mail_preferences_subject": "Manage your preferences",
    "mail_preferences_body": (
        "You asked for a link to manage the messages you receive.\n\n"
        "Open it here: {link}\n\n"
        "The link works for 2 days. If you did not ask for it, ignore this message."
    ),
}

FR = {
    "title_preferences": "Vos préférences de communication",
    "title_unsubscribe": "Se désabonner",
    "title_confirm": "Confirmez votre abonnement",
    "title_request": "Gérer vos préférences",
    "title_error": "Ce lien ne peut pas être utilisé",
    "one_click_done": "C'est fait : vous êtes désabonné.",
    "intro": "Choisissez les messages que vous ne souhaitez plus recevoir.",
    "level_legend": "De la part de qui",
    "level_user": "Uniquement cet expéditeur : {name}",
    "level_client": "Tout ce qui vient de {name}",
    "level_group": "Tout ce qui vient de {name} (tous les expéditeurs)",
    "channels_legend": "Sur quels canaux",
    "unsubscribe_button": "Se désabonner",
    "opt_in_legend": "Vous avez changé d'avis ?",
    "opt_in_button": "Se réabonner",
    "status_heading": "Votre statut actuel",
    "status_level": "Niveau",
    "status_channel": "Canal",
    "status_none": "aucun choix enregistré",
    "status_pending": "en attente de votre confirmation",
    "status_opted_in": "abonné",
    "status_soft_opt_out": "désabonné",
    "status_hard_opt_out": "désabonné par vous",
    "effective": "Messages par {channel} : {status}",
    "result_opted_out": "C'est fait : vous êtes désabonné de {channels} — {level}.",
    "result_opted_in": "C'est fait : vous êtes de nouveau abonné à {channels} — {level}.",
    "result_confirmation_sent": (
        "Nous vous avons envoyé un message de confirmation. Suivez son lien pour vous "
        "réabonner à {channels} — {level}."
    ),
    "result_confirmed": "Merci : votre abonnement à {channels} — {level} est confirmé.",
    "result_unchanged": "Rien à changer : {channels} — {level}.",
    "confirm_intro": "Confirmez que vous souhaitez recevoir les messages par {channels} — {level}.",
    "confirm_button": "Oui, je confirme",
    "request_intro": (
        "Saisissez votre adresse e-mail ou votre numéro de mobile. Si nous le connaissons, "
        "nous vous enverrons un lien pour gérer vos préférences."
    ),
    "address_label": "Adresse e-mail ou numéro de mobile",
    "send_button": "M'envoyer un lien",
    "request_sent": (
        "Si cette adresse nous est connue, un lien pour gérer vos préférences vous a été "
        "envoyé. Il est valable 2 jours."
    ),
    "rate_limited": "Trop de demandes. Veuillez réessayer dans une heure.",
    "invalid_address": (
        "Veuillez saisir une adresse e-mail ou un numéro de mobile valide (avec +indicatif)."
    ),
    "invalid_choice": "Veuillez choisir un niveau et au moins un canal.",
    "error_link_invalid": "Ce lien n'est pas valide. Il a peut-être été copié incomplètement.",
    "error_link_expired": "Ce lien a expiré. Demandez-en un nouveau ci-dessous.",
    "error_code": "Code d'erreur",
    "error_other": "Cette action n'a pas pu aboutir. Demandez un nouveau lien.",
    "new_link": "Demander un nouveau lien",
    "channel_email": "e-mail",
    "channel_sms": "SMS",
    "channel_mms": "MMS",
    "channel_rcs": "RCS",
    "channel_whatsapp": "WhatsApp",
    "channel_voice": "appels téléphoniques",
    "channel_post": "courrier",
    "channel_push": "notifications",
    "mail_confirm_subject": "Confirmez votre abonnement à {sender}",
    "mail_confirm_body": (
        "Vous avez demandé à recevoir de nouveau les messages de {sender}.\n\n"
        "Confirmez ici : {link}\n\n"
        "Si vous n'avez rien demandé, ignorez ce message : rien ne changera."
    ),
    "mail_preferences_subject": "Gérer vos préférences",
    "mail_preferences_body": (
        "Vous avez demandé un lien pour gérer les messages que vous recevez.\n\n"
        "Ouvrez-le ici : {link}\n\n"
        "Le lien est valable 2 jours. Si vous n'avez rien demandé, ignorez ce message."
    ),
}

ES = {
    "title_preferences": "Sus preferencias de comunicación",
    "title_unsubscribe": "Darse de baja",
    "title_confirm": "Confirme su suscripción",
    "title_request": "Gestionar sus preferencias",
    "title_error": "Este enlace no se puede usar",
    "one_click_done": "Hecho: se ha dado de baja.",
    "intro": "Elija qué mensajes ya no desea recibir.",
    "level_legend": "De quién",
    "level_user": "Solo este remitente: {name}",
    "level_client": "Todo lo que envía {name}",
    "level_group": "Todo lo que envía {name} (todos los remitentes)",
    "channels_legend": "Por qué canales",
    "unsubscribe_button": "Darse de baja",
    "opt_in_legend": "¿Ha cambiado de opinión?",
    "opt_in_button": "Volver a suscribirse",
    "status_heading": "Su estado actual",
    "status_level": "Nivel",
    "status_channel": "Canal",
    "status_none": "ninguna elección registrada",
    "status_pending": "pendiente de su confirmación",
    "status_opted_in": "suscrito",
    "status_soft_opt_out": "dado de baja",
    "status_hard_opt_out": "dado de baja por usted",
    "effective": "Mensajes por {channel}: {status}",
    "result_opted_out": "Hecho: se ha dado de baja de {channels} — {level}.",
    "result_opted_in": "Hecho: vuelve a estar suscrito a {channels} — {level}.",
    "result_confirmation_sent": (
        "Le hemos enviado un mensaje de confirmación. Siga su enlace para volver a "
        "suscribirse a {channels} — {level}."
    ),
    "result_confirmed": "Gracias: su suscripción a {channels} — {level} está confirmada.",
    "result_unchanged": "No había nada que cambiar: {channels} — {level}.",
    "confirm_intro": "Confirme que desea recibir mensajes por {channels} — {level}.",
    "confirm_button": "Sí, confirmar",
    "request_intro": (
        "Introduzca su correo electrónico o su número de móvil. Si lo conocemos, le "
        "enviaremos un enlace para gestionar sus preferencias."
    ),
    "address_label": "Correo electrónico o número de móvil",
    "send_button": "Enviarme un enlace",
    "request_sent": (
        "Si conocemos esta dirección, le hemos enviado un enlace para gestionar sus "
        "preferencias. Es válido durante 2 días."
    ),
    "rate_limited": "Demasiadas solicitudes. Vuelva a intentarlo dentro de una hora.",
    "invalid_address": (
        "Introduzca un correo electrónico o un número de móvil válido (con +prefijo)."
    ),
    "invalid_choice": "Elija un nivel y al menos un canal.",
    "error_link_invalid": "Este enlace no es válido. Puede que se haya copiado incompleto.",
    "error_link_expired": "Este enlace ha caducado. Solicite uno nuevo a continuación.",
    "error_code": "Código de error",
    "error_other": "No se ha podido realizar. Solicite un enlace nuevo.",
    "new_link": "Solicitar un enlace nuevo",
    "channel_email": "correo electrónico",
    "channel_sms": "SMS",
    "channel_mms": "MMS",
    "channel_rcs": "RCS",
    "channel_whatsapp": "WhatsApp",
    "channel_voice": "llamadas",
    "channel_post": "correo postal",
    "channel_push": "notificaciones",
    "mail_confirm_subject": "Confirme su suscripción a {sender}",
    "mail_confirm_body": (
        "Ha pedido volver a recibir mensajes de {sender}.\n\n"
        "Confírmelo aquí: {link}\n\n"
        "Si no lo ha pedido, ignore este mensaje y nada cambiará."
    ),
    "mail_preferences_subject": "Gestionar sus preferencias",
    "mail_preferences_body": (
        "Ha pedido un enlace para gestionar los mensajes que recibe.\n\n"
        "Ábralo aquí: {link}\n\n"
        "El enlace es válido durante 2 días. Si no lo ha pedido, ignore este mensaje."
    ),
}

CATALOGUE: dict[str, dict[str, str]] = {"en": EN, "fr": FR, "es": ES}


def pick_language(locale: str | None, accept_language: str | None = None) -> str:
    """The contact's language if we have it, else the browser's first we have, else English."""
    candidates = [locale or ""]
    for item in (accept_language or "").split(","):
        candidates.append(item.split(";")[0])
    for candidate in candidates:
        lang = candidate.strip().replace("_", "-").split("-")[0].lower()
        if lang in CATALOGUE:
            return lang
    return DEFAULT


def words(lang: str) -> dict[str, str]:
    """The catalogue of one language (English when unknown)."""
    return CATALOGUE.get(lang, EN)


def message_text(lang: str, template: str, **values: str) -> tuple[str, str]:
    """The subject and body of one of Consentry's own messages."""
    catalogue = words(lang)
    subject = catalogue[f"mail_{template}_subject"].format(**values)
    return subject, catalogue[f"mail_{template}_body"].format(**values)
