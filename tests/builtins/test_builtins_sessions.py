"""The guided-session hypnotic builtins: their scripts, pacing, simulated session state and errors."""

import io

import pytest
from builtin_helpers import call

from hypnoscript.runtime.context import Capabilities, RuntimeContext, activate, deactivate
from hypnoscript.runtime.errors import HypArgumentError, HypError, HypPermissionError, HypTypeError

BEAT = 0.25


def lines(ctx):
    return ctx.stdout.getvalue().splitlines()


def test_breathing_counts_cycles_with_short_beats(ctx):
    call("HypnoticBreathing", 2.0)
    assert lines(ctx) == [
        "Let's breathe together: 2 slow, deep breaths.",
        "Breathe in slowly... (1/2)",
        "...and breathe out, letting go.",
        "Breathe in slowly... (2/2)",
        "...and breathe out, letting go.",
        "Your breathing is calm and even now.",
    ]
    assert ctx.slept == [BEAT] * 4


def test_breathing_defaults_to_five_cycles(ctx):
    call("HypnoticBreathing")
    assert sum(1 for line in lines(ctx) if line.startswith("Breathe in")) == 5


def test_durations_are_spoken_not_waited(ctx):
    call("ProgressiveRelaxation", 3.0)
    call("Grounding", "visual", 60.0)
    text = lines(ctx)
    assert text[1] == "Tense your feet and legs, hold for 3 seconds... and release."
    assert "Take the next 60 seconds to come fully back to the here and now." in text
    assert "Open your eyes and name five things you can see around you." in text
    assert max(ctx.slept) == BEAT and sum(ctx.slept) < 3


def test_suggestion_is_repeated_and_returned(ctx):
    assert call("HypnoticSuggestion", "You are calm", 3.0) == "You are calm"
    assert lines(ctx) == ["You are calm"] * 3
    assert call("HypnoticSuggestion", "Once") == "Once"


def test_trance_depth_follows_the_session(ctx):
    assert call("TranceDepth") == 1.0
    call("HypnoticBreathing", 3.0)
    assert call("TranceDepth") == 2.0
    call("TranceDeepening", 3.0)
    assert call("TranceDepth") == 6.0
    assert call("HypnoticResponsiveness") == 60.0
    call("TranceDeepening", 5.0)
    call("ProgressiveRelaxation")
    assert call("TranceDepth") == 10.0
    call("Grounding")
    assert call("TranceDepth") == 1.0


def test_reference_inductions_deepen_too(ctx):
    call("TranceInduction", "Ana")
    call("HypnoticCountdown", 1.0)
    assert call("TranceDepth") == 4.0


def test_each_program_has_its_own_session(ctx):
    call("TranceDeepening", 4.0)
    other = RuntimeContext(stdout=io.StringIO())
    token = activate(other)
    try:
        assert call("TranceDepth") == 1.0
    finally:
        deactivate(token)
    assert call("TranceDepth") == 8.0


def test_safety_check_after_an_emergency_exit(ctx):
    assert call("SafetyCheck")["isSafe"] is True
    call("EmergencyExit")
    status = call("SafetyCheck")
    assert status["isSafe"] is False and "emergency exit" in status["warning"]
    assert lines(ctx)[:2] == ["Emergency exit: the session ends now.", "Eyes open, wide awake and fully alert."]
    assert ctx.slept == []
    call("Grounding", "mental")
    assert call("SafetyCheck") == {"isSafe": True, "warning": "", "depth": 1.0}


def test_safety_check_warns_about_a_very_deep_trance(ctx):
    call("TranceDeepening", 5.0)
    call("HypnoticBreathing", 1.0)
    status = call("SafetyCheck")
    assert status["isSafe"] is False and status["warning"].startswith("Very deep trance (depth 10)")


def test_gentle_exit_counts_up(ctx):
    call("EmergencyExit", "gentle")
    text = lines(ctx)
    assert text[1] == "1... coming up, more and more awake" and text[5] == "5... coming up, more and more awake"
    assert ctx.slept == [BEAT] * 5


def test_anchor_is_set_then_activated(ctx):
    call("HypnoticAnchoring", "Safety", "warmth")
    call("HypnoticAnchoring", "Safety")
    call("HypnoticAnchoring", "Calm")
    text = lines(ctx)
    assert text[1] == "Anchor 'Safety' set: whenever you think of 'Safety', the warmth returns."
    assert text[2] == "Anchor 'Safety' activated: warmth flows back through you."
    assert text[4] == "Anchor 'Calm' set: whenever you think of 'Calm', the calm returns."


