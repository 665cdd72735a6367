"""WTForms for the coordinator's pages; every message names its field in the user's language."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(_l("E-mail: fill in your e-mail address.")),
            Length(max=254, message=_l("E-mail: at most 254 characters.")),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Password: fill in your password.")),
            Length(max=200, message=_l("Password: at most 200 characters.")),
        ],
    )
