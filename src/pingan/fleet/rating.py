"""Safety star rating (平安星级船): documented, configurable rules over plain inputs.

A vessel starts from :attr:`RatingRules.base_score` points; each factor adds or deducts points (most deductions
have a floor, so one kind of problem cannot swamp the rest); the sum is clamped to 0–100 and mapped to one to
five stars by :attr:`RatingRules.star_thresholds`. Some facts cap the stars whatever the score (一票否决-style
ceilings): an invalid certificate, a failed last inspection, a serious incident. Every rating lists the factors
that produced it with a Chinese explanation. The rules are described, with a worked example, in
``docs/fleet-rules.md``; change a weight by passing another :class:`RatingRules` and bump its ``version``.

This module is pure: it takes values (ages in days, counts, shares) and never reads the clock or the database.
"""

from __future__ import annotations

from dataclasses import dataclass

RULES_VERSION = "2026.1"
INSPECTION_RESULTS = ("passed", "findings", "failed")
INSPECTION_LABELS_ZH = {"passed": "合格", "findings": "发现隐患", "failed": "不合格"}


@dataclass(frozen=True)
class RatingRules:
    """Weights and thresholds of the star rating (points are added to the score; deductions are negative).

    ``*_floor`` values bound a factor's total deduction. ``star_thresholds`` are the minimum scores of 5, 4, 3
    and 2 stars (anything lower is 1 star). ``*_star_cap`` values are the most stars a vessel can get while the
    condition holds.
    """

    version: str = RULES_VERSION
    base_score: float = 100.0
    certificate_expiring_days: int = 30
    invalid_certificate_points: float = -15.0  # each expired or missing certificate
    invalid_certificate_floor: float = -45.0
    expiring_certificate_points: float = -3.0  # each certificate expiring within certificate_expiring_days
    expiring_certificate_floor: float = -9.0
    inspection_passed_points: float = 5.0  # last inspection, if within inspection_max_age_days
    inspection_findings_points: float = -5.0
    inspection_failed_points: float = -20.0
    inspection_max_age_days: int = 365
    no_recent_inspection_points: float = -10.0
    open_task_points: float = -3.0  # each open rectification task (overdue ones included)
    open_task_floor: float = -15.0
    overdue_task_points: float = -8.0  # each overdue task, on top of its open-task points
    overdue_task_floor: float = -24.0
    violation_points_per_severity: float = -5.0  # × severity (1 minor … 3 serious), last 12 months
    violation_floor: float = -30.0
    incident_points_per_severity: float = -6.0
    incident_floor: float = -36.0
    training_points: float = 5.0  # at least one safety training in the last 12 months
    no_training_points: float = -5.0
    uptime_full_points: float = -20.0  # points at 0 % terminal uptime; linear up to 0 at 100 %
    star_thresholds: tuple[float, float, float, float] = (90.0, 75.0, 60.0, 40.0)
    invalid_certificate_star_cap: int = 3
    failed_inspection_star_cap: int = 2
    serious_incident_severity: int = 3
    serious_incident_star_cap: int = 2


DEFAULT_RULES = RatingRules()


@dataclass(frozen=True)
class RatingInputs:
    """What the rating looks at, gathered by the service for one vessel on one day.

    Certificates count the vessel's (latest of each kind) and the on-board crew's certificates of competency;
    ``certificates_valid`` and ``certificates_expiring`` are disjoint (expiring ones are still valid).
    ``open_rectifications`` counts every open task, ``overdue_rectifications`` the open ones past their deadline.
    Severities are 1 (minor) to 3 (serious), for events in the last 12 months. ``terminal_uptime`` is a share 0–1.
    """

    certificates_valid: int = 0
    certificates_expiring: int = 0
    certificates_expired: int = 0
    certificates_missing: int = 0
    last_inspection: str | None = None
    last_inspection_age_days: int | None = None
    open_rectifications: int = 0
    overdue_rectifications: int = 0
    violation_severities: tuple[int, ...] = ()
    incident_severities: tuple[int, ...] = ()
    trainings: int = 0
    terminal_uptime: float = 1.0

    def check(self) -> None:
        """Raise ``ValueError`` when a value is out of its range."""
        counts = (
            self.certificates_valid,
            self.certificates_expiring,
            self.certificates_expired,
            self.certificates_missing,
            self.open_rectifications,
            self.overdue_rectifications,
            self.trainings,
        )
        if min(counts) < 0:
            raise ValueError("counts must not be negative")
        if self.overdue_rectifications > self.open_rectifications:
            raise ValueError("overdue rectifications are a subset of the open ones")
        if self.last_inspection is not None and self.last_inspection not in INSPECTION_RESULTS:
            raise ValueError(f"unknown inspection result {self.last_inspection!r}")
        if (self.last_inspection is None) != (self.last_inspection_age_days is None):
            raise ValueError("give the last inspection's result and age together")
        if self.last_inspection_age_days is not None and self.last_inspection_age_days < 0:
            raise ValueError("the last inspection cannot be in the future")
        if any(s not in (1, 2, 3) for s in self.violation_severities + self.incident_severities):
            raise ValueError("severities are 1, 2 or 3")
        if not 0.0 <= self.terminal_uptime <= 1.0:
            raise ValueError("terminal uptime is a share between 0 and 1")


