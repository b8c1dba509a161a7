from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OffersConfig(AppConfig):
    name = "offers"
    verbose_name = _("Tilbud")

    def ready(self) -> None:
        # A capacity change proposed in a written round takes effect when the round is approved.
        from offers.services import on_round_closed
        from rounds.signals import round_closed

        round_closed.connect(on_round_closed, dispatch_uid="offers.on_round_closed")

        # A round's page lists the offer changes proposed with it.
        from offers import round_section

        round_section.register()

        # A municipality's page shows the offers it operates and their capacity by area.
        from offers.selectors import municipality_offers_context
        from organizations.extensions import MunicipalitySection, register_municipality_section

        register_municipality_section(
            MunicipalitySection(
                key="offers",
                template_name="offers/_municipality_offers.html",
                context=municipality_offers_context,
                order=10,
            )
        )
