from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Fælles")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from core.db import register_sqlite_collation

        connection_created.connect(register_sqlite_collation, dispatch_uid="core_sqlite_danish")
