"""The position pipeline fed with real AIS captures and BeiDou reports: classes, static data, safety, fusion, counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyais import encode_dict

from pingan.maritime.classify import TargetClass
from pingan.maritime.history import read_track
from pingan.maritime.pipeline import Pipeline, VesselIndex
from pingan.maritime.reports import PositionReport, Source
from pingan.maritime.tracks import SOURCE_CODES, Refusal
from tests.shared_data import VECTORS as SHARED_VECTORS

VECTORS = SHARED_VECTORS
NOW = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
SEA = (122.60, 30.00)  # east of Zhoushan island
SHIP, VESSEL_ID = 412345678, 7


def lines_of(name: str) -> list[bytes]:
    return (VECTORS / name).read_bytes().splitlines()


def make(**kwargs: Any) -> Pipeline:
    return Pipeline(history_root=kwargs.pop("history_root", None), clock=lambda: NOW, **kwargs)


@pytest.fixture(scope="module")
def sample() -> Pipeline:
    """A pipeline that has read gpsd's sample.aivdm (no tag blocks: reports are timed by the clock)."""
    pipeline = make()
    assert pipeline.feed_lines(lines_of("gpsd/sample.aivdm"), feed="sample") == 102
    return pipeline


def ais(data: dict[str, Any], *, sentence_type: str = "VDM") -> list[str]:
    """Sentences built with pyais's encoder, for targets no vector carries (Zhoushan waters)."""
    return encode_dict(data, talker_id="AI", sentence_type=sentence_type)


def class_b(mmsi: int, lon: float = SEA[0], *, speed: float = 0.3) -> list[str]:
    return ais({"type": 18, "mmsi": mmsi, "lon": lon, "lat": SEA[1], "speed": speed, "course": 90.0})


@pytest.mark.parametrize(
    ("mmsi", "expected"),
    [
        pytest.param(3669702, TargetClass.BASE_STATION, id="type-4-base-station"),
        pytest.param(2242115, TargetClass.BASE_STATION, id="type-4-base-station-2"),
        pytest.param(111265591, TargetClass.SAR_AIRCRAFT, id="type-9-sar-aircraft"),
        pytest.param(111232511, TargetClass.SAR_AIRCRAFT, id="type-9-sar-aircraft-2"),
        pytest.param(371798000, TargetClass.VESSEL, id="type-1-vessel"),
        pytest.param(338087471, TargetClass.VESSEL, id="type-18-vessel"),
        pytest.param(206914217, TargetClass.VESSEL, id="type-27-vessel"),
    ],
)
def test_sample_aivdm_targets_get_their_classes(sample: Pipeline, mmsi: int, expected: TargetClass) -> None:
    assert sample.target_class_of(mmsi) is expected


@pytest.mark.parametrize("mmsi", [123456789, 4000003])
def test_sample_aivdm_type_21_targets_are_aids_to_navigation(sample: Pipeline, mmsi: int) -> None:
    assert sample.target_class_of(mmsi) is TargetClass.ATON


def test_a_ship_answering_a_utc_inquiry_stays_a_vessel(sample: Pipeline) -> None:
    assert sample.target_class_of(304137000) is TargetClass.VESSEL


def test_type_21_aids_to_navigation_of_ais_raw_messages_are_atons() -> None:
    pipeline = make()
    pipeline.feed_lines(lines_of("gpsd/ais-raw-messages.log"), feed="raw")

    atons = [m for m in range(992411001, 992411008) if pipeline.is_known(m)]
    assert len(atons) == 6
    assert {pipeline.target_class_of(m) for m in atons} == {TargetClass.ATON}
    assert pipeline.target_class_of(2393200) is TargetClass.BASE_STATION


def test_sample_aivdm_merges_type_24_parts_of_one_mmsi_into_statics(sample: Pipeline) -> None:
    assert sample.statics[271041815] == {
        "shipname": "PROGUY",
        "callsign": "TC6163",
        "ship_type": 60,
        "to_bow": 0,
        "to_stern": 15,
        "to_port": 0,
        "to_starboard": 5,
        "vendorid": "1D0",
        "model": 12,
        "serial": 199796,
    }
    assert sample.statics[271040660]["shipname"] == "GOZDEM-1"  # 24A, then a 24B after another ship's 24A
    assert sample.statics[271040660]["callsign"] == "YM5504"
    assert sample.statics[351759000]["shipname"] == "EVER DIADEM"  # type 5
    assert {271041815, 271040660, 351759000} <= sample.static_dirty


