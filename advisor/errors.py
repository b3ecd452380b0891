"""The advisor's exceptions: one small class per failure, each message says what to fix."""
from __future__ import annotations

import difflib


class AdvisorError(Exception):
    "Base class for every error the advisor reports to a user"


class CatalogError(AdvisorError):
    "A data file is missing, malformed or out of range"


class UnknownPlanError(AdvisorError, KeyError):
    "No plan with that id in the catalog"

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0] if self.args else ""


class UnknownGpuError(AdvisorError, KeyError):
    "No GPU with that id or name in the catalog"

    def __str__(self) -> str:
        return self.args[0] if self.args else ""


class InvalidWorkloadError(AdvisorError, ValueError):
    "A workload field has a value the advisor cannot use"

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def did_you_mean(name: str, choices) -> str:
    """' (did you mean X?)' for the closest of choices, or '' when nothing is close."""
    close = difflib.get_close_matches(str(name).lower(), [str(c).lower() for c in choices], n=3, cutoff=0.5)
    lookup = {str(c).lower(): str(c) for c in choices}
    if not close:
        return ""
    return " (did you mean " + " or ".join(lookup[c] for c in close) + "?)"
