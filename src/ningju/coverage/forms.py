from django import forms
from django.core.exceptions import ValidationError

from ningju.core import idcard
from ningju.geo.models import Division, Level
from ningju.orgs.models import Industry, Organisation

from .models import CampaignUnit, Finding, MemberRecord

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _division_label(d: Division) -> str:
    return f"{'—' * (d.level - 1)}{d.name}({d.code})"


class CampaignForm(forms.Form):
    name = forms.CharField(label="名称", max_length=120, initial="新就业群体党建全覆盖排查")
    starts_on = forms.DateField(label="开始日期", widget=DATE)
    ends_on = forms.DateField(label="结束日期", widget=DATE, help_text="全覆盖排查一般集中两个月")
    divisions = forms.ModelMultipleChoiceField(label="覆盖区划", queryset=Division.objects.none(),
                                               widget=forms.SelectMultiple(attrs={"size": 8}),
                                               help_text="可多选;区划内的平台企业和站点自动列入排查范围")
    industries = forms.MultipleChoiceField(label="覆盖行业", required=False,
                                           choices=[c for c in Industry.choices if c[0]],
                                           widget=forms.CheckboxSelectMultiple, help_text="不选表示全部行业")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["divisions"].queryset = Division.objects.visible_to(user).filter(
            level__lte=Level.TOWN).order_by("code")
        self.fields["divisions"].label_from_instance = _division_label

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["starts_on"] > data["ends_on"]:
            self.add_error("ends_on", "结束日期不能早于开始日期")
        return data


class UnitAddForm(forms.Form):
    organisation = forms.ModelChoiceField(label="企业/站点", queryset=Organisation.objects.none())

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = choices
        self.fields["organisation"].label_from_instance = lambda o: f"{o.name}({o.get_kind_display()} · {o.division})"


class JoinForm(forms.Form):
    """The public self-registration page (党员找组织)."""

    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="身份证号", max_length=18, widget=forms.TextInput(
        attrs={"autocomplete": "off", "inputmode": "text", "spellcheck": "false"}))
    phone = forms.CharField(label="手机号", max_length=20, widget=forms.TextInput(
        attrs={"inputmode": "tel", "autocomplete": "tel"}))
    employer = forms.ModelChoiceField(label="所在企业/站点", queryset=Organisation.objects.none(),
                                      empty_label="请选择")
    member_status = forms.ChoiceField(label="党员类别", choices=MemberRecord.Status.choices,
                                      widget=forms.RadioSelect, initial=MemberRecord.Status.FORMAL)
    relation_org = forms.ModelChoiceField(label="组织关系所在党组织(本地)", queryset=Organisation.objects.none(),
                                          required=False, empty_label="—— 本地党组织,请选择 ——")
    relation_text = forms.CharField(label="或:组织关系在外地,请填写党组织名称", max_length=200, required=False,
                                    help_text="如“河南省博爱县某某村党支部”;组织关系在外地的登记为流动党员")

    def __init__(self, *args, employers, party_orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employer"].queryset = employers
        self.fields["relation_org"].queryset = party_orgs

    def clean_id_number(self):
        try:
            return idcard.parse(self.cleaned_data["id_number"]).value
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean_phone(self):
        try:
            return idcard.validate_phone(self.cleaned_data["phone"])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean(self):
        data = super().clean()
        org, text = data.get("relation_org"), (data.get("relation_text") or "").strip()
        if org and text:
            self.add_error("relation_text", "组织关系所在请二选一:选择本地党组织,或填写外地党组织")
        elif not org and not text and "relation_org" not in self.errors and "relation_text" not in self.errors:
            self.add_error("relation_org", "请选择组织关系所在的党组织,或填写外地党组织名称")
        return data


class ReferralForm(forms.Form):
    """党员找党员: a member (or staff) refers a colleague."""

    unit = forms.ModelChoiceField(label="所在企业/站点", queryset=CampaignUnit.objects.none(), empty_label="请选择")
    name = forms.CharField(label="被推荐人姓名", max_length=50)
    phone = forms.CharField(label="被推荐人手机号", max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    note = forms.CharField(label="说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="如:在哪个支部入党、何时转出组织关系等")

    def __init__(self, *args, units, staff=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = (lambda u: u.organisation.name) if staff else (
            lambda u: f"{u.organisation.name}({u.campaign.name})")
        if staff:
            self.fields["referrer_id_number"] = forms.CharField(
                label="推荐人身份证号(可不填)", max_length=18, required=False,
                help_text="推荐人须已在人员库中登记")


class VerifyForm(forms.Form):
    id_number = forms.CharField(label="身份证号", max_length=18, required=False,
                                help_text="被推荐的线索须填写,核实身份后登记或关联人员")
    member_status = forms.ChoiceField(label="党员类别", choices=MemberRecord.Status.choices)
    relation_org = forms.ModelChoiceField(label="组织关系所在党组织(本地)", queryset=Organisation.objects.none(),
                                          required=False, empty_label="—— 无(在外地) ——")
    relation_text = forms.CharField(label="组织关系所在(外地)", max_length=200, required=False)
    reason = forms.CharField(label="核实意见", max_length=500, required=False)

    def __init__(self, *args, party_orgs, needs_id: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relation_org"].queryset = party_orgs
        if not needs_id:
            del self.fields["id_number"]


class RejectForm(forms.Form):
    reason = forms.CharField(label="不属实的原因", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "请填写核实不属实的原因"})


class FindingFilterForm(forms.Form):
    channel = forms.ChoiceField(choices=[("", "全部渠道"), *Finding.Channel.choices], required=False)
    status = forms.ChoiceField(choices=[("", "全部状态"), *Finding.Status.choices], required=False)


class MemberImportForm(forms.Form):
    division = forms.ModelChoiceField(label="登记地区", queryset=Division.objects.none())
    file = forms.FileField(label="党员信息文件(.xlsx 或 .csv)",
                           help_text="列:姓名、身份证号、党员类别(正式党员/预备党员)、组织关系所在、入党日期")

    def __init__(self, *args, divisions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = divisions
        self.fields["division"].label_from_instance = _division_label


class JointBranchForm(forms.Form):
    joint_branch = forms.ModelChoiceField(label="纳入已有的联合党支部", queryset=Organisation.objects.none(),
                                          required=False, empty_label="—— 新建联合党支部(填写下方) ——")
    new_name = forms.CharField(label="新建联合党支部名称", max_length=120, required=False)
    new_parent = forms.ModelChoiceField(label="新建联合党支部的上级党组织", queryset=Organisation.objects.none(),
                                        required=False)

    def __init__(self, *args, joint_branches, parents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["joint_branch"].queryset = joint_branches
        self.fields["joint_branch"].label_from_instance = lambda o: f"{o.name}(已纳入 {o.n_units} 个单位)"
        self.fields["new_parent"].queryset = parents
        self.fields["new_parent"].label_from_instance = lambda o: f"{o.name}({o.division})"
