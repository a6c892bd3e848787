"""The hypnotic builtins: timed, printed inductions. The reference always prints English; the
`...Localized` variants take a locale (en, de, fr, es). The guided-session builtins of the
documentation (breathing, relaxation, grounding, ...) print English scripts; see below."""

from __future__ import annotations

import math

from hypnoscript.runtime.builtins.args import (
    as_count,
    as_integer,
    as_number,
    as_object,
    as_string,
    optional,
    round_half_away,
)
from hypnoscript.runtime.builtins.localization import message
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import (
    program_state,
    sleep_ms,
    split_whitespace,
    write_line,
)
from hypnoscript.runtime.context import current
from hypnoscript.runtime.errors import HypArgumentError, HypError, HypTypeError
from hypnoscript.runtime.values import Record, debug_repr, display


def deep_trance(ms: float, locale: str | None) -> None:
    current().capabilities.check("clock")
    write_line(message("trance.enter", locale))
    sleep_ms(ms)
    write_line(message("trance.emerge", locale))
    _deepen(1)


def countdown(n: int, locale: str | None) -> None:
    current().capabilities.check("clock")
    for i in range(n, 0, -1):
        write_line(message("countdown.sleepy", locale, str(i)))
        sleep_ms(1000)
    write_line(message("countdown.done", locale))
    _deepen(1, 3)


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
    _deepen(2)


def visualization(scene: str, locale: str | None) -> None:
    current().capabilities.check("clock")
    write_line(message("visualization.imagine", locale, scene))
    sleep_ms(1500)
    write_line(message("visualization.vivid", locale))
    sleep_ms(1500)
    write_line(message("visualization.peace", locale))
    sleep_ms(1000)
    _deepen(1)


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


# --- guided sessions ------------------------------------------------------------------------------
#
# The builtins below print short English scripts for a guided session. Their pauses are brief
# pacing beats (a script run as a program should not block for minutes): a duration a page passes
# in seconds is spoken to the listener ("take the next 60 seconds ..."), not waited.
#
# Each running program has a simulated session state: a trance depth from 1 (awake) to 10 that the
# inductions deepen and Grounding/EmergencyExit bring back to 1, the anchors set so far, and whether
# an emergency exit happened. TranceDepth, HypnoticResponsiveness, SuggestionAcceptance and
# SafetyCheck report from that state; nothing is measured.

_BEAT_MS = 250.0
_MAX_DEPTH = 10


class _Session:
    __slots__ = ("anchors", "depth", "ego_states", "emergency")

    def __init__(self) -> None:
        self.depth = 1
        self.anchors: dict[str, str] = {}
        self.emergency = False
        self.ego_states = 0


def _session() -> _Session:
    return program_state("hypnotic", _Session)


def _deepen(by: int, at_least: int = 1) -> None:
    state = _session()
    state.depth = min(_MAX_DEPTH, max(state.depth + by, at_least))


def _awaken(emergency: bool) -> None:
    state = _session()
    state.depth = 1
    state.emergency = emergency


def _say(text: str, beats: float = 1.0) -> None:
    write_line(text)
    sleep_ms(_BEAT_MS * beats)


def _clock() -> None:
    current().capabilities.check("clock")


def _seconds(v, name: str, pos: int) -> str | None:
    """An optional duration in seconds, as the script speaks it (None when left out)."""
    if v is None:
        return None
    x = as_number(v, name, pos)
    if not (x >= 0) or x == math.inf:
        raise HypArgumentError(f"Builtin '{name}' expected a duration of zero or more seconds at position {pos}")
    return display(x)


def _fraction(v, name: str, pos: int, default: float) -> float:
    """An optional level between 0 and 1."""
    if v is None:
        return default
    x = as_number(v, name, pos)
    if not (0.0 <= x <= 1.0):
        raise HypArgumentError(f"Builtin '{name}' expected a level between 0 and 1 at position {pos}")
    return x


def _percent(x: float) -> str:
    return display(round_half_away(x * 100.0))


def _choice(v, name: str, pos: int, choices: tuple[str, ...], default: str | None = None) -> str:
    if v is None and default is not None:
        return default
    s = as_string(v, name, pos).strip().lower()
    if s not in choices:
        raise HypArgumentError(f"Builtin '{name}' expected one of {', '.join(choices)} at position {pos}, got '{s}'")
    return s


