from django import forms

from ningju.geo.models import Division

from .models import Organisation


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "kind", "industry", "parent", "division", "contact_name", "contact_phone", "address",
                  "is_active"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Organisation.objects.visible_to(user).order_by("path")
        if self.instance.pk:
            parents = parents.exclude(path__startswith=self.instance.path)
        self.fields["parent"].queryset = parents
        self.fields["division"].queryset = Division.objects.visible_to(user).order_by("code")
        self.fields["division"].label_from_instance = lambda d: f"{d.name}({d.code})"
