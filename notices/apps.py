from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    """Shared infrastructure: subscriptions, notices (an outbox) and e-mail deliveries.

    It knows no domain app: a notice is addressed to a topic key (e.g. a body's agendas), and
    the domain apps register how their notices are rendered and who receives them.
    """

    name = "notices"
    verbose_name = _("Abonnementer og udsendelser")

    def ready(self) -> None:
        from notices import mail, registry

        # The engine's own kind: a plain announcement from the secretariat to a topic.
        registry.register_renderer(mail.MESSAGE_KIND, mail.render_message_notice)