def _named(v, name: str, pos: int, what: str) -> str:
    """The name of a habit, part or ego state: a string, or an object with a `name` field."""
    if type(v) is str:
        return v
    if type(v) is dict or type(v) is Record:
        fields = as_object(v, name, pos)
        if type(fields.get("name")) is str:
            return fields["name"]
    raise HypTypeError(f"Builtin '{name}' expected a {what} (a string or an object with a name) at position {pos}, "
                       f"got {debug_repr(v)}")


def _update(v: object, **fields: object) -> None:
    """Record progress in a habit/part/timeline object that the program passed back."""
    if type(v) is dict:
        v.update(fields)  # type: ignore[union-attr]


@builtin(
    "hypnotic",
    "HypnoticBreathing(cycles?: number) -> null",
    "A guided breathing exercise of cycles slow breaths (5 by default)",
    capability="clock",
)
def _hypnotic_breathing(cycles=None):
    n = as_count(optional(cycles, 5.0), "HypnoticBreathing", 1)
    _clock()
    write_line(f"Let's breathe together: {n} slow, deep breath{'' if n == 1 else 's'}.")
    for i in range(1, n + 1):
        _say(f"Breathe in slowly... ({i}/{n})")
        _say("...and breathe out, letting go.")
    write_line("Your breathing is calm and even now.")
    _deepen(1 if n < 10 else 2)


@builtin(
    "hypnotic",
    "HypnoticAnchoring(anchorName: string, feeling?: string) -> null",
    "Set an anchor linked to a feeling (calm by default); naming an anchor again activates it",
    capability="clock",
)
def _hypnotic_anchoring(anchor, feeling=None):
    anchor = as_string(anchor, "HypnoticAnchoring", 1)
    feeling = None if feeling is None else as_string(feeling, "HypnoticAnchoring", 2)
    _clock()
    anchors = _session().anchors
    if anchor in anchors and feeling in (None, anchors[anchor]):
        _say(f"Anchor '{anchor}' activated: {anchors[anchor]} flows back through you.")
        return
    anchors[anchor] = feeling = feeling or "calm"
    _say(f"Focus on the feeling of {feeling}... let it grow stronger.")
    _say(f"Anchor '{anchor}' set: whenever you think of '{anchor}', the {feeling} returns.")


@builtin(
    "hypnotic",
    "HypnoticRegression(targetAge?: number) -> null",
    "A guided age regression, to the given age or to a pleasant early memory",
    capability="clock",
)
def _hypnotic_regression(age=None):
    age = None if age is None else as_count(age, "HypnoticRegression", 1)
    _clock()
    _say("Drifting back through time, year by year...")
    if age is None:
        _say("...back to a pleasant memory from long ago.")
    else:
        _say(f"...back to the time when you were {age} years old.")
    _say("Notice what you see, hear and feel there, safely, as an observer.")
    _deepen(1)


@builtin(
    "hypnotic",
    "HypnoticFutureProgression(yearsAhead?: number) -> null",
    "A guided visit to the future self, yearsAhead years from now or at an open time",
    capability="clock",
)
def _hypnotic_future_progression(years=None):
    years = None if years is None else as_count(years, "HypnoticFutureProgression", 1)
    _clock()
    if years is None:
        _say("Drifting forward in time, to a future where your goals have come true...")
    else:
        _say(f"Drifting forward in time, {years} year{'s' if years != 1 else ''} from now...")
    _say("See your future self: calm, confident and content.")
    _say("Bring that feeling back with you into the present.")


_MUSCLE_GROUPS = ("feet and legs", "hands and arms", "stomach and back", "shoulders and neck", "face and jaw")


@builtin(
    "hypnotic",
    "ProgressiveRelaxation(durationPerGroup?: number) -> null",
    "Progressive muscle relaxation through five muscle groups, holding each for durationPerGroup seconds (5 by "
    "default, spoken to the listener)",
    capability="clock",
)
def _progressive_relaxation(duration=None):
    seconds = _seconds(optional(duration, 5.0), "ProgressiveRelaxation", 1)
    _clock()
    write_line("Progressive relaxation: tense each muscle group, then let it go.")
    for group in _MUSCLE_GROUPS:
        _say(f"Tense your {group}, hold for {seconds} seconds... and release.")
    write_line("Your whole body is heavy and relaxed now.")
    _deepen(2)


