"""The search page's parameters, validated (bad values are dropped, never an error page)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from search.models import DocumentKind


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Søg"), max_length=200, required=False, strip=True)
    kind = forms.ChoiceField(
        label=_("Type"), choices=[("", _("Alle")), *DocumentKind.choices], required=False
    )
    body = forms.IntegerField(label=_("Organ"), min_value=1, required=False)
    year = forms.IntegerField(label=_("År"), min_value=1900, max_value=2999, required=False)
    municipality = forms.IntegerField(label=_("Kommune"), min_value=1, required=False)
    sort = forms.ChoiceField(
        label=_("Sortér efter"),
        choices=[("relevance", _("Relevans")), ("date", _("Dato"))],
        required=False,
    )
    page = forms.IntegerField(min_value=1, max_value=10_000, required=False)

    def params(self) -> dict[str, Any]:
        """The valid parameters; an invalid one counts as not given."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "query": (data.get("q") or "")[:200],
            "kind": data.get("kind") or "",
            "body": data.get("body"),
            "year": data.get("year"),
            "municipality": data.get("municipality"),
            "sort": data.get("sort") or "relevance",
            "page": data.get("page") or 1,
        }
