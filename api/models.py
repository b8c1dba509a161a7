"""Read-only API tokens. A token acts as its user: whatever that user may see on the pages, the
token may read through the API, and nothing more. Only the SHA-256 of the token is stored; the
token itself is shown once, when it is created (`manage.py api_token`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A bearer token for the open data API (`Authorization: Bearer <token>`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("login"),
    )
    key_hash = models.CharField(_("SHA-256 af nøglen"), max_length=64, unique=True)
    created = models.DateTimeField(_("oprettet"), auto_now_add=True)
    last_used = models.DateTimeField(_("sidst brugt"), null=True, blank=True)
    revoked = models.DateTimeField(_("tilbagekaldt"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "pk"]
        verbose_name = _("API-nøgle")
        verbose_name_plural = _("API-nøgler")

    def __str__(self) -> str:
        return f"{self.user} ({self.created:%Y-%m-%d})"

    @property
    def is_active(self) -> bool:
        return self.revoked is None
