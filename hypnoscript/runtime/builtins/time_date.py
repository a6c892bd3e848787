"""Time and date builtins (local time zone). Everything that reads the clock checks the `clock`
capability; `IsLeapYear` and `DaysInMonth` are pure calendar functions."""

from __future__ import annotations

import time

from hypnoscript.runtime.builtins.args import as_count, as_integer, as_string
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.context import current
from hypnoscript.runtime.errors import HypError

_C = "clock"
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# chrono's NaiveDate range
_MIN_YEAR, _MAX_YEAR = -262144, 262143


def now():
    import datetime as dt

    current().capabilities.check("clock")
    return dt.datetime.now().astimezone()


def _offset(d, colons: int) -> str:
    off = d.utcoffset()
    secs = int(off.total_seconds()) if off is not None else 0
    sign = "-" if secs < 0 else "+"
    secs = abs(secs)
    h, m, s = secs // 3600, secs // 60 % 60, secs % 60
    if colons == 0:
        return f"{sign}{h:02}{m:02}"
    if colons == 1:
        return f"{sign}{h:02}:{m:02}"
    if colons == 2:
        return f"{sign}{h:02}:{m:02}:{s:02}"
    return f"{sign}{h:02}"


def _frac(ns: int, digits: int | None, dot: bool) -> str:
    if digits is None:
        if ns == 0:
            return ""
        digits = 3 if ns % 1_000_000 == 0 else 6 if ns % 1000 == 0 else 9
    text = f"{ns:09}"[:digits]
    return ("." if dot else "") + text