def test_sample_aivdm_keeps_safety_messages_and_makes_no_targets_of_them(sample: Pipeline) -> None:
    kept = list(sample.safety)

    assert [m.msg_type for m in kept].count(12) == 7
    assert [m.msg_type for m in kept].count(14) == 3
    first = kept[0]
    assert (first.mmsi, first.text, first.received_at, first.station) == (
        2275200,
        "PLEASE REPORT TO JOBOURG TRAFFIC CHANNEL 13",
        NOW,
        "sample",
    )
    assert not sample.is_known(2275200)


def test_an_own_ship_position_is_not_a_target() -> None:
    pipeline = make()
    own = {"type": 1, "mmsi": SHIP, "lon": SEA[0], "lat": SEA[1], "speed": 5.0, "course": 90.0}

    assert pipeline.feed_lines(ais(own, sentence_type="VDO"), feed="ownship") == 1

    assert not pipeline.is_known(SHIP)
    assert pipeline.by_type[1] == 1
    assert pipeline.feed_lines(ais(own), feed="ownship") == 1
    assert pipeline.is_known(SHIP)  # the same report as VDM is a target


def test_tag_block_time_orders_reports_and_late_ones_are_stale() -> None:
    pipeline = make()
    pipeline.feed_lines(lines_of("libais/tagblock.nmea"), feed="orbcomm")

    row = pipeline.tracks.index[224651000]
    assert pipeline.tracks.observed_at[row] == datetime(2014, 12, 10, 0, 41, 53, tzinfo=UTC).timestamp()
    assert pipeline.counts()["ingest"]["positions_refused"] == {"stale": 2}  # 00:35:22 and 00:32:41 came later
    assert pipeline.last_reports[224651000][0]["station"] == "rORBCOMM104"
    assert pipeline.statics[219005012]["shipname"] == "ROSINANTE"


def test_a_vessel_index_links_an_mmsi_to_its_vessel() -> None:
    pipeline = make(index=VesselIndex(by_mmsi={371798000: VESSEL_ID}))
    pipeline.feed_lines(lines_of("gpsd/sample.aivdm"), feed="sample")

    t = pipeline.tracks
    assert int(t.vessel_id[t.index[371798000]]) == VESSEL_ID
    assert int(t.vessel_id[t.index[440348000]]) == -1


def fused_index() -> VesselIndex:
    return VesselIndex(
        by_mmsi={SHIP: VESSEL_ID},
        by_device={"BD-0007": VESSEL_ID, "BD-0009": 9},
        mmsi_of={VESSEL_ID: SHIP},
    )


def beidou(device_id: str, seconds: float, lon: float = SEA[0] + 0.001) -> PositionReport:
    return PositionReport(
        observed_at=NOW + timedelta(seconds=seconds),
        lon=lon,
        lat=SEA[1],
        source=Source.BEIDOU,
        device_id=device_id,
        sog_kn=4.0,
        cog_deg=90.0,
    )


def test_a_beidou_report_of_a_known_device_fuses_into_the_vessels_mmsi() -> None:
    pipeline = make(index=fused_index())
    pipeline.feed_lines(ais({"type": 1, "mmsi": SHIP, "lon": SEA[0], "lat": SEA[1], "speed": 4.0}), feed="ais")

    assert pipeline.take_position(beidou("BD-0007", 60)) is None

    t = pipeline.tracks
    assert t.size == 1
    row = t.index[SHIP]
    assert SOURCE_CODES[int(t.source[row])] is Source.BEIDOU
    assert float(t.lon[row]) == pytest.approx(SEA[0] + 0.001)
    assert (int(t.vessel_id[row]), int(t.reports[row])) == (VESSEL_ID, 2)
    assert pipeline.target_class_of(SHIP) is TargetClass.VESSEL
    assert [r["source"] for r in pipeline.last_reports[SHIP]] == ["ais", "beidou"]


def test_a_beidou_report_of_a_vessel_without_mmsi_gets_a_negative_key() -> None:
    pipeline = make(index=fused_index())

    assert pipeline.take_position(beidou("BD-0009", 0)) is None

    assert pipeline.is_known(-9)
    assert int(pipeline.tracks.vessel_id[pipeline.tracks.index[-9]]) == 9


def test_a_beidou_report_of_an_unknown_device_is_refused() -> None:
    pipeline = make(index=fused_index())

    assert pipeline.take_position(beidou("BD-4242", 0)) is Refusal.UNKNOWN_TERMINAL
    assert pipeline.take_position(beidou("", 0)) is Refusal.UNKNOWN_TERMINAL

    assert pipeline.tracks.size == 0
    ingest = pipeline.counts()["ingest"]
    assert ingest["positions_refused"] == {"unknown_terminal": 2}
    assert ingest["by_source"] == {"beidou": 2}


