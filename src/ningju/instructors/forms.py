from django import forms
from django.utils import timezone

from ningju.core.uploads import MAX_IMAGE_BYTES

from . import selectors


def _date_widget():
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "max": timezone.localdate().isoformat()})


def _unit_label(o) -> str:
    return f"{o.name}({o.get_kind_display()})"


class InstructorForm(forms.Form):
    ACCOUNT_NONE, ACCOUNT_CREATE, ACCOUNT_LINK = "none", "create", "link"

    name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="手机号", max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    title = forms.CharField(label="职务", max_length=100, required=False,
                            help_text="如:市委组织部组织科副科长")
    appointed_by = forms.ModelChoiceField(label="选派单位", queryset=None)
    account = forms.ChoiceField(label="登录账号", initial=ACCOUNT_NONE, choices=[
        (ACCOUNT_NONE, "暂不开通"),
        (ACCOUNT_CREATE, "开通新账号(手机号为登录名)"),
        (ACCOUNT_LINK, "关联已有的指导员账号"),
    ])
    password = forms.CharField(label="初始密码", required=False, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text="开通新账号时填写:至少8位,包含大小写字母、数字、符号中的三类")
    existing_user = forms.ModelChoiceField(label="已有账号", queryset=None, required=False,
                                           help_text="关联已有账号时选择")

    def __init__(self, *args, user, instructor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appointed_by"].queryset = selectors.appointer_choices(user)
        if instructor is not None and instructor.user_id:
            for name in ("account", "password", "existing_user"):
                del self.fields[name]
        else:
            self.fields["existing_user"].queryset = selectors.linkable_users(user)
            self.fields["existing_user"].label_from_instance = lambda u: f"{u.name}({u.organisation or '无组织'})"
            if instructor is not None:  # editing: a login can be linked, not created here
                self.fields["account"].choices = self.fields["account"].choices[:1] + \
                    self.fields["account"].choices[2:]
                del self.fields["password"]

    def clean(self):
        data = super().clean()
        account = data.get("account", self.ACCOUNT_NONE)
        if account == self.ACCOUNT_CREATE:
            if not data.get("phone"):
                self.add_error("phone", "开通登录账号需要填写手机号(作为登录名)")
            if not data.get("password"):
                self.add_error("password", "请设置初始密码")
        elif account == self.ACCOUNT_LINK and not data.get("existing_user"):
            self.add_error("existing_user", "请选择要关联的账号")
        return data

    def service_fields(self) -> dict:
        data = self.cleaned_data
        out = {k: data[k] for k in ("name", "phone", "title", "appointed_by")}
        account = data.get("account")
        if account == self.ACCOUNT_CREATE:
            out["create_account"] = True
            out["password"] = data["password"]
        elif account == self.ACCOUNT_LINK:
            out["user"] = data["existing_user"]
        return out


class AssignForm(forms.Form):
    organisation = forms.ModelChoiceField(label="企业/站点", queryset=None)
    assigned_on = forms.DateField(label="选派日期", widget=_date_widget())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = selectors.unit_choices(user)
        self.fields["organisation"].label_from_instance = _unit_label
        self.fields["assigned_on"].widget = _date_widget()
        self.fields["assigned_on"].initial = timezone.localdate()


class EndForm(forms.Form):
    ended_on = forms.DateField(label="结束日期", widget=_date_widget())

    def __init__(self, *args, label="结束日期", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ended_on"].label = label
        self.fields["ended_on"].widget = _date_widget()
        self.fields["ended_on"].initial = timezone.localdate()


class VisitForm(forms.Form):
    visited_on = forms.DateField(label="走访日期", widget=_date_widget())
    notes = forms.CharField(label="走访情况", max_length=4000, widget=forms.Textarea(
        attrs={"rows": 6, "placeholder": "走访了解的情况、发现的问题、指导的事项"}))
    photo = forms.FileField(label="现场照片(可选)", required=False,
                            help_text=f"JPEG、PNG或WebP图片,不超过{MAX_IMAGE_BYTES // 1024 // 1024}MB",
                            widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].widget = _date_widget()
        self.fields["visited_on"].initial = timezone.localdate()