@builtin(
    "hypnotic",
    "HypnoticSuggestion(suggestion: string, repetitions?: number) -> string",
    "Speak the suggestion repetitions times (once by default) and return it",
    capability="clock",
)
def _hypnotic_suggestion(text, repetitions=None):
    text = as_string(text, "HypnoticSuggestion", 1)
    n = as_count(optional(repetitions, 1.0), "HypnoticSuggestion", 2)
    _clock()
    for _ in range(n):
        _say(text)
    return text


_LEVELS = ("light", "medium", "deep", "very deep", "deepest")


@builtin(
    "hypnotic",
    "TranceDeepening(level?: number) -> null",
    "Deepen the trance to level 1 (light) .. 5 (deepest), 2 by default",
    capability="clock",
)
def _trance_deepening(level=None):
    level = as_integer(optional(level, 2.0), "TranceDeepening", 1)
    if not 1 <= level <= 5:
        raise HypArgumentError("Builtin 'TranceDeepening' expected a level from 1 to 5 at position 1")
    _clock()
    for _ in range(level):
        _say("Deeper... and deeper...")
    write_line(f"You are now in a {_LEVELS[level - 1]} trance (level {level}).")
    _deepen(1, 2 * level)


@builtin(
    "hypnotic",
    "EgoStateTherapy(action: string, state?: any) -> any",
    "Ego-state work: identify (returns a new ego state object), communicate or integrate (with that state)",
    capability="clock",
)
def _ego_state_therapy(action, state=None):
    action = _choice(action, "EgoStateTherapy", 1, ("identify", "communicate", "integrate"))
    if action == "identify":
        _clock()
        session = _session()
        session.ego_states += 1
        found = {"name": f"ego state {session.ego_states}", "status": "identified"}
        _say(f"Allow a part of your personality to come forward... {found['name']} is here.")
        return found
    if state is None:
        raise HypError(f"Builtin 'EgoStateTherapy' needs the ego state for '{action}' at position 2")
    name = _named(state, "EgoStateTherapy", 2, "ego state")
    _clock()
    if action == "communicate":
        _say(f"Speaking with {name}: what do you need, and how do you want to help?")
        _update(state, status="heard")
    else:
        _say(f"Thank {name} for its work, and let it join the whole self.")
        _update(state, status="integrated")
    return None


@builtin(
    "hypnotic",
    "PartsWork(action: string, partName: any, message?: string) -> any",
    "Parts work: find (returns a part object for the name), communicate (tell the part message) or integrate",
    capability="clock",
)
def _parts_work(action, part, message=None):
    action = as_string(action, "PartsWork", 1)
    name = _named(part, "PartsWork", 2, "part")
    message = None if message is None else as_string(message, "PartsWork", 3)
    action = _choice(action, "PartsWork", 1, ("find", "communicate", "integrate"))
    _clock()
    if action == "find":
        _say(f"Find the part of you that holds the {name}... notice where it lives.")
        return {"name": name, "status": "found"}
    if action == "communicate":
        _say(f"To the part '{name}': {message if message is not None else 'you are heard.'}")
        _update(part, status="heard")
    else:
        _say(f"The part '{name}' and the rest of you now work together.")
        _update(part, status="integrated")
    return None


@builtin(
    "hypnotic",
    "TimelineTherapy(action: string, timeline?: object, location?: string) -> any",
    "Timeline work: create (returns a timeline object), navigate (to location) or heal (at the current position)",
    capability="clock",
)
def _timeline_therapy(action, timeline=None, location=None):
    action = as_string(action, "TimelineTherapy", 1)
    fields = None if timeline is None else as_object(timeline, "TimelineTherapy", 2)
    if fields is not None and type(timeline) is not dict:
        timeline = fields = dict(fields)  # a record stays unchanged: the progress goes into a copy
    where = None if location is None else as_string(location, "TimelineTherapy", 3)
    action = _choice(action, "TimelineTherapy", 1, ("create", "navigate", "heal"))
    if action == "create":
        _clock()
        _say("Imagine your life as a line: the past behind you, the future ahead.")
        return {"position": "present", "visited": ["present"]}
    if fields is None:
        raise HypError(f"Builtin 'TimelineTherapy' needs the timeline for '{action}' at position 2")
    if action == "navigate":
        if where is None:
            raise HypError("Builtin 'TimelineTherapy' needs a location to navigate to at position 3")
        _clock()
        _say(f"Float up above your timeline and drift toward the {where}...")
        fields["position"] = where
        visited = fields.get("visited")
        if type(visited) is list:
            fields["visited"] = [*visited, where]
        return timeline
    if where is None:
        where = display(fields.get("position", "present"))
    _clock()
    _say(f"At the {where}, take the learnings and let the old emotions go.")
    fields["healed"] = True
    return timeline