def test_habit_change_keeps_its_progress_in_the_habit(ctx):
    habit = call("HabitChange", "identify", "smoking")
    assert call("HabitChange", "modify", habit, "deep breathing") is habit
    assert habit == {"name": "smoking", "replacement": "deep breathing", "status": "modified"}
    call("HabitChange", "eliminate", habit)
    assert habit["status"] == "eliminated"
    assert lines(ctx)[1] == "Whenever the urge for smoking appears, you choose deep breathing instead."
    with pytest.raises(HypError, match="replacement behaviour"):
        call("HabitChange", "modify", habit)
    with pytest.raises(HypTypeError, match="expected a habit"):
        call("HabitChange", "identify", 5.0)


def test_parts_ego_states_and_timelines(ctx):
    part = call("PartsWork", "find", "Angst")
    call("PartsWork", "communicate", part, "Was brauchst du?")
    assert part == {"name": "Angst", "status": "heard"}
    first = call("EgoStateTherapy", "identify")
    second = call("EgoStateTherapy", "identify")
    assert (first["name"], second["name"]) == ("ego state 1", "ego state 2")
    call("EgoStateTherapy", "integrate", first)
    assert first["status"] == "integrated"
    with pytest.raises(HypError, match="needs the ego state"):
        call("EgoStateTherapy", "communicate")
    timeline = call("TimelineTherapy", "create")
    call("TimelineTherapy", "navigate", timeline, "past")
    call("TimelineTherapy", "heal", timeline)
    assert timeline == {"position": "past", "visited": ["present", "past"], "healed": True}
    assert "At the past, take the learnings and let the old emotions go." in lines(ctx)
    with pytest.raises(HypError, match="needs a location"):
        call("TimelineTherapy", "navigate", timeline)


def test_pain_anxiety_and_confidence_scripts(ctx):
    call("PainManagement", "transform", "back pain", "warmth")
    call("AnxietyReduction", "social", 0.8)
    call("ConfidenceBuilding", "public speaking", 0.9)
    text = lines(ctx)
    assert text[0] == "Notice the pain (back pain), and imagine a dial that controls it."
    assert text[2] == "...until all that is left is warmth."
    assert "Your social anxiety is 80% lighter now." in text
    assert "Your confidence in public speaking is at 90% now." in text


def test_suggestion_acceptance_scores_the_wording(ctx):
    assert call("SuggestionAcceptance", "You feel calm") == 55.0
    assert call("SuggestionAcceptance", "You don't feel pain") == 40.0
    assert call("SuggestionAcceptance", "Du fühlst dich nicht angespannt") == 40.0
    assert call("SuggestionAcceptance", " ".join(["word"] * 30)) == 35.0
    assert call("SuggestionAcceptance", "no no no no no") == 0.0
    call("TranceDeepening", 5.0)
    assert call("SuggestionAcceptance", "You feel calm") == 100.0


@pytest.mark.parametrize(
    "name,args,message",
    [
        ("TranceDeepening", (6.0,), "level from 1 to 5"),
        ("TranceDeepening", (0.0,), "level from 1 to 5"),
        ("EmergencyExit", ("slow",), "one of immediate, gentle"),
        ("Grounding", ("spiritual",), "one of physical, visual, mental"),
        ("Grounding", ("visual", -1.0), "zero or more seconds"),
        ("PainManagement", ("ignore", "x"), "one of reduce, relieve, transform, eliminate"),
        ("AnxietyReduction", ("general", 1.5), "between 0 and 1"),
        ("ConfidenceBuilding", ("x", -0.1), "between 0 and 1"),
        ("HabitChange", ("forget", "x"), "one of identify, modify, eliminate"),
        ("ProgressiveRelaxation", (float("inf"),), "zero or more seconds"),
    ],
)
def test_unusable_arguments_are_argument_errors(ctx, name, args, message):
    with pytest.raises(HypArgumentError, match=message):
        call(name, *args)
    assert ctx.stdout.getvalue() == ""


def test_actions_are_case_insensitive(ctx):
    call("EmergencyExit", "Gentle")
    call("PainManagement", "REDUCE", "x")


def test_clock_capability_is_needed_before_anything_prints(ctx):
    ctx.capabilities = Capabilities(clock=False)
    for name, args in [("HypnoticBreathing", ()), ("Grounding", ()), ("HypnoticSuggestion", ("x",)), ("EmergencyExit", ())]:
        with pytest.raises(HypPermissionError):
            call(name, *args)
    assert ctx.stdout.getvalue() == ""
    assert call("TranceDepth") == 1.0 and call("SafetyCheck")["isSafe"] is True


def test_a_record_timeline_is_not_changed(ctx):
    from hypnoscript.runtime.values import Record

    record = Record("Timeline", {"position": "present"})
    moved = call("TimelineTherapy", "navigate", record, "future")
    assert moved == {"position": "future"} and record.fields == {"position": "present"}
