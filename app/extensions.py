"""Extensions, created unbound and bound in create_app."""

from flask_htmx import HTMX
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
htmx = HTMX()
csrf = CSRFProtect()
mail = Mail()
