"""User-facing errors: one clear message naming the file, the place in it, and the fix."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CLASS_PREFIX = re.compile(r"^(?:\w+\.)*\w*(?:Error|Exception)\w*: ")


class ValuedataError(Exception):
    """An error the user can act on; the CLI prints it without a traceback."""


@dataclass
class Problem:
    """One problem in one input file: where it is, what is wrong, how to fix it."""

    file: str
    where: str
    problem: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.file}: {self.where}: {self.problem}"
        return f"{text} — fix: {self.fix}" if self.fix else text


@dataclass
class InputError(ValuedataError):
    """One or more problems that make an input unreadable; the run stops and writes nothing."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems in the input:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def error_chain(error) -> list[str]:
    """The messages of a chained error record (`.message`, `.cause`: Dagster's error info), outermost first."""
    chain = []
    while error is not None:
        chain.append(error.message.strip())
        error = error.cause
    return chain


def is_ours(chain: list[str]) -> bool:
    """Whether an error chain (messages, outermost first, each 'module.Class: message') holds one of valuedata's errors."""
    return any(m.startswith("valuedata.") for m in chain)


def plain_error(chain: list[str]) -> str:
    """The message worth showing from an error chain (outermost first): valuedata's own, else the root cause,
    without the Python class name in front."""
    ours = [m for m in chain if m.startswith("valuedata.")]
    message = (ours or chain or [""])[0 if ours else -1].strip()
    return _CLASS_PREFIX.sub("", message, count=1)
