"""Every exception the advisor raises to a user: one small class per failure, each message says what to fix.

Each front end turns these into its own form (an exit code and one line for the CLI, st.error in the app, a
4xx or 503 JSON body in the API); a user never sees a traceback.
"""
from __future__ import annotations

import difflib


class AdvisorError(Exception):
    "Base class for every error the advisor reports to a user"


class _Plain(AdvisorError):
    "A KeyError-like error whose message is shown as it is (KeyError would quote it)"

    def __str__(self) -> str:
        return self.args[0] if self.args else ""


class CatalogError(AdvisorError):
    "A data file is missing, malformed or out of range"


class FileReadError(AdvisorError, ValueError):
    "A file is no regular file, is over its size limit or its read deadline, or is not UTF-8 text"


class UnknownPlanError(_Plain, KeyError):
    "No plan with that id in the catalog"


class UnknownGpuError(_Plain, KeyError):
    "No GPU with that id or name in the catalog"


class UnknownModelError(_Plain, KeyError):
    "No model with that name in data/models.csv"


class InvalidWorkloadError(AdvisorError, ValueError):
    "A workload field has a value the advisor cannot use"

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ChatStateError(AdvisorError, ValueError):
    "The conversation state is not one this chat produced"


class RunValidationError(AdvisorError, ValueError):
    "A benchmark run record is malformed or holds impossible values"


class StoreError(AdvisorError):
    """The run store cannot be opened, read or written (full disk, read-only, corrupt or foreign file).

    The message is for the operator (the CLI, the server log); `code` (a advisor.runs.faults.StoreFault) is what a
    client is told, through that code's safe description, which never holds a path, URL, host or driver text."""

    def __init__(self, message: str, code: str = "unavailable"):
        super().__init__(message)
        self.code = code


class StoreTimeout(StoreError):
    "The run store did not answer within its deadline (a frozen, partitioned or overloaded server)"

    def __init__(self, message: str, code: str = "timeout"):
        super().__init__(message, code)


class RunPostError(AdvisorError):
    "A run could not be sent to, or runs read from, a shared server (unreachable, refused, or not an advisor)"


class TensorFlowMissing(AdvisorError):
    "TensorFlow, tf-keras or ai-benchmark is not installed"


class BenchmarkFailed(AdvisorError):
    "The benchmark worker stopped before any sub-test finished"


class SettingsError(AdvisorError, ValueError):
    "The server's configuration (an environment variable or an option) cannot be used"


def did_you_mean(name: str, choices) -> str:
    """' (did you mean X?)' for the closest of choices, or '' when nothing is close."""
    lookup = {str(c).lower(): str(c) for c in choices}
    close = difflib.get_close_matches(str(name).lower(), list(lookup), n=3, cutoff=0.5)
    if not close:
        return ""
    return " (did you mean " + " or ".join(lookup[c] for c in close) + "?)"
