"""Flask extensions, created unbound and initialised in create_app()."""

import sqlalchemy as sa
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

#: Stable constraint and index names, so that migrations can name what they change.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Model(DeclarativeBase):
    """Declarative base with stable constraint names (relationships say lazy="raise")."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


#: Objects stay usable after a commit within the request: relationships are lazy="raise", so an
#: expired, unloaded relationship could not be read again.
SESSION_OPTIONS = {"expire_on_commit": False}
db = SQLAlchemy(model_class=Model, session_options=dict(SESSION_OPTIONS))  # it adds to the dict
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()
#: The sign-in throttle uses its storage and strategy directly (auth.services).
#: No route-level limits.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
