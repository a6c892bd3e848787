"""The hypnotic builtins: timed, printed inductions. The reference always prints English; the
`...Localized` variants take a locale (en, de, fr, es)."""

from __future__ import annotations

from hypnoscript.runtime.builtins.args import as_integer, as_number, as_string
from hypnoscript.runtime.builtins.localization import message
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import sleep_ms, write_line
from hypnoscript.runtime.context import current


def deep_trance(ms: float, locale: str | None) -> None:
    current().capabilities.check("clock")
    write_line(message("trance.enter", locale))
    sleep_ms(ms)
    write_line(message("trance.emerge", locale))


def countdown(n: int, locale: str | None) -> None:
    current().capabilities.check("clock")
    for i in range(n, 0, -1):
        write_line(message("countdown.sleepy", locale, str(i)))
        sleep_ms(1000)
    write_line(message("countdown.done", locale))


def induction(name: str, locale: str | None) -> None:
    current().capabilities.check("clock")
    write_line(message("induction.welcome", locale, name))
    sleep_ms(2000)
    write_line(message("induction.breath", locale))
    sleep_ms(1500)
    write_line(message("induction.relaxed", locale))
    sleep_ms(1500)
    write_line(message("induction.clear", locale))
    sleep_ms(1000)


def visualization(scene: str, locale: str | None) -> None:
    current().capabilities.check("clock")
    write_line(message("visualization.imagine", locale, scene))
    sleep_ms(1500)
    write_line(message("visualization.vivid", locale))
    sleep_ms(1500)
    write_line(message("visualization.peace", locale))
    sleep_ms(1000)


@builtin(
    "hypnotic",
    "DeepTrance(ms: number) -> null",
    "Print the trance messages around a pause of ms milliseconds",
    capability="clock",
)
def _deep_trance(ms):
    deep_trance(as_number(ms, "DeepTrance", 1), None)


@builtin(
    "hypnotic",
    "HypnoticCountdown(from: number) -> null",
    "Count down from n to 1, one second per line, then announce the trance",
    capability="clock",
)
def _hypnotic_countdown(n):
    countdown(as_integer(n, "HypnoticCountdown", 1), None)


@builtin(
    "hypnotic",
    "TranceInduction(name: string) -> null",
    "A four-line timed trance induction for name",
    capability="clock",
)
def _trance_induction(name):
    induction(as_string(name, "TranceInduction", 1), None)


@builtin(
    "hypnotic",
    "HypnoticVisualization(scene: string) -> null",
    "A three-line timed visualization of scene",
    capability="clock",
)
def _hypnotic_visualization(scene):
    visualization(as_string(scene, "HypnoticVisualization", 1), None)


@builtin(
    "hypnotic",
    "DeepTranceLocalized(ms: number, locale: string) -> null",
    "DeepTrance in the given locale",
    capability="clock",
)
def _deep_trance_localized(ms, locale):
    deep_trance(as_number(ms, "DeepTranceLocalized", 1), as_string(locale, "DeepTranceLocalized", 2))


@builtin(
    "hypnotic",
    "HypnoticCountdownLocalized(from: number, locale: string) -> null",
    "HypnoticCountdown in the given locale",
    capability="clock",
)
def _hypnotic_countdown_localized(n, locale):
    countdown(as_integer(n, "HypnoticCountdownLocalized", 1), as_string(locale, "HypnoticCountdownLocalized", 2))


@builtin(
    "hypnotic",
    "TranceInductionLocalized(name: string, locale: string) -> null",
    "TranceInduction in the given locale",
    capability="clock",
)
def _trance_induction_localized(name, locale):
    induction(as_string(name, "TranceInductionLocalized", 1), as_string(locale, "TranceInductionLocalized", 2))


@builtin(
    "hypnotic",
    "HypnoticVisualizationLocalized(scene: string, locale: string) -> null",
    "HypnoticVisualization in the given locale",
    capability="clock",
)
def _hypnotic_visualization_localized(scene, locale):
    visualization(
        as_string(scene, "HypnoticVisualizationLocalized", 1), as_string(locale, "HypnoticVisualizationLocalized", 2)
    )