def test_an_unregistered_slow_class_b_at_a_two_minute_cadence_becomes_a_net_beacon() -> None:
    pipeline = make(index=VesselIndex(by_mmsi={412000002: 2}))
    for i in range(6):
        at = NOW + timedelta(minutes=2 * i)
        for mmsi in (412000001, 412000002):
            (line,) = class_b(mmsi, SEA[0] + 0.0001 * i)
            decoded = pipeline.decoder("ais").feed(line)
            assert decoded is not None
            pipeline.take(decoded, received_at=at)

    assert pipeline.target_class_of(412000001) is TargetClass.NET_BEACON
    assert pipeline.target_class_of(412000002) is TargetClass.VESSEL  # registered: never a beacon


def test_a_beacon_name_in_type_24_reclassifies_a_target() -> None:
    pipeline = make()
    pipeline.feed_lines(class_b(412000001, speed=6.0), feed="ais")
    assert pipeline.target_class_of(412000001) is TargetClass.VESSEL

    pipeline.feed_lines(ais({"type": 24, "mmsi": 412000001, "partno": 0, "shipname": "12.6V 83%"}), feed="ais")

    assert pipeline.target_class_of(412000001) is TargetClass.NET_BEACON


def batch(mmsi: int, at: datetime, lon: float) -> dict[str, Any]:
    """One Class B report in the fast path's column form."""
    return {
        "mmsi": np.array([mmsi], dtype=np.int64),
        "at": np.array([at.timestamp()]),
        "lon": np.array([lon]),
        "lat": np.array([SEA[1]]),
        "sog_kn": np.array([0.3]),
        "cog_deg": np.array([90.0]),
        "heading_deg": np.array([np.nan]),
        "nav_status": np.array([-1], dtype=np.int16),
        "msg_type": np.array([18], dtype=np.int16),
        "station": np.array([0], dtype=np.int64),
    }


def test_take_batch_applies_positions_and_writes_history(tmp_path: Path) -> None:
    pipeline = make(history_root=tmp_path)

    assert pipeline.take_batch(batch(412000001, NOW, SEA[0]), station_names=["zhoushan-1"]) == 1
    pipeline.flush()

    rows = read_track(tmp_path, key=412000001, start=NOW, end=NOW + timedelta(hours=1))
    assert [(r["station"], r["target_class"], r["msg_type"]) for r in rows] == [("zhoushan-1", "vessel", 18)]


def test_take_batch_finds_a_net_beacon_like_one_at_a_time() -> None:
    pipeline = make()
    for i in range(6):
        pipeline.take_batch(batch(412000001, NOW + timedelta(minutes=2 * i), SEA[0] + 0.0001 * i))

    assert pipeline.target_class_of(412000001) is TargetClass.NET_BEACON


def test_accepted_positions_go_to_history(tmp_path: Path) -> None:
    pipeline = make(history_root=tmp_path)
    pipeline.feed_lines(lines_of("gpsd/sample.aivdm"), feed="sample")

    written = pipeline.flush()

    assert written == pipeline.tracks.accepted == pipeline.counts()["ingest"]["history_rows"]
    (row,) = read_track(tmp_path, key=371798000, start=NOW, end=NOW)
    assert (row["mmsi"], row["target_class"], row["station"]) == (371798000, "vessel", "sample")
    assert row["lon"] == pytest.approx(-123.395383, abs=1e-6)


def test_counts_has_the_ingest_and_target_shape(sample: Pipeline) -> None:
    counts = sample.counts()

    assert json.loads(json.dumps(counts)) == counts
    ingest = counts["ingest"]
    assert set(ingest) == {
        "lines",
        "messages",
        "used_lines",
        "skipped",
        "rejected",
        "pending_fragments",
        "by_type",
        "by_source",
        "positions_accepted",
        "positions_refused",
        "history_rows",
        "history_pending",
    }
    assert (ingest["lines"], ingest["messages"], ingest["used_lines"]) == (1121, 102, 118)
    assert ingest["pending_fragments"] == 0
    assert ingest["by_type"]["24"] == 7 and ingest["by_type"]["1"] == 4
    assert ingest["by_source"]["ais"] == ingest["positions_accepted"] + sum(ingest["positions_refused"].values())
    targets = counts["targets"]
    assert targets["total"] == sample.tracks.size == sum(v for k, v in targets.items() if k != "total")
    assert targets["base_station"] >= 2 and targets["sar_aircraft"] == 2
