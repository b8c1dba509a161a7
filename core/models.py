"""Shared base models."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    updated_at = models.DateTimeField(_("ændret"), auto_now=True)

    class Meta:
        abstract = True
