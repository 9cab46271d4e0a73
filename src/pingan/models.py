"""Import every table module so ``Base.metadata`` is complete (migrations, ``db check``)."""

from pingan.audit import models as audit_models
from pingan.auth import models as auth_models
from pingan.db import Base
from pingan.org import models as org_models

__all__ = ["Base", "audit_models", "auth_models", "org_models"]
