from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        # The bodies' topics for the notices engine: anyone may follow a body's agendas and
        # minutes; its members get them by default.
        from organizations import notifications

        notifications.register()

        # The "Følg" box on a body's page (a body section posting to the subscribe page).
        from organizations import subscribe_section

        subscribe_section.register()
