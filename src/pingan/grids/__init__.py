"""The sea–land grid registry (海陆双网): administrative areas, land grids, sea grids, location, service teams."""
