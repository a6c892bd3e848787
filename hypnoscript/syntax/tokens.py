"""Token kinds, the keyword table and the Token type.

Kinds are small ints (fast to compare in the parser); `KIND_NAMES[kind]` is the reference's name
for the kind (`Focus`, `Identifier`, `LBrace`, ...), which `hyp lex` prints.
"""

from __future__ import annotations

from hypnoscript.syntax.source import Span

# Names in kind order. Keyword kinds first (in the order of the language's keyword table), then
# literals, then operators and punctuation.
KIND_NAMES: tuple[str, ...] = (
    # keywords
    "Focus", "Relax", "Entrance", "Finale", "DeepFocus", "DeeperStill",
    "Induce", "Implant", "Embed", "Freeze", "Anchor", "From", "External",
    "If", "Else", "When", "Otherwise", "Entrain", "While", "Loop", "Pendulum",
    "Snap", "Sink", "SinkTo", "Oscillate", "Suspend",
    "Suggestion", "Trigger", "ImperativeSuggestion", "DominantSuggestion", "Mesmerize",
    "Awaken", "Await", "SurrenderTo", "Call",
    "Session", "Constructor", "Expose", "Conceal", "Dominant", "Tranceify",
    "Observe", "Whisper", "Command", "Murmur",
    "Drift", "PauseReality", "AccelerateTime", "DecelerateTime", "Subconscious",
    "MindLink", "SharedTrance", "Label",
    "YouAreFeelingVerySleepy", "YouCannotResist", "NotSoDeep",
    "LookAtTheWatch", "FallUnderMySpell", "YourEyesAreGettingHeavy", "GoingDeeper",
    "DeeplyGreater", "DeeplyLess", "UnderMyControl", "ResistanceIsFutile",
    "LucidFallback", "DreamReach",
    "Number", "String", "Boolean", "Trance", "Lucid", "True", "False", "Assert",
    # literals
    "Identifier", "NumberLiteral", "StringLiteral",
    # operators and punctuation
    "DoubleEquals", "Arrow", "Equals", "Plus", "Minus", "Asterisk", "Slash", "Percent",
    "GreaterEqual", "Greater", "LessEqual", "Less", "NotEquals", "Bang",
    "AmpAmp", "Ampersand", "PipePipe", "Pipe",
    "QuestionQuestion", "QuestionDot", "QuestionMark",
    "Semicolon", "Comma", "LParen", "RParen", "LBrace", "RBrace", "LBracket", "RBracket",
    "Colon", "DotDotDot", "Dot",
    "Eof",
)

# One module constant per kind, named in upper snake case: FOCUS, IDENTIFIER, LBRACE, ...
def _constant_name(kind_name: str) -> str:
    out = []
    for i, ch in enumerate(kind_name):
        if ch.isupper() and i and not kind_name[i - 1].isupper():
            out.append("_")
        out.append(ch.upper())
    return "".join(out)


for _kind, _name in enumerate(KIND_NAMES):
    globals()[_constant_name(_name)] = _kind

