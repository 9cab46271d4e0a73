"""Fleet safety management: vessel files, groups, cadre links, watch duty, dynamic reports, inspections, ratings."""
