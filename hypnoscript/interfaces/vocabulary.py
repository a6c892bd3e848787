"""The words editors and the REPL offer: keywords (from the lexer's keyword table), grouped by
role, and the builtin functions with their signatures and documentation."""

from __future__ import annotations

from hypnoscript.syntax import tokens as T

# Keyword kinds by role. Every kind of the keyword table is in exactly one group; the lexer's
# table supplies the spellings (synonyms such as `break` share their canonical word's kind).
DECLARATION_KINDS = frozenset({
    T.INDUCE, T.IMPLANT, T.EMBED, T.FREEZE, T.ANCHOR, T.SHARED_TRANCE,
    T.SUGGESTION, T.TRIGGER, T.IMPERATIVE_SUGGESTION, T.DOMINANT_SUGGESTION,
    T.SESSION, T.TRANCEIFY, T.CONSTRUCTOR, T.EXPOSE, T.CONCEAL, T.DOMINANT,
})
TYPE_KINDS = frozenset({T.NUMBER, T.STRING, T.BOOLEAN, T.TRANCE, T.LUCID})
CONSTANT_KINDS = frozenset({T.TRUE, T.FALSE})
OPERATOR_WORD_KINDS = frozenset({
    T.YOU_ARE_FEELING_VERY_SLEEPY, T.YOU_CANNOT_RESIST, T.NOT_SO_DEEP,
    T.LOOK_AT_THE_WATCH, T.FALL_UNDER_MY_SPELL, T.YOUR_EYES_ARE_GETTING_HEAVY, T.GOING_DEEPER,
    T.DEEPLY_GREATER, T.DEEPLY_LESS, T.UNDER_MY_CONTROL, T.RESISTANCE_IS_FUTILE,
    T.LUCID_FALLBACK, T.DREAM_REACH,
})
NAMESPACE_KINDS = frozenset({T.MIND_LINK})
# Words the language reserves without giving them a meaning.
RESERVED_KINDS = frozenset({
    T.DEEPER_STILL, T.FROM, T.EXTERNAL, T.SINK_TO, T.MESMERIZE, T.CALL, T.DRIFT,
    T.PAUSE_REALITY, T.ACCELERATE_TIME, T.DECELERATE_TIME, T.SUBCONSCIOUS, T.LABEL,
})
# Everything else (Focus, if, loop, observe, awaken, ...) is a plain statement keyword.

# Words the parser gives a meaning to although they are not in the keyword table.
CONTEXTUAL_KEYWORDS = ("for", "try", "catch", "finally", "throw")
NULL_WORD = "null"
SELF_WORD = "this"

# What each operator word stands for, for hover texts.
OPERATOR_WORD_MEANINGS = {
    T.YOU_ARE_FEELING_VERY_SLEEPY: "==", T.YOU_CANNOT_RESIST: "!=", T.NOT_SO_DEEP: "!=",
    T.LOOK_AT_THE_WATCH: ">", T.FALL_UNDER_MY_SPELL: "<", T.YOUR_EYES_ARE_GETTING_HEAVY: ">=",
    T.GOING_DEEPER: "<=", T.DEEPLY_GREATER: ">=", T.DEEPLY_LESS: "<=", T.UNDER_MY_CONTROL: "&&",
    T.RESISTANCE_IS_FUTILE: "||", T.LUCID_FALLBACK: "??", T.DREAM_REACH: "?.",
}


def keyword_kind(word: str) -> int | None:
    """The keyword kind of a word in any capitalisation, or None for a plain identifier."""
    if not word.isascii():
        return None
    entry = T.KEYWORDS.get(word.lower())
    return entry[0] if entry is not None else None


def keyword_spellings() -> list[str]:
    """One spelling per keyword-table entry, as written in programs: the canonical lexeme for a
    word, the synonym itself for `break`, `continue` and `return`."""
    out = []
    for key, (_, canonical) in T.KEYWORDS.items():
        out.append(canonical if canonical.lower() == key else key)
    return out


def completion_keywords() -> list[str]:
    """Keywords worth offering while typing: every spelling except the reserved ones."""
    return [w for w in keyword_spellings() if keyword_kind(w) not in RESERVED_KINDS] + list(CONTEXTUAL_KEYWORDS)


def builtins() -> dict:
    """name -> BuiltinSpec (signature, doc, category) of every builtin function."""
    from hypnoscript.runtime.builtins.registry import all_builtins

    return all_builtins()


def builtin_markdown(spec) -> str:
    """A builtin's hover text: signature, documentation and category."""
    return f"```hypnoscript\n{spec.signature}\n```\n\n{spec.doc}\n\n*builtin, {spec.category}*"