# Written out for readers and linters; the loop above assigned the same values.
FOCUS: int; RELAX: int; ENTRANCE: int; FINALE: int; DEEP_FOCUS: int; DEEPER_STILL: int
INDUCE: int; IMPLANT: int; EMBED: int; FREEZE: int; ANCHOR: int; FROM: int; EXTERNAL: int
IF: int; ELSE: int; WHEN: int; OTHERWISE: int; ENTRAIN: int; WHILE: int; LOOP: int; PENDULUM: int
SNAP: int; SINK: int; SINK_TO: int; OSCILLATE: int; SUSPEND: int
SUGGESTION: int; TRIGGER: int; IMPERATIVE_SUGGESTION: int; DOMINANT_SUGGESTION: int; MESMERIZE: int
AWAKEN: int; AWAIT: int; SURRENDER_TO: int; CALL: int
SESSION: int; CONSTRUCTOR: int; EXPOSE: int; CONCEAL: int; DOMINANT: int; TRANCEIFY: int
OBSERVE: int; WHISPER: int; COMMAND: int; MURMUR: int
DRIFT: int; PAUSE_REALITY: int; ACCELERATE_TIME: int; DECELERATE_TIME: int; SUBCONSCIOUS: int
MIND_LINK: int; SHARED_TRANCE: int; LABEL: int
YOU_ARE_FEELING_VERY_SLEEPY: int; YOU_CANNOT_RESIST: int; NOT_SO_DEEP: int
LOOK_AT_THE_WATCH: int; FALL_UNDER_MY_SPELL: int; YOUR_EYES_ARE_GETTING_HEAVY: int; GOING_DEEPER: int
DEEPLY_GREATER: int; DEEPLY_LESS: int; UNDER_MY_CONTROL: int; RESISTANCE_IS_FUTILE: int
LUCID_FALLBACK: int; DREAM_REACH: int
NUMBER: int; STRING: int; BOOLEAN: int; TRANCE: int; LUCID: int; TRUE: int; FALSE: int; ASSERT: int
IDENTIFIER: int; NUMBER_LITERAL: int; STRING_LITERAL: int
DOUBLE_EQUALS: int; ARROW: int; EQUALS: int; PLUS: int; MINUS: int; ASTERISK: int; SLASH: int
PERCENT: int; GREATER_EQUAL: int; GREATER: int; LESS_EQUAL: int; LESS: int; NOT_EQUALS: int; BANG: int
AMP_AMP: int; AMPERSAND: int; PIPE_PIPE: int; PIPE: int
QUESTION_QUESTION: int; QUESTION_DOT: int; QUESTION_MARK: int
SEMICOLON: int; COMMA: int; LPAREN: int; RPAREN: int; LBRACE: int; RBRACE: int
LBRACKET: int; RBRACKET: int; COLON: int; DOT_DOT_DOT: int; DOT: int; EOF: int

LAST_KEYWORD = ASSERT

# Every keyword spelling (ASCII-lowercased lookup key) -> (kind, canonical lexeme).
# Synonyms share a kind: `break` is `snap`, `continue` is `sink`, `return` is `awaken`.
KEYWORDS: dict[str, tuple[int, str]] = {}

for _canonical, _kind_name in (
    ("Focus", "Focus"), ("Relax", "Relax"), ("entrance", "Entrance"), ("finale", "Finale"),
    ("deepFocus", "DeepFocus"), ("deeperStill", "DeeperStill"),
    ("induce", "Induce"), ("implant", "Implant"), ("embed", "Embed"), ("freeze", "Freeze"),
    ("anchor", "Anchor"), ("from", "From"), ("external", "External"),
    ("if", "If"), ("else", "Else"), ("when", "When"), ("otherwise", "Otherwise"),
    ("entrain", "Entrain"), ("while", "While"), ("loop", "Loop"), ("pendulum", "Pendulum"),
    ("snap", "Snap"), ("sink", "Sink"), ("sinkTo", "SinkTo"),
    ("oscillate", "Oscillate"), ("suspend", "Suspend"),
    ("suggestion", "Suggestion"), ("trigger", "Trigger"),
    ("imperativeSuggestion", "ImperativeSuggestion"), ("dominantSuggestion", "DominantSuggestion"),
    ("mesmerize", "Mesmerize"), ("awaken", "Awaken"), ("await", "Await"),
    ("surrenderTo", "SurrenderTo"), ("call", "Call"),
    ("session", "Session"), ("constructor", "Constructor"), ("expose", "Expose"),
    ("conceal", "Conceal"), ("dominant", "Dominant"), ("tranceify", "Tranceify"),
    ("observe", "Observe"), ("whisper", "Whisper"), ("command", "Command"), ("murmur", "Murmur"),
    ("drift", "Drift"), ("pauseReality", "PauseReality"), ("accelerateTime", "AccelerateTime"),
    ("decelerateTime", "DecelerateTime"), ("subconscious", "Subconscious"),
    ("mindLink", "MindLink"), ("sharedTrance", "SharedTrance"), ("label", "Label"),
    ("youAreFeelingVerySleepy", "YouAreFeelingVerySleepy"), ("youCannotResist", "YouCannotResist"),
    ("notSoDeep", "NotSoDeep"), ("lookAtTheWatch", "LookAtTheWatch"),
    ("fallUnderMySpell", "FallUnderMySpell"), ("yourEyesAreGettingHeavy", "YourEyesAreGettingHeavy"),
    ("goingDeeper", "GoingDeeper"), ("deeplyGreater", "DeeplyGreater"), ("deeplyLess", "DeeplyLess"),
    ("underMyControl", "UnderMyControl"), ("resistanceIsFutile", "ResistanceIsFutile"),
    ("lucidFallback", "LucidFallback"), ("dreamReach", "DreamReach"),
    ("number", "Number"), ("string", "String"), ("boolean", "Boolean"), ("trance", "Trance"),
    ("lucid", "Lucid"), ("true", "True"), ("false", "False"), ("assert", "Assert"),
):
    KEYWORDS[_canonical.lower()] = (KIND_NAMES.index(_kind_name), _canonical)

