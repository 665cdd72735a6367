"""WTForms for the coordinator's pages; every message names its field in the user's language."""

from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from .accounts import AccountError, check_email, check_name, check_slug, password_problem
from .days import Window, week_window
from .poll_admin import MeetingDraft, PollRules, parse_week_list, parse_weeks
from .text_checks import has_control, is_email

# The `type: ignore[call-arg]` below mark WTForms 3.3's invalid_value_message and
# invalid_choice_message arguments, which types-wtforms (written for 3.2) does not list yet.

# Browsers send ISO dates from <input type=date>; people typing by hand write Danish dates.
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y"]
MEETING_ROWS = 6
MAX_MEETING_ROWS = 24


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("New password: fill in a password."))],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(_l("Repeat the password: fill in the password once more."))],
        render_kw={"autocomplete": "new-password"},
    )

    def validate_password(self, field: Field) -> None:
        if problem := password_problem(field.data):
            raise ValidationError(problem)

    def validate_confirm(self, field: Field) -> None:
        if field.data != self.password.data:
            raise ValidationError(_("Repeat the password: the two passwords differ."))


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

    def validate_email(self, field) -> None:
        NoControlCharacters()(self, field)


def strip(value):
    return value.strip() if isinstance(value, str) else value


class NoControlCharacters:
    """Refuses invisible control characters (line breaks too: these are one-line fields),
    naming the field; stops the field's other checks."""

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and has_control(field.data):
            raise StopValidation(
                _(
                    "%(field)s: remove the invisible control characters (such as line breaks).",
                    field=field.label.text,
                )
            )


class EmailAddress:
    """One plain e-mail address, by the same check as the CSV import and the mailer."""

    def __call__(self, form, field) -> None:
        if field.data and not is_email(field.data):
            raise ValidationError(_("E-mail: this is not a valid e-mail address."))


class LostLinkForm(FlaskForm):
    """The start page's "lost your link?": the e-mail the member's link is mailed to."""

    email = EmailField(
        _l("E-mail"),
        filters=[strip],
        validators=[
            DataRequired(_l("E-mail: fill in your e-mail address.")),
            Length(max=254, message=_l("E-mail: at most 254 characters.")),
        ],
    )

    def validate_email(self, field) -> None:
        NoControlCharacters()(self, field)
        EmailAddress()(self, field)


