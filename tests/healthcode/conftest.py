"""The health code's tests use the epi tests' cases and contacts (made directly, no services)."""

from tests.epi.conftest import _english_outside_requests, a_case, a_contact

__all__ = ["_english_outside_requests", "a_case", "a_contact"]