@dataclass(frozen=True)
class Factor:
    """One line of a rating: what was looked at, its value, the points it gave and why (in Chinese)."""

    name: str
    value: str
    points: float
    explanation: str

    def as_dict(self) -> dict[str, object]:
        """The factor as stored in ``vessel_rating.factors``."""
        return {"name": self.name, "value": self.value, "points": self.points, "explanation": self.explanation}


@dataclass(frozen=True)
class RatingResult:
    """Stars (1–5), score (0–100, one decimal), the factors and the version of the rules used."""

    stars: int
    score: float
    factors: tuple[Factor, ...]
    rules_version: str


def _bounded(points: float, floor: float) -> float:
    return round(max(points, floor), 1) + 0.0  # + 0.0 turns -0.0 into 0.0


def stars_for_score(score: float, rules: RatingRules = DEFAULT_RULES) -> int:
    """Stars for a score: the first threshold (5, 4, 3, 2 stars) the score reaches, else 1.

    Parameters
    ----------
    score : float
        Points, 0–100.
    rules : RatingRules
        Supplies ``star_thresholds``.

    Returns
    -------
    int
        1 to 5.

    Examples
    --------
    >>> [stars_for_score(s) for s in (100, 90, 89.9, 75, 60, 59.9, 40, 39.9, 0)]
    [5, 5, 4, 4, 3, 2, 2, 1, 1]
    """
    for stars, minimum in zip((5, 4, 3, 2), rules.star_thresholds, strict=True):
        if score >= minimum:
            return stars
    return 1


