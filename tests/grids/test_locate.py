"""Point location: exact answers, the north-east edge rule, sea and off-grid points, bad coordinates."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from pingan.grids.locate import InvalidCoordinates, PolygonIndex

# Four grids meeting at (1, 1): SW=0, SE=1, NW=2, NE=3; and a triangle (4) whose edges cut lattice cells.
SQUARES = [
    shapely.box(0, 0, 1, 1),
    shapely.box(1, 0, 2, 1),
    shapely.box(0, 1, 1, 2),
    shapely.box(1, 1, 2, 2),
    shapely.Polygon([(2, 0), (3, 0), (2, 2)]),
]


@pytest.fixture(scope="module")
def index() -> PolygonIndex:
    return PolygonIndex(SQUARES, cells_per_polygon=16)


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (0.5, 0.5, 0),
        (1.5, 1.5, 3),
        (1.0, 0.5, 1),  # vertical shared edge: the eastern grid
        (0.5, 1.0, 2),  # horizontal shared edge: the northern grid
        (1.0, 1.0, 3),  # corner of four: the north-eastern grid
        (2.0, 0.5, 4),  # edge between a square and the triangle: the eastern one
        (2.0, 2.0, 3),  # a vertex whose north-east is outside every grid: lowest index holding it (3 and 4)
        (0.0, 0.0, 0),  # outer corner
        (2.0, 1.0, 4),
        (2.4, 1.3, -1),  # beside the triangle's slanted edge, outside
        (2.2, 1.3, 4),
        (5.0, 5.0, -1),
        (-0.1, 0.5, -1),
    ],
)
def test_points_including_shared_edges(index: PolygonIndex, lon: float, lat: float, expected: int) -> None:
    assert index.locate(lon, lat) == expected


def test_batch_agrees_with_single_and_with_an_exact_strtree(index: PolygonIndex) -> None:
    rng = np.random.default_rng(3)
    lon = rng.uniform(-0.5, 3.5, 20_000)
    lat = rng.uniform(-0.5, 2.5, 20_000)
    batch = index.locate_many(lon, lat)
    tree = shapely.STRtree(SQUARES)
    hits = tree.query(shapely.points(lon, lat), predicate="intersects")
    expected = np.full(lon.size, -1)
    expected[hits[0]] = hits[1]
    assert (batch == expected).all()
    assert [index.locate(x, y) for x, y in zip(lon[:50], lat[:50], strict=True)] == batch[:50].tolist()


def test_points_on_lattice_lines_take_the_exact_path(index: PolygonIndex) -> None:
    x0 = index.bounds[0]
    xs = x0 + np.arange(1, 12) * index.step
    ys = np.full(xs.size, 0.5)
    got = index.locate_many(xs, ys)
    want = [next((i for i in (0, 1, 4) if SQUARES[i].covers(shapely.Point(x + 1e-9, 0.5 + 1e-9))), -1) for x in xs]
    assert got.tolist() == want


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        (float("nan"), 30.0, "longitude"),
        (122.0, float("inf"), "latitude"),
        (181.0, 30.0, "longitude"),
        (122.0, -90.5, "latitude"),
    ],
)
def test_invalid_coordinates_are_refused(index: PolygonIndex, lon: float, lat: float, message: str) -> None:
    with pytest.raises(InvalidCoordinates, match=message):
        index.locate(lon, lat)


def test_empty_index_answers_none() -> None:
    assert PolygonIndex([]).locate_many([1.0, 2.0], [1.0, 2.0]).tolist() == [-1, -1]
