"""Form fields shared by the apps' forms."""

from django import forms


def textarea_field(label: str, *, max_length: int, required: bool = True, rows: int = 3, hint: str = "",
                   error_messages: dict | None = None) -> forms.CharField:
    """A multi-line text field; ``hint`` is shown inside the empty box as an example of what to write."""
    return forms.CharField(label=label, required=required, max_length=max_length, error_messages=error_messages,
                           widget=forms.Textarea(attrs={"rows": rows, "placeholder": hint}))
