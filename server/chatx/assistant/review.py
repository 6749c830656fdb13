"""The deterministic half of `/security-review`: what the Policy Shield finds, and risky shell and
network patterns, each with its line. It works with no model; the model only adds to it."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from chatx.shield import Shield

RISKS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (name, re.compile(pattern), advice)
    for name, pattern, advice in (
        ("shell-true", r"shell\s*=\s*True", "pass an argument list without shell=True"),
        ("os-system", r"\bos\.(system|popen)\s*\(", "use subprocess.run with an argument list"),
        ("eval", r"(?<![\w.])(eval|exec)\s*\(", "never evaluate strings; parse the data instead"),
        ("pipe-to-shell", r"\b(curl|wget)\b[^|\n]*\|\s*(ba|z)?sh\b", "download, verify, then run"),
        (
            "tls-off",
            r"verify\s*=\s*False|_create_unverified_context|rejectUnauthorized\s*:\s*false",
            "keep TLS certificate checks on",
        ),
        (
            "plain-http",
            r"\bhttp://(?!localhost|127\.0\.0\.1|\[::1\])[\w.-]+",
            "use https:// for anything off this machine",
        ),
        ("pickle", r"\bpickle\.loads?\s*\(", "do not unpickle data you did not write"),
        ("yaml-load", r"\byaml\.load\s*\((?![^)]*SafeLoader)", "use yaml.safe_load"),
        ("world-writable", r"chmod\s+(-R\s+)?777|0o777", "grant the least permissions needed"),
        (
            "sql-format",
            r"(execute|executemany)\s*\(\s*f[\"']",
            "use query parameters, not f-strings",
        ),
    )
)


@dataclass(frozen=True)
class Issue:
    """One finding: its kind, 1-based line and what to do."""

    kind: str
    line: int
    advice: str

    def render(self) -> str:
        """`line N: kind — advice`."""
        return f"line {self.line}: {self.kind} — {self.advice}"


def review(text: str, shield: Shield, first_line: int = 1) -> list[Issue]:
    """Personal data and secrets (by kind, never the value) and risky patterns in `text`."""
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def line_of(offset: int) -> int:
        return bisect.bisect_right(starts, offset) - 1 + first_line

    issues = [
        Issue(
            f.kind,
            line_of(f.start),
            "remove the secret and rotate it"
            if f.kind == "secret"
            else f"personal data ({f.kind}): keep it out of code and prompts",
        )
        for f in shield.scan(text)
    ]
    for kind, pattern, advice in RISKS:
        issues.extend(Issue(kind, line_of(m.start()), advice) for m in pattern.finditer(text))
    return sorted(issues, key=lambda issue: (issue.line, issue.kind))
