"""A large export part is cut into slices that each fit one event and join back to the text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shared.participant_export import export_slices


@given(st.text(min_size=0, max_size=3_000), st.integers(min_value=8, max_value=400))
def test_slices_fit_the_budget_and_join_back_to_the_text(text: str, budget: int) -> None:
    slices = export_slices(text, budget=budget)
    assert "".join(piece.text for piece in slices) == text
    for piece in slices:
        fits = len(piece.model_dump_json().encode()) <= budget
        assert fits or len(piece.text) == 1  # one character is never cut


def test_escaped_and_wide_characters_count_as_what_they_take_on_the_wire() -> None:
    text = '"\\\n' * 1_000 + "ø€𝄞" * 1_000
    slices = export_slices(text, budget=256)
    assert "".join(piece.text for piece in slices) == text
    assert all(len(piece.model_dump_json().encode()) <= 256 for piece in slices)
