"""Locales and the translated texts (English, German, French, Spanish) of the hypnotic builtins
and the command-line helpers."""

from __future__ import annotations

from hypnoscript.runtime.builtins.args import as_object, as_string, optional
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.values import display

MESSAGES: dict[str, dict[str, str]] = {
    "trance.enter": {
        "en": "Entering deep trance...",
        "de": "Trete in tiefe Trance ein...",
        "fr": "Entrer en transe profonde...",
        "es": "Entrando en trance profundo...",
    },
    "trance.emerge": {
        "en": "Emerging from trance...",
        "de": "Aus der Trance auftauchen...",
        "fr": "Émerger de la transe...",
        "es": "Emergiendo del trance...",
    },
    "countdown.sleepy": {
        "en": "You are feeling very sleepy... {}",
        "de": "Du fühlst dich sehr schläfrig... {}",
        "fr": "Vous vous sentez très endormi... {}",
        "es": "Te sientes muy somnoliento... {}",
    },
    "countdown.done": {
        "en": "You are now in a deep hypnotic state.",
        "de": "Du befindest dich jetzt in einem tiefen hypnotischen Zustand.",
        "fr": "Vous êtes maintenant dans un état hypnotique profond.",
        "es": "Ahora estás en un estado hipnótico profundo.",
    },
    "induction.welcome": {
        "en": "Welcome {}, you are about to enter a deep trance...",
        "de": "Willkommen {}, du wirst gleich in eine tiefe Trance eintreten...",
        "fr": "Bienvenue {}, vous êtes sur le point d'entrer en transe profonde...",
        "es": "Bienvenido {}, estás a punto de entrar en un trance profundo...",
    },
    "induction.breath": {
        "en": "Take a deep breath and relax...",
        "de": "Atme tief ein und entspanne dich...",
        "fr": "Prenez une profonde inspiration et détendez-vous...",
        "es": "Respira profundo y relájate...",
    },
    "induction.relaxed": {
        "en": "With each breath, you feel more and more relaxed...",
        "de": "Mit jedem Atemzug fühlst du dich mehr und mehr entspannt...",
        "fr": "À chaque respiration, vous vous sentez de plus en plus détendu...",
        "es": "Con cada respiración, te sientes más y más relajado...",
    },
    "induction.clear": {
        "en": "Your mind is becoming clear and focused...",
        "de": "Dein Geist wird klar und fokussiert...",
        "fr": "Votre esprit devient clair et concentré...",
        "es": "Tu mente se vuelve clara y enfocada...",
    },
    "visualization.imagine": {
        "en": "Imagine yourself in {}...",
        "de": "Stell dir vor, du bist in {}...",
        "fr": "Imaginez-vous dans {}...",
        "es": "Imagínate en {}...",
    },
    "visualization.vivid": {
        "en": "The colors are vivid, the sounds are clear...",
        "de": "Die Farben sind lebendig, die Geräusche sind klar...",
        "fr": "Les couleurs sont vives, les sons sont clairs...",
        "es": "Los colores son vívidos, los sonidos son claros...",
    },
    "visualization.peace": {
        "en": "You feel completely at peace in this place...",
        "de": "Du fühlst dich an diesem Ort vollkommen im Frieden...",
        "fr": "Vous vous sentez complètement en paix dans cet endroit...",
        "es": "Te sientes completamente en paz en este lugar...",
    },
    "cli.default": {
        "en": " (default: {})",
        "de": " (Standard: {})",
        "fr": " (par défaut : {})",
        "es": " (predeterminado: {})",
    },
    "cli.empty": {
        "en": "Input cannot be empty.",
        "de": "Eingabe darf nicht leer sein.",
        "fr": "La saisie ne peut pas être vide.",
        "es": "La entrada no puede estar vacía.",
    },
    "cli.yes_no_default_yes": {"en": "[Y/n]", "de": "[J/n]", "fr": "[O/n]", "es": "[S/n]"},
    "cli.yes_no_default_no": {"en": "[y/N]", "de": "[j/N]", "fr": "[o/N]", "es": "[s/N]"},
    "cli.invalid_confirmation": {
        "en": "Please answer with 'y' or 'n'.",
        "de": "Bitte mit 'j' oder 'n' antworten.",
        "fr": "Veuillez répondre par 'o' ou 'n'.",
        "es": "Responda con 's' o 'n'.",
    },
}

YES_WORDS = {"en": ("y", "yes"), "de": ("j", "ja"), "fr": ("o", "oui"), "es": ("s", "si", "sí")}
NO_WORDS = {"en": ("n", "no"), "de": ("n", "nein"), "fr": ("n", "non"), "es": ("n", "no")}


def normalize(code: str | None) -> str:
    """A locale code as given, `en` when missing or empty."""
    return code or "en"


def language(code: str | None) -> str:
    """The primary language of a locale code: `de-DE` -> `de`."""
    return normalize(code).replace("_", "-").split("-")[0]


def resolve(translations: dict[str, str], fallback: str, code: str | None) -> str:
    """The translation for the full code (case-insensitive), else for its language, else fallback."""
    code = normalize(code)
    lowered = {k.lower(): v for k, v in translations.items()}
    found = lowered.get(code.lower())
    if found is None:
        found = lowered.get(language(code).lower())
    return fallback if found is None else found


def message(key: str, code: str | None = None, arg: str | None = None) -> str:
    table = MESSAGES[key]
    text = resolve(table, table["en"], code)
    return text if arg is None else text.replace("{}", arg)


@builtin("localization", "DetectLocale(code?: string) -> string", "The locale code to use: the given one, or en")
def _detect_locale(code=None):
    return normalize(as_string(optional(code, ""), "DetectLocale", 1))


@builtin(
    "localization", "LocaleLanguage(code: string) -> string", "The primary language of a locale code (de-DE -> de)"
)
def _locale_language(code):
    return language(as_string(code, "LocaleLanguage", 1))


@builtin(
    "localization",
    "LocalizedMessage(fallback: string, translations: object, locale?: string) -> string",
    "Pick the translation for a locale (full code, then language), else the fallback",
)
def _localized_message(fallback, translations, code=None):
    fallback = as_string(fallback, "LocalizedMessage", 1)
    table = {k: display(v) for k, v in as_object(translations, "LocalizedMessage", 2).items()}
    return resolve(table, fallback, as_string(optional(code, "en"), "LocalizedMessage", 3))


@builtin("localization", "SupportedLocales() -> string[]", "The languages the builtin texts are translated to")
def _supported_locales():
    return ["en", "de", "fr", "es"]
