from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TariffsConfig(AppConfig):
    name = "tariffs"
    verbose_name = _("Takster")

    def ready(self) -> None:
        # The tariff mails (notices engine): publication and the deadline reminder.
        from tariffs import notifications

        notifications.register()

        # The offer page's section: the offer's published tariffs over the years.
        from offers.extensions import OfferSection, register_offer_section
        from tariffs.selectors import offer_tariffs_context

        register_offer_section(
            OfferSection(
                key="tariffs",
                template_name="tariffs/_offer_tariffs.html",
                context=offer_tariffs_context,
                order=50,
            )
        )

        # Register the tasks in every process (web included): services.year_publish enqueues
        # the overview PDF by the task's name, and an unregistered name would skip eager runs.
        from tariffs import tasks  # noqa: F401
