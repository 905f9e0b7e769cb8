from django import forms

from ningju.geo.models import Division
from ningju.orgs.models import Kind, Organisation

from .models import Occupation, PoliticalStatus


class PersonForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="身份证号", max_length=18, min_length=15,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    phone = forms.CharField(label="手机号", max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    political_status = forms.ChoiceField(label="政治面貌", choices=PoliticalStatus.choices)
    occupation = forms.ChoiceField(label="职业", choices=Occupation.choices)
    employer = forms.ModelChoiceField(label="所在企业/站点", queryset=Organisation.objects.none(), required=False)
    home_division = forms.ModelChoiceField(label="居住地(村/社区)", queryset=Division.objects.none(), required=False)

    def __init__(self, *args, user, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employer"].queryset = Organisation.objects.visible_to(user).filter(
            kind__in=[Kind.PLATFORM_ENTERPRISE, Kind.STATION, Kind.OTHER]).order_by("path")
        self.fields["home_division"].queryset = Division.objects.visible_to(user).order_by("code")
        self.fields["home_division"].label_from_instance = lambda d: f"{d.name}({d.code})"
        if editing:
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = "不修改请留空"
