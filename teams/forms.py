from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from claims.choices import Role
from claims.errors import MESSAGES
from claims.lengths import max_length

from .models import Invitation


def role_choices(roles) -> list[tuple[str, str]]:
    return [(r, Role(r).label) for r in roles]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=max_length(Invitation, "email"))
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, roles=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(roles)
        # The least access by default: the admin chooses more on purpose.
        self.fields["role"].initial = Role.MEMBER if Role.MEMBER in roles else roles[0] if roles else None


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, roles=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(roles)


class AcceptForm(forms.Form):
    """The invitee's new account: a username and a password of their choosing."""

    username = forms.CharField(
        label=_("Username"),
        max_length=max_length(get_user_model(), "username"),
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @/./+/-/_ only. You can also sign in with your email address."),
    )
    password1 = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Password (again)"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, email: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(MESSAGES["username_taken"], code="username_taken")
        return username

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", forms.ValidationError(_("The two passwords differ. Type the same password twice.")))
        elif p1:
            candidate = get_user_model()(username=data.get("username", ""), email=self.email)
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data