def rate(inputs: RatingInputs, rules: RatingRules = DEFAULT_RULES) -> RatingResult:
    """Compute the star rating of one vessel from its inputs.

    Parameters
    ----------
    inputs : RatingInputs
        Counts, the last inspection's result and age (days), event severities (last 12 months) and the
        terminal uptime share (0–1).
    rules : RatingRules
        Weights and thresholds; :data:`DEFAULT_RULES` unless configured.

    Returns
    -------
    RatingResult
        Stars 1–5, score 0–100 rounded to 0.1 point, and the factors in a fixed order (score factors first, then
        any star caps that applied, with 0 points).

    Raises
    ------
    ValueError
        When an input is out of range (see :meth:`RatingInputs.check`).

    Examples
    --------
    A vessel with valid papers, a passed inspection 40 days ago and training scores 100 + 5 + 5, capped at 100:

    >>> r = rate(RatingInputs(certificates_valid=4, last_inspection="passed", last_inspection_age_days=40,
    ...                       trainings=1))
    >>> r.stars, r.score
    (5, 100.0)

    One expired certificate costs 15 points and caps the vessel at 3 stars although it scores 95:

    >>> r = rate(RatingInputs(certificates_valid=3, certificates_expired=1, last_inspection="passed",
    ...                       last_inspection_age_days=40, trainings=1))
    >>> r.stars, r.score, [f.name for f in r.factors if f.name.startswith("cap_")]
    (3, 95.0, ['cap_invalid_certificate'])
    """
    inputs.check()
    factors: list[Factor] = []

    invalid = inputs.certificates_expired + inputs.certificates_missing
    factors.append(
        Factor(
            "certificates_invalid",
            f"过期 {inputs.certificates_expired}，缺失 {inputs.certificates_missing}",
            _bounded(invalid * rules.invalid_certificate_points, rules.invalid_certificate_floor),
            f"证书过期或缺失每本 {rules.invalid_certificate_points:g} 分，"
            f"最多扣 {-rules.invalid_certificate_floor:g} 分"
            if invalid
            else "船舶证书和职务船员证书均在有效期内",
        )
    )
    factors.append(
        Factor(
            "certificates_expiring",
            str(inputs.certificates_expiring),
            _bounded(
                inputs.certificates_expiring * rules.expiring_certificate_points, rules.expiring_certificate_floor
            ),
            f"{rules.certificate_expiring_days} 天内到期的证书每本 {rules.expiring_certificate_points:g} 分，"
            f"最多扣 {-rules.expiring_certificate_floor:g} 分",
        )
    )

    age, result = inputs.last_inspection_age_days, inputs.last_inspection
    if result is None or age is None or age > rules.inspection_max_age_days:
        points = rules.no_recent_inspection_points
        value = "无" if result is None else f"{INSPECTION_LABELS_ZH[result]}（{age} 天前）"
        why = f"{rules.inspection_max_age_days} 天内没有安全检查，{points:g} 分"
    else:
        points = {
            "passed": rules.inspection_passed_points,
            "findings": rules.inspection_findings_points,
            "failed": rules.inspection_failed_points,
        }[result]
        value = f"{INSPECTION_LABELS_ZH[result]}（{age} 天前）"
        why = f"最近一次检查{INSPECTION_LABELS_ZH[result]}，{points:+g} 分"
    factors.append(Factor("last_inspection", value, round(points, 1) + 0.0, why))

    factors.append(
        Factor(
            "open_rectifications",
            str(inputs.open_rectifications),
            _bounded(inputs.open_rectifications * rules.open_task_points, rules.open_task_floor),
            f"未关闭的整改任务每项 {rules.open_task_points:g} 分，最多扣 {-rules.open_task_floor:g} 分",
        )
    )
    factors.append(
        Factor(
            "overdue_rectifications",
            str(inputs.overdue_rectifications),
            _bounded(inputs.overdue_rectifications * rules.overdue_task_points, rules.overdue_task_floor),
            f"逾期未整改的任务每项再扣 {-rules.overdue_task_points:g} 分，最多扣 {-rules.overdue_task_floor:g} 分",
        )
    )
    factors.append(
        Factor(
            "violations",
            f"{len(inputs.violation_severities)} 起（严重程度合计 {sum(inputs.violation_severities)}）",
            _bounded(sum(inputs.violation_severities) * rules.violation_points_per_severity, rules.violation_floor),
            f"近 12 个月违规按严重程度每级 {rules.violation_points_per_severity:g} 分，"
            f"最多扣 {-rules.violation_floor:g} 分",
        )
    )
    factors.append(
        Factor(
            "incidents",
            f"{len(inputs.incident_severities)} 起（严重程度合计 {sum(inputs.incident_severities)}）",
            _bounded(sum(inputs.incident_severities) * rules.incident_points_per_severity, rules.incident_floor),
            f"近 12 个月事故险情按严重程度每级 {rules.incident_points_per_severity:g} 分，"
            f"最多扣 {-rules.incident_floor:g} 分",
        )
    )
    trained = inputs.trainings > 0
    factors.append(
        Factor(
            "training",
            str(inputs.trainings),
            rules.training_points if trained else rules.no_training_points,
            f"近 12 个月参加安全培训，{rules.training_points:+g} 分"
            if trained
            else f"近 12 个月未参加安全培训，{rules.no_training_points:g} 分",
        )
    )
    factors.append(
        Factor(
            "terminal_uptime",
            f"{inputs.terminal_uptime:.1%}",
            _bounded((1.0 - inputs.terminal_uptime) * rules.uptime_full_points, rules.uptime_full_points),
            f"定位终端在线率每低 1 个百分点扣 {-rules.uptime_full_points / 100:g} 分"
            f"（在线率为 0 时 {rules.uptime_full_points:g} 分）",
        )
    )

    total = rules.base_score + sum(f.points for f in factors)
    score = round(min(max(total, 0.0), 100.0), 1)
    stars = stars_for_score(score, rules)

    caps: list[tuple[str, int, str]] = []
    if invalid:
        caps.append(("cap_invalid_certificate", rules.invalid_certificate_star_cap, "存在过期或缺失的证书"))
    if result == "failed" and age is not None and age <= rules.inspection_max_age_days:
        caps.append(("cap_failed_inspection", rules.failed_inspection_star_cap, "最近一次检查不合格"))
    if any(s >= rules.serious_incident_severity for s in inputs.incident_severities):
        caps.append(("cap_serious_incident", rules.serious_incident_star_cap, "近 12 个月发生严重事故险情"))
    for name, cap, reason in caps:
        factors.append(Factor(name, f"≤{cap}", 0.0, f"{reason}，星级最高 {cap} 星"))
        stars = min(stars, cap)
    return RatingResult(stars=stars, score=score, factors=tuple(factors), rules_version=rules.version)
