from django import forms

from .models import YEAR_FIRST, YEAR_LAST, Holiday, Kind, YearPlan


class HolidayForm(forms.Form):
    date = forms.DateField(label="日期", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    kind = forms.ChoiceField(label="类型", choices=Kind.choices, initial=Kind.HOLIDAY)
    name = forms.CharField(label="名称", max_length=Holiday._meta.get_field("name").max_length,
                           widget=forms.TextInput(attrs={"list": "wd-names", "autocomplete": "off"}),
                           help_text="节日名称,如:春节、国庆节;调休上班日也填所属节日")


class DayForm(forms.Form):
    date = forms.DateField(label="日期")


class YearForm(forms.Form):
    year = forms.IntegerField(label="年份", min_value=YEAR_FIRST, max_value=YEAR_LAST)


class PublishForm(YearForm):
    published = forms.TypedChoiceField(label="状态", choices=[("1", "已发布"), ("0", "未发布")],
                                       coerce=lambda v: v == "1")
    note = forms.CharField(label="说明", required=False, max_length=YearPlan._meta.get_field("note").max_length,
                           help_text="如:国办发明电〔2025〕7号")
