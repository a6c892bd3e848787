"""The role of every keyword-table spelling, as the highlighting tests expect it."""

from pygments.token import Keyword, Operator

EXPECTED = {
    Keyword: """Focus Relax entrance finale deepFocus if else when otherwise entrain while loop pendulum
        snap break sink continue oscillate suspend awaken return await surrenderTo
        observe whisper command murmur assert""",
    Keyword.Declaration: """induce implant embed freeze anchor sharedTrance suggestion trigger
        imperativeSuggestion dominantSuggestion session tranceify constructor expose conceal dominant""",
    Keyword.Type: "number string boolean trance lucid",
    Keyword.Constant: "true false",
    Keyword.Namespace: "mindLink",
    Keyword.Reserved: """deeperStill from external sinkTo mesmerize call drift pauseReality
        accelerateTime decelerateTime subconscious label""",
    Operator.Word: """youAreFeelingVerySleepy youCannotResist notSoDeep lookAtTheWatch fallUnderMySpell
        yourEyesAreGettingHeavy goingDeeper deeplyGreater deeplyLess underMyControl resistanceIsFutile
        lucidFallback dreamReach""",
}


def spellings(word):
    alternating = "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(word))
    return {word, word.lower(), word.upper(), word.capitalize(), alternating}
