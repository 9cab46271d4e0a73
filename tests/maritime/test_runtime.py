"""The runtime's pieces that need no database: the dead-letter log, port boxes and the land test near ports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from pingan.maritime.repository import PortArea
from pingan.maritime.runtime import DeadLetterLog, in_boxes, land_test, near_ports
from pingan.maritime.stream import Counters, Decoder


def test_refused_lines_are_sampled_to_the_dead_letter_log_at_a_bounded_rate(tmp_path: Path) -> None:
    log = DeadLetterLog(tmp_path / "dead.log", per_minute=5)
    counters = Counters(dead_letter=log)
    decoder = Decoder(counters)
    for i in range(50):
        decoder.feed(f"!AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,0*{i % 16:02X}")  # the right sum is 30: all bad
    decoder.feed(b"\xff\xfe garbage")
    lines = (tmp_path / "dead.log").read_text("utf-8").splitlines()
    reasons = [line.split("\t")[1] for line in lines]
    assert reasons.count("checksum") == 5 and reasons.count("not_text") == 1
    assert counters.rejected["checksum"] == 50  # every refusal is counted even when it is not logged
    assert all(line.split("\t")[2].startswith(("!AIVDM", "\\xff")) for line in lines)


def test_a_port_box_grows_by_its_radius_and_exempts_the_land_mask_around_it() -> None:
    quay = PortArea("SJM", "沈家门渔港", "fishing_port", (122.295, 29.937, 122.305, 29.947), shapely.box(0, 0, 1, 1))
    boxes = near_ports([quay], 3000.0)
    assert in_boxes(np.array([122.300, 122.33]), np.array([29.966, 29.942]), boxes).tolist() == [True, True]
    assert not in_boxes(np.array([122.36]), np.array([29.942]), boxes)[0]
    on_land = land_test([quay])
    island_far_from_ports = (np.array([122.20]), np.array([30.02]))  # 舟山岛 inland
    assert on_land(*island_far_from_ports).tolist() == [True]
    assert on_land(np.array([122.300]), np.array([29.942])).tolist() == [False]  # the quay itself
    assert on_land(np.array([122.60]), np.array([30.00])).tolist() == [False]  # open sea