class ForgotPasswordForm(LostLinkForm):
    """The login page's "forgot your password?": the account's e-mail the link is mailed to."""


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField(
        _l("Current password"),
        validators=[
            DataRequired(_l("Current password: fill in your current password.")),
            Length(max=200, message=_l("Current password: at most 200 characters.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )


class InviteCoordinatorForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        filters=[strip],
        validators=[
            DataRequired(_l("E-mail: fill in the new coordinator's e-mail address.")),
            Length(max=254, message=_l("E-mail: at most 254 characters.")),
        ],
    )
    name = StringField(
        _l("Name (optional)"),
        filters=[strip],
        validators=[
            NoControlCharacters(),
            Length(max=200, message=_l("Name: at most 200 characters.")),
        ],
    )

    def validate_email(self, field) -> None:
        NoControlCharacters()(self, field)
        EmailAddress()(self, field)


def _account_check(field: Field, check, *args) -> None:
    """`field` through one of the checks `flask create-network` makes (poll/accounts.py), its
    message prefixed with the field's name; the field keeps the checked (normalised) value."""
    try:
        field.data = check(field.data, *args)
    except AccountError as error:
        raise ValidationError(
            _("%(field)s: %(error)s", field=field.label.text, error=str(error))
        ) from None


class NewNetworkForm(FlaskForm):
    """The administrator's new network, checked as `flask create-network` checks its arguments."""

    name = StringField(
        _l("Name of the network"),
        filters=[strip],
        validators=[
            InputRequired(_l("Name of the network: fill in a name.")),
            NoControlCharacters(),
            Length(max=200, message=_l("Name of the network: at most 200 characters.")),
        ],
    )
    slug = StringField(
        _l("Short name"),
        filters=[strip],
        validators=[
            InputRequired(_l("Short name: fill in a short name, for example vest-fyn.")),
            NoControlCharacters(),
            Length(max=60, message=_l("Short name: at most 60 characters.")),
        ],
    )
    email = EmailField(
        _l("Coordinator's e-mail"),
        filters=[strip],
        validators=[
            InputRequired(_l("Coordinator's e-mail: fill in an e-mail address.")),
            NoControlCharacters(),
            Length(max=254, message=_l("Coordinator's e-mail: at most 254 characters.")),
        ],
    )
    coordinator_name = StringField(
        _l("Coordinator's name"),
        filters=[strip],
        validators=[
            NoControlCharacters(),
            Length(max=200, message=_l("Coordinator's name: at most 200 characters.")),
        ],
    )

    def validate_slug(self, field: Field) -> None:
        _account_check(field, check_slug)

    def validate_name(self, field: Field) -> None:
        _account_check(field, check_name, 200)

    def validate_email(self, field: Field) -> None:
        _account_check(field, check_email)

    def validate_coordinator_name(self, field: Field) -> None:
        if field.data:
            _account_check(field, check_name, 200)


class DeleteNetworkForm(FlaskForm):
    """Deleting a network: the administrator types its short name."""

    slug = StringField(_l("Short name"), filters=[strip], validators=[NoControlCharacters()])


class MultiCheckboxField(SelectMultipleField):
    """Check boxes for a list of choices (rendered in a fieldset by the templates)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NetworkForm(FlaskForm):
    name = StringField(
        _l("Name of the network"),
        filters=[strip],
        validators=[
            InputRequired(_l("Name of the network: fill in a name.")),
            NoControlCharacters(),
            Length(max=200, message=_l("Name of the network: at most 200 characters.")),
        ],
    )
    meeting_start = TimeField(
        _l("Meetings start"),
        validators=[InputRequired(_l("Meetings start: fill in a time like 10:00."))],
        invalid_value_message=_l("Meetings start: write a time like 10:00."),  # type: ignore[call-arg]
    )
    meeting_end = TimeField(
        _l("Meetings end"),
        validators=[InputRequired(_l("Meetings end: fill in a time like 15:00."))],
        invalid_value_message=_l("Meetings end: write a time like 15:00."),  # type: ignore[call-arg]
    )

    notice_days = IntegerField(
        _l("Meeting notice, days before the meeting"),
        validators=[
            Optional(),
            NumberRange(
                min=1, max=90, message=_l("Meeting notice: a number of days from 1 to 90.")
            ),
        ],
        invalid_value_message=_l("Meeting notice: write a whole number of days, like 14."),  # type: ignore[call-arg]
    )
    signup_deadline_days = IntegerField(
        _l("Sign-up closes, days before the meeting"),
        validators=[
            Optional(),
            NumberRange(
                min=0, max=60, message=_l("Sign-up closes: a number of days from 0 to 60.")
            ),
        ],
        invalid_value_message=_l("Sign-up closes: write a whole number of days, like 3."),  # type: ignore[call-arg]
    )

    def validate_meeting_end(self, field):
        start = self.meeting_start.data
        if start and field.data and field.data <= start:
            raise ValidationError(_l("Meetings end: must be later than the start."))


class VenueForm(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[
            InputRequired(_l("Name: fill in the name of the venue.")),
            NoControlCharacters(),
            Length(max=200, message=_l("Name: at most 200 characters.")),
        ],
    )
    address = StringField(
        _l("Address"),
        filters=[strip],
        validators=[
            NoControlCharacters(),
            Length(max=300, message=_l("Address: at most 300 characters.")),
        ],
    )


class MemberForm(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[
            InputRequired(_l("Name: fill in the member's name.")),
            NoControlCharacters(),
            Length(max=200, message=_l("Name: at most 200 characters.")),
        ],
    )
    email = StringField(
        _l("E-mail"),
        filters=[strip],
        validators=[
            InputRequired(_l("E-mail: fill in the member's e-mail address.")),
            NoControlCharacters(),
            Length(max=254, message=_l("E-mail: at most 254 characters.")),
            EmailAddress(),
        ],
    )
    organisation = StringField(
        _l("Organisation"),
        filters=[strip],
        validators=[
            NoControlCharacters(),
            Length(max=200, message=_l("Organisation: at most 200 characters.")),
        ],
    )
    language = SelectField(
        _l("Language for e-mails"),
        default="da",
        invalid_choice_message=_l("Language for e-mails: choose Dansk or English."),  # type: ignore[call-arg]
    )
    is_coordinator = BooleanField(_l("Coordinator of the network"))
    active = BooleanField(_l("Active (takes part in polls and plans)"), default=True)
    cannot = MultiCheckboxField(
        _l("Never give this member these roles"),
        invalid_choice_message=_l("Roles this member cannot have: unknown role '%(value)s'."),  # type: ignore[call-arg]
    )

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.cannot.choices = [(r.key, r.name) for r in roles]
        # Each language named in its own, as on the member's page.
        self.language.choices = [("da", "Dansk"), ("en", "English")]


class RoleForm(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[
            InputRequired(_l("Name: fill in the name of the role.")),
            NoControlCharacters(),
            Length(max=100, message=_l("Name: at most 100 characters.")),
        ],
    )
    per_meeting = IntegerField(
        _l("Holders per meeting"),
        default=1,
        validators=[
            InputRequired(_l("Holders per meeting: fill in a whole number, 0 or more.")),
            NumberRange(
                min=0, max=50, message=_l("Holders per meeting: a whole number from 0 to 50.")
            ),
        ],
        invalid_value_message=_l("Holders per meeting: fill in a whole number, 0 or more."),  # type: ignore[call-arg]
    )
    within = SelectField(
        _l("Holders must also hold"),
        default="",
        invalid_choice_message=_l("Holders must also hold: choose one of the other roles."),  # type: ignore[call-arg]
    )
    conflicts = MultiCheckboxField(
        _l("Cannot be combined with"),
        invalid_choice_message=_l("Cannot be combined with: unknown role '%(value)s'."),  # type: ignore[call-arg]
    )
    includes_coordinator = BooleanField(_l("The coordinator always holds this role"))

    def __init__(self, *args, roles=(), this_key=None, **kwargs):
        super().__init__(*args, **kwargs)
        others = [r for r in roles if r.key != this_key]
        self.within.choices = [("", _l("(no other role)"))] + [(r.key, r.name) for r in others]
        self.conflicts.choices = [(r.key, r.name) for r in others]
        if self.within.data is None:  # a role without a parent, or nothing posted
            self.within.data = ""


class CsvImportForm(FlaskForm):
    file = FileField(
        _l("Spreadsheet file (CSV)"),
        validators=[FileRequired(_l("Spreadsheet file: choose a file to upload."))],
    )


def _date_field(label, message):
    return DateField(
        label, validators=[Optional()], format=DATE_FORMATS, invalid_value_message=message
    )


class MeetingRowForm(Form):
    """One meeting of the poll; a row with every field blank is ignored."""

    key = HiddenField()
    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[
            NoControlCharacters(),
            Length(max=100, message=_l("Name: at most 100 characters.")),
        ],
    )
    weeks = StringField(_l("Weeks"), filters=[strip], validators=[NoControlCharacters()])
    start = _date_field(_l("From"), _l("From: write a date like 2027-03-01."))
    end = _date_field(_l("To"), _l("To: write a date like 2027-03-12."))

    def is_blank(self) -> bool:
        return not any(_filled(f) for f in (self.name, self.weeks, self.start, self.end))


def add_error(field: Field, message: str) -> None:
    """Adds a message to a field after validate() (WTForms types `errors` as a sequence)."""
    field.errors = [*field.errors, message]


def _fraction(text: str | None) -> float | None:
    """A percentage as the share it stands for: '50', '50 %' or '33,3' → 0.5, 0.333; None
    unless a number from 0 to 100."""
    try:
        value = float((text or "").removesuffix("%").strip().replace(",", "."))
    except ValueError:
        return None
    return round(value / 100, 6) if 0 <= value <= 100 else None


def percent(share: float) -> str:
    """0.5 → '50', 0.333 → '33,3': a stored share as the form shows it."""
    return f"{round(share * 100, 4):g}".replace(".", ",")


def _filled(field) -> bool:
    """Whether the person wrote anything (an unreadable date counts as written)."""
    if field.raw_data:
        return any(str(v).strip() for v in field.raw_data)
    return bool(field.data)


class PollRulesForm(FlaskForm):
    """The rules of a year poll; NewPollForm adds the year, editing keeps it fixed."""

    meetings = FieldList(
        FormField(MeetingRowForm), min_entries=MEETING_ROWS, max_entries=MAX_MEETING_ROWS
    )
    weekdays = MultiCheckboxField(
        _l("Weekdays"),
        coerce=int,
        default=[0, 1, 2, 3, 4],
        invalid_choice_message=_l("Weekdays: unknown weekday '%(value)s'."),  # type: ignore[call-arg]
        invalid_value_message=_l("Weekdays: unknown weekday."),
    )
    blackout_weeks = StringField(
        _l("Blackout weeks (for example school holidays)"),
        filters=[strip],
        validators=[NoControlCharacters()],
    )
    deadline = _date_field(_l("Deadline"), _l("Deadline: write a date like 2026-12-15."))
    hide_answers = BooleanField(_l("Hide the others' answers from members"))
    min_days_between = IntegerField(
        _l("Minimum days between meetings"),
        default=28,
        validators=[
            InputRequired(_l("Minimum days between meetings: fill in a whole number.")),
            NumberRange(
                min=0,
                max=365,
                message=_l("Minimum days between meetings: a whole number from 0 to 365."),
            ),
        ],
        invalid_value_message=_l("Minimum days between meetings: fill in a whole number."),  # type: ignore[call-arg]
    )
    min_attendance = StringField(
        _l("Minimum attendance (percent of the members)"),
        default="50",
        filters=[strip],
        validators=[NoControlCharacters()],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = get_day_names("wide", locale=get_locale())
        self.weekdays.choices = [(i, names[i].capitalize()) for i in range(7)]

    def validate_weekdays(self, field):
        if not field.data:
            raise ValidationError(_l("Weekdays: choose at least one weekday."))

    def validate_min_attendance(self, field):
        if _fraction(field.data) is None:
            raise ValidationError(
                _l("Minimum attendance: a percentage from 0 to 100, for example 50 for half.")
            )

    def rules(self, year: int) -> PollRules | None:
        """The rules written in the form (after validate()), or None with errors on the fields."""
        ok = True
        try:
            blackout = parse_week_list(self.blackout_weeks.data)
        except ValueError as error:
            add_error(
                self.blackout_weeks,
                _("Blackout weeks: %(problem)s. Write weeks like 7, 42 or 27–32.", problem=error),
            )
            blackout, ok = [], False
        drafts: list[MeetingDraft] = []
        previous: tuple[int, MeetingDraft] | None = None
        for number, entry in enumerate(self.meetings, start=1):
            row = entry.form
            if row.is_blank():
                continue
            if any(f.errors for f in row):
                ok = False
                continue
            window = self._window(number, row, year)
            if window is None:
                ok = False
                continue
            draft = MeetingDraft(
                row.key.data or None,
                row.name.data or _("Meeting %(number)d", number=len(drafts) + 1),
                window,
                number,
            )
            if previous and window.start <= previous[1].window.end:
                add_error(
                    row.weeks,
                    _(
                        "Meeting %(number)d: its window must begin after the window of "
                        "meeting %(other)d ends (meetings come in order and do not overlap).",
                        number=number,
                        other=previous[0],
                    ),
                )
                ok = False
            previous = (number, draft)
            drafts.append(draft)
        if not drafts and ok:
            self.form_errors.append(
                _("Meetings: give at least one meeting with its weeks or dates.")
            )
            ok = False
        if not ok or any(f.errors for f in self if f.name != "meetings"):
            return None
        # The field checks passed, so these are filled (None only for a form never validated).
        weekdays, min_days = self.weekdays.data, self.min_days_between.data
        min_attendance = _fraction(self.min_attendance.data)
        if weekdays is None or min_days is None or min_attendance is None:
            return None
        return PollRules(
            meetings=drafts,
            weekdays=sorted(weekdays),
            blackout_weeks=blackout,
            deadline=self.deadline.data,
            hide_answers=self.hide_answers.data,
            min_days_between=min_days,
            min_attendance=min_attendance,
        )

    @staticmethod
    def _window(number: int, row: MeetingRowForm, year: int) -> Window | None:
        has_dates = _filled(row.start) or _filled(row.end)
        if row.weeks.data and has_dates:
            add_error(
                row.weeks,
                _(
                    "Meeting %(number)d: give either weeks or dates, not both.",
                    number=number,
                ),
            )
            return None
        if row.weeks.data:
            try:
                first, last = parse_weeks(row.weeks.data, year)
            except ValueError as error:
                add_error(
                    row.weeks,
                    _("Meeting %(number)d, weeks: %(problem)s.", number=number, problem=error),
                )
                return None
            return week_window(year, first, last)
        if not has_dates:
            add_error(
                row.weeks,
                _(
                    "Meeting %(number)d: give the weeks (like 9–10) or the dates from and to.",
                    number=number,
                ),
            )
            return None
        if row.start.data is None:
            add_error(
                row.start, _("Meeting %(number)d, from: fill in the first day.", number=number)
            )
            return None
        if row.end.data is None:
            add_error(row.end, _("Meeting %(number)d, to: fill in the last day.", number=number))
            return None
        if row.end.data < row.start.data:
            add_error(row.end, _("Meeting %(number)d, to: must not be before from.", number=number))
            return None
        if row.start.data.year != year or row.end.data.year != year:
            add_error(
                row.start,
                _("Meeting %(number)d: the dates must lie in %(year)d.", number=number, year=year),
            )
            return None
        return Window(row.start.data, row.end.data)


class NewPollForm(PollRulesForm):
    year = IntegerField(
        _l("Year"),
        validators=[
            InputRequired(_l("Year: fill in the year, for example 2027.")),
            NumberRange(min=2000, max=2100, message=_l("Year: a year from 2000 to 2100.")),
        ],
        invalid_value_message=_l("Year: fill in the year, for example 2027."),  # type: ignore[call-arg]
    )


class ManualDayForm(FlaskForm):
    day = DateField(
        _l("Day"),
        validators=[InputRequired(_l("Day: fill in a date."))],
        format=DATE_FORMATS,
        invalid_value_message=_l("Day: write a date like 2027-03-01."),  # type: ignore[call-arg]
    )
    meeting = SelectField(
        _l("Meeting"),
        default="",
        invalid_choice_message=_l("Meeting: choose one of the poll's meetings."),  # type: ignore[call-arg]
    )

    def __init__(self, *args, meetings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting.choices = [("", _l("The meeting with the nearest window"))] + [
            (m.key, m.name) for m in meetings
        ]


class DeadlineForm(FlaskForm):
    deadline = _date_field(_l("Deadline"), _l("Deadline: write a date like 2026-12-15."))