def _numeric(d, spec: str) -> tuple[int, int, str] | None:
    """(value, width, default pad) of the numeric specifiers."""
    iso = d.isocalendar()
    table = {
        "Y": (d.year, 4, "0"),
        "C": (d.year // 100, 2, "0"),
        "y": (d.year % 100, 2, "0"),
        "m": (d.month, 2, "0"),
        "d": (d.day, 2, "0"),
        "e": (d.day, 2, " "),
        "w": (d.isoweekday() % 7, 1, "0"),
        "u": (d.isoweekday(), 1, "0"),
        "U": (int(d.strftime("%U")), 2, "0"),
        "W": (int(d.strftime("%W")), 2, "0"),
        "G": (iso[0], 4, "0"),
        "g": (iso[0] % 100, 2, "0"),
        "V": (iso[1], 2, "0"),
        "j": (d.timetuple().tm_yday, 3, "0"),
        "H": (d.hour, 2, "0"),
        "k": (d.hour, 2, " "),
        "I": ((d.hour + 11) % 12 + 1, 2, "0"),
        "l": ((d.hour + 11) % 12 + 1, 2, " "),
        "M": (d.minute, 2, "0"),
        "S": (d.second, 2, "0"),
        "s": (int(d.timestamp()), 1, "0"),
    }
    return table.get(spec)


def format_datetime(d, fmt: str) -> str:
    """chrono's strftime: the specifiers of `chrono::format::strftime`, with `-`, `_`, `0` padding
    modifiers. An unknown specifier is an error (the reference panics)."""
    out: list[str] = []
    i, n = 0, len(fmt)
    ns = d.microsecond * 1000
    while i < n:
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        j = i + 1
        pad = None
        if j < n and fmt[j] in "-_0":
            pad = fmt[j]
            j += 1
        rest = fmt[j:]
        if rest[:1] in ("%", "t", "n") and pad is None:
            out.append({"%": "%", "t": "\t", "n": "\n"}[rest[0]])
            i = j + 1
            continue
        for prefix, digits, dot in (
            (".3f", 3, True),
            (".6f", 6, True),
            (".9f", 9, True),
            (".f", None, True),
            ("3f", 3, False),
            ("6f", 6, False),
            ("9f", 9, False),
        ):
            if rest.startswith(prefix) and pad is None:
                out.append(_frac(ns, digits, dot))
                i = j + len(prefix)
                break
        else:
            for prefix, colons in ((":::z", 3), ("::z", 2), (":z", 1), ("z", 0)):
                if rest.startswith(prefix) and pad is None:
                    out.append(_offset(d, colons))
                    i = j + len(prefix)
                    break
            else:
                spec = rest[:1]
                num = _numeric(d, spec) if spec else None
                if num is not None:
                    value, width, default = num
                    fill = default if pad is None else {"-": "", "_": " ", "0": "0"}[pad]
                    text = str(abs(value))
                    if fill:
                        text = text.rjust(width, fill)
                    out.append(("-" if value < 0 else "") + text)
                elif spec in _TEXT and pad is None:
                    out.append(_TEXT[spec](d, ns))
                else:
                    raise HypError(f"FormatDateTime: invalid format specifier '%{rest[:1] or ''}' in {fmt!r}")
                i = j + 1
    return "".join(out)


_TEXT = {
    "b": lambda d, ns: _MONTHS[d.month - 1][:3],
    "h": lambda d, ns: _MONTHS[d.month - 1][:3],
    "B": lambda d, ns: _MONTHS[d.month - 1],
    "a": lambda d, ns: _DAYS[d.weekday()][:3],
    "A": lambda d, ns: _DAYS[d.weekday()],
    "p": lambda d, ns: "AM" if d.hour < 12 else "PM",
    "P": lambda d, ns: "am" if d.hour < 12 else "pm",
    "f": lambda d, ns: f"{ns:09}",
    "D": lambda d, ns: format_datetime(d, "%m/%d/%y"),
    "x": lambda d, ns: format_datetime(d, "%m/%d/%y"),
    "F": lambda d, ns: format_datetime(d, "%Y-%m-%d"),
    "v": lambda d, ns: format_datetime(d, "%e-%b-%Y"),
    "R": lambda d, ns: format_datetime(d, "%H:%M"),
    "T": lambda d, ns: format_datetime(d, "%H:%M:%S"),
    "X": lambda d, ns: format_datetime(d, "%H:%M:%S"),
    "r": lambda d, ns: format_datetime(d, "%I:%M:%S %p"),
    "c": lambda d, ns: format_datetime(d, "%a %b %e %H:%M:%S %Y"),
    "+": lambda d, ns: format_datetime(d, "%Y-%m-%dT%H:%M:%S%.f%:z"),
    "Z": lambda d, ns: _offset(d, 1),
}


@builtin(
    "time",
    "CurrentTimestamp() -> number",
    "Unix time in whole seconds",
    capability=_C,
    aliases=("GetCurrentTime", "Timestamp"),
)
def _current_timestamp():
    current().capabilities.check("clock")
    return float(int(time.time()))


@builtin("time", "CurrentDate() -> string", "Local date as YYYY-MM-DD", capability=_C, aliases=("GetCurrentDate",))
def _current_date():
    return format_datetime(now(), "%Y-%m-%d")


@builtin("time", "CurrentTime() -> string", "Local time as HH:MM:SS", capability=_C, aliases=("GetCurrentTimeString",))
def _current_time():
    return format_datetime(now(), "%H:%M:%S")


@builtin(
    "time",
    "CurrentDateTime() -> string",
    "Local date and time as YYYY-MM-DD HH:MM:SS",
    capability=_C,
    aliases=("GetCurrentDateTime",),
)
def _current_date_time():
    return format_datetime(now(), "%Y-%m-%d %H:%M:%S")


@builtin("time", "Now() -> string", "Current UTC time in ISO 8601 (YYYY-MM-DDTHH:MM:SSZ)", capability=_C)
def _now():
    import datetime as dt

    return now().astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@builtin(
    "time",
    "FormatDateTime(format: string) -> string",
    "Local time formatted with strftime specifiers (%Y %m %d %H %M %S %A %B %j ...)",
    capability=_C,
)
def _format_date_time(fmt):
    fmt = as_string(fmt, "FormatDateTime", 1)
    return format_datetime(now(), fmt)


@builtin("time", "DayOfWeek() -> number", "0 = Sunday ... 6 = Saturday", capability=_C, aliases=("GetDayOfWeek",))
def _day_of_week():
    return float(now().isoweekday() % 7)


@builtin("time", "DayOfYear() -> number", "1 ... 366", capability=_C, aliases=("GetDayOfYear",))
def _day_of_year():
    return float(now().timetuple().tm_yday)


def _i32(n: int) -> int:
    return ((n + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def is_leap(year: int) -> bool:
    return _MIN_YEAR <= year <= _MAX_YEAR and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


@builtin("time", "IsLeapYear(year: number) -> boolean", "Proleptic Gregorian leap year test")
def _is_leap_year(year):
    return is_leap(_i32(as_integer(year, "IsLeapYear", 1)))


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@builtin(
    "time",
    "DaysInMonth(year: number, month: number) -> number?",
    "28 to 31, or null for a month outside 1-12",
    aliases=("GetDaysInMonth",),
)
def _days_in_month(year, month):
    year = _i32(as_integer(year, "DaysInMonth", 1))
    month = as_count(month, "DaysInMonth", 2) & 0xFFFFFFFF
    if not 1 <= month <= 12 or not _MIN_YEAR <= year <= _MAX_YEAR or (month == 12 and year == _MAX_YEAR):
        return None
    if month == 2 and is_leap(year):
        return 29.0
    return float(_DAYS_IN_MONTH[month - 1])


def _component(attr: str):
    def read():
        return float(getattr(now(), attr))

    return read


for _name, _attr, _doc, _alias in (
    ("CurrentYear", "year", "The current year", "GetYear"),
    ("CurrentMonth", "month", "The current month (1-12)", "GetMonth"),
    ("CurrentDay", "day", "The current day of the month (1-31)", "GetDay"),
    ("CurrentHour", "hour", "The current hour (0-23)", "GetHour"),
    ("CurrentMinute", "minute", "The current minute (0-59)", "GetMinute"),
    ("CurrentSecond", "second", "The current second (0-59)", "GetSecond"),
):
    builtin("time", f"{_name}() -> number", _doc, capability=_C, aliases=(_alias,))(_component(_attr))
