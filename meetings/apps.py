from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Møder")

    def ready(self) -> None:
        # The mails about agendas and minutes (notices engine), and the reminders to the
        # secretariat about minutes not yet published.
        from meetings import notifications

        notifications.register()

        # The body page (organizations) shows the body's meetings through its section hook.
        from meetings.selectors import body_meetings_context
        from organizations.extensions import BodySection, register_body_section

        register_body_section(
            BodySection(
                key="meetings",
                template_name="meetings/_body_meetings.html",
                context=body_meetings_context,
                order=10,
            )
        )
