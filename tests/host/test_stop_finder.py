"""Stop strings found across token boundaries, with nothing emitted past them."""

from __future__ import annotations

from flperf.host.engine import StopFinder


def run(stops: tuple[str, ...], pieces: list[str]) -> tuple[str, bool]:
    finder = StopFinder(stops)
    out = []
    for piece in pieces:
        text, stopped = finder.feed(piece)
        out.append(text)
        if stopped:
            return "".join(out), True
    return "".join(out) + finder.flush(), False


def test_stop_inside_one_piece_cuts_before_it() -> None:
    assert run(("END",), ["abc", "xENDy", "zzz"]) == ("abcx", True)


def test_stop_split_across_pieces_is_found() -> None:
    assert run(("END",), ["abE", "N", "Dzz"]) == ("ab", True)


def test_held_back_prefix_is_released_when_it_does_not_complete() -> None:
    finder = StopFinder(("END",))
    assert finder.feed("abE") == ("ab", False)
    assert finder.feed("Nx") == ("ENx", False)


def test_unfinished_prefix_is_flushed_at_the_end() -> None:
    assert run(("END",), ["abc", "EN"]) == ("abcEN", False)


def test_earliest_of_several_stops_wins() -> None:
    assert run(("zz", "b"), ["aabzz"]) == ("aa", True)


def test_text_without_stops_passes_unchanged() -> None:
    assert run(("###",), ["a", "b", "c"]) == ("abc", False)
