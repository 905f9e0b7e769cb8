from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """Phone number and password; one message for any failure, never which part was wrong."""

    username = forms.CharField(label="手机号", max_length=20,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "tel",
                                                             "autofocus": True}))
    password = forms.CharField(label="密码", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    error_messages = {
        "invalid_login": "手机号或密码不正确。",
        "inactive": "手机号或密码不正确。",
    }


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label="原密码",
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(label="新密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                   help_text="至少8位,包含小写字母、大写字母、数字、符号中的至少3类。")
    new_password2 = forms.CharField(label="再次输入新密码",
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的新密码不一致")
        return data


class TokenForm(forms.Form):
    name = forms.CharField(label="用途", max_length=100)
    days = forms.IntegerField(label="有效天数", min_value=1, max_value=365, initial=90)
