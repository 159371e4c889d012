"""The association's local time: explicit instants around America/Denver's DST changes (2026:
clocks spring forward on 8 March at 02:00 MST and fall back on 1 November at 02:00 MDT)."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from app import create_app, templating
from app.config import TestConfig
from app.coordinator.analytics import _local_times
from app.localtime import (
    LocalTimeError,
    clock_label,
    is_ambiguous,
    local_iso,
    local_label,
    parse_local,
    parse_span,
    to_local,
    utc_iso,
    zone_label,
    zone_named,
)

DENVER = ZoneInfo("America/Denver")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "label"),
    [
        (utc(2026, 1, 15, 23, 0), "2026-01-15 16:00 MST"),
        (utc(2026, 7, 15, 22, 0), "2026-07-15 16:00 MDT"),
        (utc(2026, 1, 16, 3, 0), "2026-01-15 20:00 MST"),  # UTC's next day, Denver's evening
        (utc(2026, 3, 8, 8, 59), "2026-03-08 01:59 MST"),  # the last minute before the gap
        (utc(2026, 3, 8, 9, 0), "2026-03-08 03:00 MDT"),  # 02:00 MST became 03:00 MDT
        (utc(2026, 11, 1, 7, 30), "2026-11-01 01:30 MDT"),  # 01:30, first time round
        (utc(2026, 11, 1, 8, 30), "2026-11-01 01:30 MST"),  # 01:30, second time round
    ],
)
def test_local_label_names_the_zone_abbreviation(instant, label):
    assert local_label(instant, DENVER) == label


def test_to_local_keeps_the_instant_and_reads_naive_values_as_utc():
    local = to_local(utc(2026, 1, 15, 23, 0), DENVER)
    assert (local.hour, local.utcoffset().total_seconds()) == (16, -7 * 3600)
    assert local == utc(2026, 1, 15, 23, 0)
    assert to_local(datetime(2026, 1, 15, 23, 0), DENVER) == local


def test_short_labels_and_machine_formats():
    instant = utc(2026, 7, 15, 22, 0, 5)
    assert clock_label(instant, DENVER) == "16:00 MDT"
    assert clock_label(instant, DENVER, seconds=True) == "16:00:05 MDT"
    assert local_iso(instant, DENVER) == "2026-07-15T16:00:05-06:00"
    assert utc_iso(instant) == "2026-07-15T22:00:05Z"
    assert local_label(None, DENVER) == "—" and clock_label(None) == "—"
    assert zone_label(DENVER) == "America/Denver (MST/MDT)"
    assert zone_label(ZoneInfo("UTC")) == "UTC"


def test_parse_local_turns_wall_time_into_utc_on_both_sides_of_dst():
    assert parse_local(date(2026, 1, 15), time(16), DENVER) == utc(2026, 1, 15, 23)
    assert parse_local(date(2026, 7, 15), time(16), DENVER) == utc(2026, 7, 15, 22)
    assert parse_local(date(2026, 3, 8), time(3), DENVER) == utc(2026, 3, 8, 9)
    assert parse_local(date(2026, 3, 8), time(1, 59), DENVER) == utc(2026, 3, 8, 8, 59)


@pytest.mark.parametrize("at", [time(2, 0), time(2, 30), time(2, 59)])
def test_a_time_in_the_spring_gap_is_refused(at):
    with pytest.raises(LocalTimeError, match="does not exist in America/Denver"):
        parse_local(date(2026, 3, 8), at, DENVER)


def test_a_time_in_the_autumn_fold_is_its_first_occurrence():
    assert is_ambiguous(date(2026, 11, 1), time(1, 30), DENVER)
    assert not is_ambiguous(date(2026, 11, 1), time(2, 30), DENVER)
    assert not is_ambiguous(date(2026, 11, 2), time(1, 30), DENVER)
    # first occurrence: still daylight time (UTC-6), an hour before the MST 01:30
    assert parse_local(date(2026, 11, 1), time(1, 30), DENVER) == utc(2026, 11, 1, 7, 30)


def test_span_16_to_20_lands_at_23_to_03_in_january_and_22_to_02_in_july():
    january = parse_span(date(2026, 1, 15), time(16), time(20), DENVER)
    assert (january.starts_at, january.ends_at) == (utc(2026, 1, 15, 23), utc(2026, 1, 16, 3))
    assert not january.ends_next_day
    july = parse_span(date(2026, 7, 15), time(16), time(20), DENVER)
    assert (july.starts_at, july.ends_at) == (utc(2026, 7, 15, 22), utc(2026, 7, 16, 2))


def test_span_ending_before_its_start_ends_the_next_day():
    span = parse_span(date(2026, 1, 15), time(19), time(1), DENVER)
    assert span.ends_next_day
    assert (span.starts_at, span.ends_at) == (utc(2026, 1, 16, 2), utc(2026, 1, 16, 8))


def test_span_across_the_spring_change_is_an_hour_shorter_on_the_clock():
    span = parse_span(date(2026, 3, 7), time(22), time(4), DENVER)
    assert (span.starts_at, span.ends_at) == (utc(2026, 3, 8, 5), utc(2026, 3, 8, 10))
    assert (span.ends_at - span.starts_at).total_seconds() == 5 * 3600


def test_span_names_an_ambiguous_end_and_refuses_a_skipped_one_or_no_length():
    span = parse_span(date(2026, 10, 31), time(22), time(1, 30), DENVER)
    assert span.ambiguous == ("2026-11-01 01:30",)
    assert span.ends_at == utc(2026, 11, 1, 7, 30)
    with pytest.raises(LocalTimeError, match="does not exist"):
        parse_span(date(2026, 3, 7), time(22), time(2, 30), DENVER)
    with pytest.raises(LocalTimeError, match="same as the start time"):
        parse_span(date(2026, 1, 15), time(16), time(16), DENVER)


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../etc/passwd", "MST7MDT "])
def test_an_unknown_zone_name_is_a_clear_error_naming_time_zone(name):
    with pytest.raises(LocalTimeError, match="TIME_ZONE .* is not an IANA time zone name"):
        zone_named(name)


def test_the_app_refuses_to_start_with_an_unknown_time_zone():
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    with pytest.raises(RuntimeError, match="TIME_ZONE 'America/Denvr' is not an IANA"):
        create_app({**settings, "TIME_ZONE": "America/Denvr"})


def test_when_follows_the_configured_zone(app, monkeypatch):
    instant = utc(2026, 1, 15, 23, 0)
    with app.app_context():
        assert templating.when(instant) == "2026-01-15 23:00 UTC"  # the default zone
        monkeypatch.setitem(app.config, "TIME_ZONE", "America/Denver")
        assert templating.when(instant) == "2026-01-15 16:00 MST"
        html = str(templating.when_here(instant))
    assert 'datetime="2026-01-15T23:00:00Z"' in html and 'data-zone="America/Denver"' in html
    assert ">2026-01-15 16:00 MST</time>" in html


def test_download_tables_show_datetimes_as_local_iso_with_offset(app, monkeypatch):
    monkeypatch.setitem(app.config, "TIME_ZONE", "America/Denver")
    table = pd.DataFrame(
        {
            "started_at": pd.to_datetime(["2026-01-15T23:00:00Z", None], utc=True),
            "saved": [utc(2026, 7, 15, 22, 0), "not a time"],
            "score": [1.5, 2.0],
        }
    )
    with app.app_context():
        shown = _local_times(table)
    assert shown["started_at"].tolist()[0] == "2026-01-15T16:00:00-07:00"
    assert shown["saved"].tolist() == ["2026-07-15T16:00:00-06:00", "not a time"]
    assert shown["score"].tolist() == [1.5, 2.0]
