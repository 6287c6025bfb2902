"""The plan as an iCalendar file (RFC 5545), written by hand.

One all-day event per date of a step (a step with ``recommended`` and ``latest`` gives two), each
with two reminders (VALARM): a week before and the day before, at 9:00 local time. Lines end
with CRLF and are folded at 75 octets without splitting a UTF-8 character; TEXT values are
escaped. The UID depends only on the step, the kind of date and the date of birth, so that
downloading the plan again updates the events instead of duplicating them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Callable, Iterable

CRLF = "\r\n"
MAX_OCTETS = 75
PRODID = "-//MAsH//Buergerportal Geburt eines Kindes//DE"
#: relative to the start of the all-day event (midnight): 9:00 one week before, 9:00 the day before
ALARMS = ("-P6DT15H", "-PT15H")


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 § 3.3.11)."""
    return (str(value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Fold a content line into lines of at most 75 octets (RFC 5545 § 3.1), each ending in CRLF."""
    data = line.encode("utf-8")
    if len(data) <= MAX_OCTETS:
        return line + CRLF
    parts = []
    start, limit = 0, MAX_OCTETS
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # never cut inside a character
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start, limit = end, MAX_OCTETS - 1  # continuation lines begin with one space
    return CRLF.join([parts[0]] + [" " + p for p in parts[1:]]) + CRLF


def _date(value: date) -> str:
    return value.strftime("%Y%m%d")


def build_calendar(plan, host: str, labels: dict, describe: Callable[[object], Iterable[str]],
                   now: datetime | None = None, name: str = "") -> str:
    """The plan's steps as a VCALENDAR.

    ``labels`` maps "recommended"/"latest" to the words added to the summary of such events;
    ``describe(step)`` gives the lines of an event's DESCRIPTION (already localised).
    """
    stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    birth = _date(plan.answers.birth_date)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for step in plan.steps:
        description = escape_text("\n".join(str(line) for line in describe(step)))
        for which, day in step.dates():
            summary = str(step.title)
            if which in labels:
                summary = f"{summary} ({labels[which]})"
            lines += [
                "BEGIN:VEVENT",
                f"UID:{step.key}-{which}-{birth}@{host}",
                f"DTSTAMP:{stamp}",
                f"DTSTART;VALUE=DATE:{_date(day)}",
                f"DTEND;VALUE=DATE:{_date(day + timedelta(days=1))}",
                f"SUMMARY:{escape_text(summary)}",
                f"DESCRIPTION:{description}",
                f"CATEGORIES:{escape_text(step.kind)}",
                "TRANSP:TRANSPARENT",
            ]
            for trigger in ALARMS:
                lines += ["BEGIN:VALARM", "ACTION:DISPLAY", f"TRIGGER:{trigger}",
                          f"DESCRIPTION:{escape_text(summary)}", "END:VALARM"]
            lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines)
