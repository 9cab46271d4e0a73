"""The alert picture, built with array look-ups, says of every target what the one-target rules say."""

from __future__ import annotations

from pyais import encode_dict

from pingan.demo.simulator import nmea_checksum
from pingan.maritime.classify import TargetClass, target_kind
from pingan.maritime.engine import build_picture
from tests.maritime.alerts.conftest import Watch

MERCHANT, CLASS_B, TYPED_FISHING = 412_000_001, 412_000_002, 412_000_003


def test_each_targets_kind_gear_and_group_match_the_registry_and_the_scalar_rule(watch: Watch) -> None:
    watch.run(400)  # every boat of the fleet has reported (a slow Class B every 3 minutes)
    body = f"s:TEST,c:{int(watch.sim.t)}"
    tag = f"\\{body}*{nmea_checksum(body)}\\"
    at_sea = {"accuracy": 1, "lon": 123.2, "course": 90.0, "heading": 90}
    messages = [
        {"type": 1, "mmsi": MERCHANT, "status": 0, "speed": 12.0, "lat": 30.10, **at_sea},
        {"type": 18, "mmsi": CLASS_B, "speed": 6.0, "lat": 30.12, **at_sea},
        {"type": 5, "mmsi": TYPED_FISHING, "shipname": "LU YU 1", "ship_type": 30},
        {"type": 1, "mmsi": TYPED_FISHING, "status": 7, "speed": 3.0, "lat": 30.14, **at_sea},
    ]
    lines = [tag + s for m in messages for s in encode_dict(m, talker_id="AI", sentence_type="VDM")]
    watch.sender.sendto(("\r\n".join(lines) + "\r\n").encode("ascii"), watch.address)
    watch.sent += len(lines)
    watch.send([])  # waits until the listener has read every line

    runtime = watch.runtime
    picture = build_picture(runtime, watch.now)
    with runtime.pipeline.lock:
        view = runtime.pipeline.tracks.view(watch.now.timestamp())
    msg_type = dict(zip(view["key"].tolist(), view["msg_type"].tolist(), strict=True))
    registry = runtime.registry
    kinds = {}
    for i, key in enumerate(picture.key.tolist()):
        vid = int(picture.vessel_id[i])
        names = registry.names.get(vid) if vid >= 0 else None
        ship_type = runtime.pipeline.statics.get(key, {}).get("ship_type")
        expected = target_kind(names is not None, ship_type, TargetClass(str(picture.target_class[i])), msg_type[key])
        assert picture.kind[i] == expected, key
        assert picture.gear[i] == (names[2] if names else ""), key
        assert picture.group_id[i] == (registry.group_of.get(vid, -1) if names else -1), key
        kinds[key] = str(picture.kind[i])

    assert (kinds[MERCHANT], kinds[CLASS_B], kinds[TYPED_FISHING]) == ("merchant", "other", "fishing")
    registered = [k for k, v in zip(picture.key.tolist(), picture.vessel_id.tolist(), strict=True) if v >= 0]
    assert len(registered) == 8 and all(kinds[k] == "fishing" for k in registered)
    assert sum(int(g) >= 0 for g in picture.group_id) == 5  # BZ-T01's three and BZ-T02's two
