from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoundsConfig(AppConfig):
    name = "rounds"
    verbose_name = _("Skriftlige høringer")

    def ready(self) -> None:
        # The mails of a round (notices engine): invitation, reminders, result.
        from rounds import notifications

        notifications.register()

        # The body page (organizations) lists the body's rounds beside its meetings.
        from organizations.extensions import BodySection, register_body_section
        from rounds.selectors import body_rounds_context

        register_body_section(
            BodySection(
                key="rounds",
                template_name="rounds/_body_rounds.html",
                context=body_rounds_context,
                order=20,
            )
        )
