"""User-facing errors: one clear message naming the file, the place in it, and the fix."""

from __future__ import annotations

from dataclasses import dataclass, field


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
