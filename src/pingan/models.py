"""Import every table module so ``Base.metadata`` is complete (migrations, ``db check``)."""

from pingan.audit import models as audit_models
from pingan.auth import models as auth_models
from pingan.cases import models as case_models
from pingan.db import Base
from pingan.fleet import models as fleet_models
from pingan.grids import models as grid_models
from pingan.maritime import models as maritime_models
from pingan.org import models as org_models
from pingan.people import models as people_models

__all__ = [
    "Base",
    "audit_models",
    "auth_models",
    "case_models",
    "fleet_models",
    "grid_models",
    "maritime_models",
    "org_models",
    "people_models",
]