@builtin(
    "hypnotic",
    "HypnoticPacing(statement: string) -> null",
    "Pacing: speak a statement that matches the listener's present experience",
    capability="clock",
)
def _hypnotic_pacing(statement):
    statement = as_string(statement, "HypnoticPacing", 1)
    _clock()
    _say(statement)


@builtin(
    "hypnotic",
    "HypnoticLeading(statement: string) -> null",
    "Leading: speak a statement that guides the listener in the desired direction",
    capability="clock",
)
def _hypnotic_leading(statement):
    statement = as_string(statement, "HypnoticLeading", 1)
    _clock()
    _say(statement, 2.0)


@builtin(
    "hypnotic",
    "PainManagement(action: string, painType: string, transformation?: string) -> null",
    "Pain script: reduce (or relieve), transform (into transformation, warmth by default) or eliminate the pain",
    capability="clock",
)
def _pain_management(action, pain, transformation=None):
    action = as_string(action, "PainManagement", 1)
    pain = as_string(pain, "PainManagement", 2)
    transformation = None if transformation is None else as_string(transformation, "PainManagement", 3)
    action = _choice(action, "PainManagement", 1, ("reduce", "relieve", "transform", "eliminate"))
    _clock()
    _say(f"Notice the pain ({pain}), and imagine a dial that controls it.")
    if action in ("reduce", "relieve"):
        _say("Turn the dial down, slowly... lower... and lower.")
        _say("The pain fades into the background.")
    elif action == "transform":
        _say("Let the pain change its shape and colour...")
        _say(f"...until all that is left is {transformation or 'a gentle warmth'}.")
    else:
        _say("Turn the dial all the way down...")
        _say("...and let the pain drain away completely.")


@builtin(
    "hypnotic",
    "AnxietyReduction(type?: string, reductionLevel?: number) -> null",
    "Anxiety script for the given kind (general, social, performance, ...) aiming at reductionLevel (0..1, 0.5 "
    "by default)",
    capability="clock",
)
def _anxiety_reduction(kind=None, level=None):
    kind = as_string(optional(kind, "general"), "AnxietyReduction", 1)
    level = _fraction(level, "AnxietyReduction", 2, 0.5)
    _clock()
    _say(f"Picture the {kind} anxiety as a weight you have been carrying.")
    _say("With each breath out, set a little more of it down.")
    _say(f"Your {kind} anxiety is {_percent(level)}% lighter now.")


@builtin(
    "hypnotic",
    "ConfidenceBuilding(area?: string, level?: number) -> null",
    "Confidence script, in general or for an area, toward level (0..1, 0.8 by default)",
    capability="clock",
)
def _confidence_building(area=None, level=None):
    area = None if area is None else as_string(area, "ConfidenceBuilding", 1)
    level = _fraction(level, "ConfidenceBuilding", 2, 0.8)
    where = f" in {area}" if area else ""
    _clock()
    _say("Remember a moment when you did something well... feel it again.")
    _say(f"That confidence grows{where}, stronger with every breath.")
    _say(f"Your confidence{where} is at {_percent(level)}% now.")


@builtin(
    "hypnotic",
    "HabitChange(action: string, habit: any, replacement?: string) -> object",
    "Habit script: identify (returns a habit object for the name), modify (replace it with replacement) or "
    "eliminate; returns the habit",
    capability="clock",
)
def _habit_change(action, habit, replacement=None):
    action = as_string(action, "HabitChange", 1)
    name = _named(habit, "HabitChange", 2, "habit")
    replacement = None if replacement is None else as_string(replacement, "HabitChange", 3)
    action = _choice(action, "HabitChange", 1, ("identify", "modify", "eliminate"))
    if action == "modify" and replacement is None:
        raise HypError("Builtin 'HabitChange' needs the replacement behaviour for 'modify' at position 3")
    _clock()
    result = habit if type(habit) is dict else {"name": name, "replacement": None, "status": "identified"}
    if action == "identify":
        _say(f"Habit identified: {name}. Notice what starts it and what it gives you.")
    elif action == "modify":
        _say(f"Whenever the urge for {name} appears, you choose {replacement} instead.")
        _say(f"{replacement[:1].upper()}{replacement[1:]} feels natural and satisfying.")
        _update(result, replacement=replacement, status="modified")
    else:
        _say(f"Let the habit of {name} go, for good.")
        _update(result, status="eliminated")
    return result


