"""Inspection checklists (隐患排查清单) per operation type, as plain data.

Every vessel is checked against the common items — life-saving (救生), fire (消防), communication (通信),
position terminals (定位终端) and crew certificates (船员证书) — plus the items of its gear (集鱼灯 for 灯光围网 and
鱿钓, 绞机 for 拖网 and 围网 …). Each item has a stable code, a Chinese label, the days allowed to put a finding
right (整改期限) and whether a failure fails the whole inspection (``critical``). Operation types are the string
values of :class:`pingan.fleet.models.OperationType`; this module imports no ORM so it stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass

CHECKLIST_VERSION = "2026.1"


@dataclass(frozen=True)
class ChecklistItem:
    """One item to check: code, Chinese label, category, rectification days and whether it is critical."""

    code: str
    label: str
    category: str
    rectify_days: int
    critical: bool = False


CATEGORY_LABELS_ZH: dict[str, str] = {
    "life_saving": "救生",
    "fire": "消防",
    "communication": "通信",
    "positioning": "定位终端",
    "crew": "船员证书",
    "gear": "作业设备",
}

_I = ChecklistItem
COMMON_ITEMS: tuple[ChecklistItem, ...] = (
    _I("ls.lifejackets", "救生衣数量满足在船人数且状况良好", "life_saving", 3, critical=True),
    _I("ls.liferaft", "救生筏在检验有效期内、静水压力释放器正常", "life_saving", 7, critical=True),
    _I("ls.lifebuoys", "救生圈配备齐全、附带自亮浮灯和浮索", "life_saving", 3),
    _I("ls.distress_signals", "遇险信号（火箭降落伞信号、手持火焰信号）在有效期内", "life_saving", 7),
    _I("fire.extinguishers", "手提式灭火器配备齐全、压力正常、在有效期内", "fire", 3, critical=True),
    _I("fire.pump_hose", "消防泵、消防水带和水枪可正常使用", "fire", 7),
    _I("fire.engine_room", "机舱无油污积存，电气线路无老化、裸露", "fire", 7),
    _I("comm.vhf", "甚高频（VHF）无线电话工作正常并守听16频道", "communication", 3, critical=True),
    _I("comm.hf_radio", "中高频/单边带电台工作正常", "communication", 7),
    _I("pos.ais", "AIS 终端开机，船名、MMSI 等静态信息正确", "positioning", 1, critical=True),
    _I("pos.beidou", "北斗船载终端工作正常、位置上报连续", "positioning", 1, critical=True),
    _I("crew.officers", "职务船员持有效适任证书，满足最低安全配员", "crew", 15, critical=True),
    _I("crew.ordinary", "普通船员持有效专业训练合格证（基本安全）", "crew", 15),
    _I("crew.roster", "在船人员与船员名单一致", "crew", 1),
)

_LIGHTS = _I("gear.lights", "集鱼灯线路绝缘良好、灯具固定牢靠、配电箱防水", "gear", 7, critical=True)
_LIGHT_GENERATOR = _I("gear.light_generator", "集鱼灯发电机组运行正常、过载保护有效", "gear", 7)
_PURSE_WINCH = _I("gear.purse_winch", "括纲绞机及动力滑车完好、刹车可靠", "gear", 7, critical=True)
_NET_HAULER = _I("gear.net_hauler", "起网机防护罩完好、紧急停止装置有效", "gear", 7)
_NET_MARKERS = _I("gear.net_markers", "网具标识（网位标志、网位仪）齐全", "gear", 7)

GEAR_ITEMS: dict[str, tuple[ChecklistItem, ...]] = {
    "trawl": (
        _I("gear.winch", "拖网绞机、钢丝绳及刹车装置完好", "gear", 7, critical=True),
        _I("gear.warp_zone", "拖纲作业区防护栏和警示标识齐全", "gear", 7),
    ),
    "gillnet": (_NET_HAULER, _NET_MARKERS),
    "purse_seine": (_PURSE_WINCH, _I("gear.skiff", "围网辅助艇（灯船）状况良好", "gear", 7)),
    "stow_net": (_I("gear.anchor_lines", "张网锚缆、桩具和浮标牢固", "gear", 7),),
    "drift_net": (_NET_HAULER, _NET_MARKERS),
    "squid_jigging": (
        _LIGHTS,
        _LIGHT_GENERATOR,
        _I("gear.jigging_machines", "鱿钓机防护和电气接地良好", "gear", 7),
    ),
    "light_purse_seine": (_LIGHTS, _LIGHT_GENERATOR, _PURSE_WINCH),
    "longline": (_I("gear.line_hauler", "起绳机防护罩完好、紧急停止装置有效", "gear", 7),),
    "cage": (
        _I("gear.pot_hauler", "起笼机防护罩完好、紧急停止装置有效", "gear", 7),
        _I("gear.deck_stowage", "甲板笼具堆放绑扎牢固，不影响稳性", "gear", 3, critical=True),
    ),
    "auxiliary": (
        _I("gear.refrigeration", "冷藏制冷系统无泄漏，制冷剂（氨/氟）管路完好", "gear", 7, critical=True),
        _I("gear.cargo_lashing", "货舱和甲板货物系固可靠", "gear", 3),
    ),
}
OPERATION_TYPES: tuple[str, ...] = tuple(GEAR_ITEMS)


def checklist_for(operation_type: str) -> tuple[ChecklistItem, ...]:
    """The checklist of an operation type: the common items, then the gear's.

    Raises ``KeyError`` for an operation type without a checklist.

    >>> [i.code for i in checklist_for("trawl")][-2:]
    ['gear.winch', 'gear.warp_zone']
    >>> len(checklist_for("light_purse_seine")) == len(COMMON_ITEMS) + 3
    True
    """
    return COMMON_ITEMS + GEAR_ITEMS[operation_type]


def checklist_name(operation_type: str) -> str:
    """The name stored with an inspection: checklist version and operation type.

    >>> checklist_name("gillnet")
    '2026.1:gillnet'
    """
    checklist_for(operation_type)  # refuse unknown types
    return f"{CHECKLIST_VERSION}:{operation_type}"


def item_map(operation_type: str) -> dict[str, ChecklistItem]:
    """The checklist of an operation type keyed by item code.

    >>> item_map("cage")["gear.deck_stowage"].rectify_days
    3
    """
    return {item.code: item for item in checklist_for(operation_type)}