KEYWORDS["break"] = KEYWORDS["snap"]
KEYWORDS["continue"] = KEYWORDS["sink"]
KEYWORDS["return"] = KEYWORDS["awaken"]

# Operator and punctuation text -> kind.
OPERATORS: dict[str, int] = {
    "==": DOUBLE_EQUALS, "=>": ARROW, "=": EQUALS, "+": PLUS, "-": MINUS, "*": ASTERISK,
    "/": SLASH, "%": PERCENT, ">=": GREATER_EQUAL, ">": GREATER, "<=": LESS_EQUAL, "<": LESS,
    "!=": NOT_EQUALS, "!": BANG, "&&": AMP_AMP, "&": AMPERSAND, "||": PIPE_PIPE, "|": PIPE,
    "??": QUESTION_QUESTION, "?.": QUESTION_DOT, "?": QUESTION_MARK,
    ";": SEMICOLON, ",": COMMA, "(": LPAREN, ")": RPAREN, "{": LBRACE, "}": RBRACE,
    "[": LBRACKET, "]": RBRACKET, ":": COLON, "...": DOT_DOT_DOT, "..": DOT, ".": DOT,
}


class Token:
    """One token.

    `text` is the canonical lexeme: keywords in their canonical spelling (`FOCUS` -> `Focus`),
    string literals as written including quotes, `..` as `.`. `value` holds the decoded value of
    literals (float for numbers, None for an invalid number; str for strings). Offsets are
    0-based (end exclusive); line and column are 1-based and point at the first character.
    """

    __slots__ = ("kind", "text", "value", "start", "end", "line", "col", "end_line", "end_col")

    def __init__(self, kind, text, value, start, end, line, col, end_line, end_col):
        self.kind = kind
        self.text = text
        self.value = value
        self.start = start
        self.end = end
        self.line = line
        self.col = col
        self.end_line = end_line
        self.end_col = end_col

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]

    @property
    def span(self) -> Span:
        return Span(self.start, self.end, self.line, self.col, self.end_line, self.end_col)

    def is_keyword(self) -> bool:
        return self.kind <= LAST_KEYWORD

    def debug(self, line: int | None = None) -> str:
        """The reference's rendering: `Token { token_type: Focus, lexeme: "Focus", line: 1, column: 1 }`."""
        lexeme = "" if self.kind == EOF else self.text
        escaped = lexeme.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        escaped = escaped.replace("\r", "\\r").replace("\t", "\\t")
        return (
            f'Token {{ token_type: {KIND_NAMES[self.kind]}, lexeme: "{escaped}", '
            f"line: {self.line if line is None else line}, column: {self.col} }}"
        )

    def to_json(self) -> dict:
        return {
            "kind": KIND_NAMES[self.kind],
            "text": self.text,
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "line": self.line,
            "col": self.col,
            "end_line": self.end_line,
            "end_col": self.end_col,
        }

    def __repr__(self) -> str:
        return f"Token({KIND_NAMES[self.kind]}, {self.text!r}, {self.line}:{self.col})"