@builtin(
    "hypnotic",
    "TranceDepth() -> number",
    "The simulated trance depth of this program's session, 1 (awake) to 10",
    pure=False,
)
def _trance_depth():
    return float(_session().depth)


@builtin(
    "hypnotic",
    "HypnoticResponsiveness() -> number",
    "Simulated responsiveness in percent: the session's trance depth times 10",
    pure=False,
)
def _hypnotic_responsiveness():
    return float(_session().depth * 10)


_NEGATIONS = frozenset(["not", "no", "never", "don't", "can't", "won't", "cannot", "nothing", "nicht", "kein", "keine", "nie", "niemals"])


@builtin(
    "hypnotic",
    "SuggestionAcceptance(suggestion: string) -> number",
    "Simulated acceptance in percent: 50 plus 5 per trance depth level, minus 15 per negation and 2 per word "
    "beyond 20 (0..100)",
    pure=False,
)
def _suggestion_acceptance(text):
    words = [w.strip(".,;:!?\"'()").lower() for w in split_whitespace(as_string(text, "SuggestionAcceptance", 1))]
    negations = sum(1 for w in words if w in _NEGATIONS or w.endswith("n't"))
    score = 50 + 5 * _session().depth - 15 * negations - 2 * max(0, len(words) - 20)
    return float(min(100, max(0, score)))


@builtin(
    "hypnotic",
    "SafetyCheck() -> object",
    "The session's safety status {isSafe, warning, depth}: unsafe after an emergency exit until Grounding, or in "
    "a trance deeper than 8",
    pure=False,
)
def _safety_check():
    state = _session()
    warning = ""
    if state.emergency:
        warning = "An emergency exit happened in this session: ground the client before going on"
    elif state.depth > 8:
        warning = f"Very deep trance (depth {state.depth}): bring the client up before new work"
    return {"isSafe": not warning, "warning": warning, "depth": float(state.depth)}


@builtin(
    "hypnotic",
    "EmergencyExit(mode?: string) -> null",
    "End the trance at once (immediate, the default) or with a quick count up from 1 to 5 (gentle)",
    capability="clock",
)
def _emergency_exit(mode=None):
    mode = _choice(mode, "EmergencyExit", 1, ("immediate", "gentle"), "immediate")
    _clock()
    if mode == "immediate":
        write_line("Emergency exit: the session ends now.")
        write_line("Eyes open, wide awake and fully alert.")
    else:
        write_line("We are ending the session now, gently.")
        for i in range(1, 6):
            _say(f"{i}... coming up, more and more awake")
        write_line("Eyes open, wide awake and refreshed.")
    _awaken(True)


_GROUNDING = {
    "physical": ("Feel your feet on the floor and the weight of your body in the chair.",
                 "Wiggle your fingers and toes, and stretch."),
    "visual": ("Open your eyes and name five things you can see around you.",
               "Notice their colours, shapes and edges."),
    "mental": ("Say today's date, where you are, and what you will do next.",
               "Count backwards from ten, clearly and slowly."),
}


@builtin(
    "hypnotic",
    "Grounding(method?: string, duration?: number) -> null",
    "Bring the client back to the here and now: physical (default), visual or mental grounding, taking "
    "duration seconds (spoken to the listener)",
    capability="clock",
)
def _grounding(method=None, duration=None):
    method = None if method is None else as_string(method, "Grounding", 1)
    seconds = _seconds(duration, "Grounding", 2)
    method = _choice(method, "Grounding", 1, tuple(_GROUNDING), "physical")
    _clock()
    if seconds is not None:
        write_line(f"Take the next {seconds} seconds to come fully back to the here and now.")
    for line in _GROUNDING[method]:
        _say(line)
    write_line("You are grounded, awake and present.")
    _awaken(False)
