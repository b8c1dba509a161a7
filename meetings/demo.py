"""Demo meetings: the Nordjylland Socialdirektørkreds meeting of 14 December 2011 from seed 002
(published minutes, with its participants and apologies), and a few meetings of the Midtjylland
bodies in other states of the workflow, one of them with a closed item.

Written with `core.seeding.upsert` (not the services, which would add standing items and
invitations again on every run), so a second run writes nothing. The people come from
organizations/demo.py."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from core.seeding import Counter, upsert
from meetings.models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    ItemKind,
    Meeting,
    MeetingState,
    Milestone,
)
from meetings.sanitize import sanitize_html
from organizations.models import Body, Membership, Person

CPH = ZoneInfo("Europe/Copenhagen")


def _at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=CPH)


def _p(*paragraphs: str) -> str:
    return "".join(f"<p>{text}</p>" for text in paragraphs)


def _points(intro: str, *points: str) -> str:
    """An indstilling: the request, then its "at ..." points as a list."""
    items = "".join(f"<li>{point}</li>" for point in points)
    return f"<p>{intro}</p>" + (f"<ul>{items}</ul>" if points else "")


@dataclass
class DemoItem:
    title: str
    kind: str
    case_text: str = ""
    presenter: str = ""
    recommendation: str = ""
    minutes: str = ""
    is_closed: bool = False
    is_standing: bool = False
    children: list[DemoItem] = field(default_factory=list)


def _letter(index: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[index - 1]


def _items(counter: Counter, meeting: Meeting, items: list[DemoItem]) -> list[AgendaItem]:
    saved: list[AgendaItem] = []
    for position, demo in enumerate(items, start=1):
        parent = _item(counter, meeting, demo, order=position, number=str(position))
        saved.append(parent)
        for sub_position, child in enumerate(demo.children, start=1):
            saved.append(
                _item(
                    counter,
                    meeting,
                    child,
                    order=sub_position,
                    number=f"{position}.{_letter(sub_position)}",
                    parent=parent,
                )
            )
    return saved


def _item(
    counter: Counter,
    meeting: Meeting,
    demo: DemoItem,
    *,
    order: int,
    number: str,
    parent: AgendaItem | None = None,
) -> AgendaItem:
    return upsert(
        AgendaItem,
        counter,
        {"meeting": meeting, "parent": parent, "order": order},
        number=number,
        title=demo.title,
        kind=demo.kind,
        case_text=sanitize_html(demo.case_text),
        presenter=demo.presenter,
        recommendation=sanitize_html(demo.recommendation),
        minutes=sanitize_html(demo.minutes),
        is_closed=demo.is_closed,
        is_standing=demo.is_standing,
    )


def _invite_members(counter: Counter, meeting: Meeting) -> None:
    person_ids = (
        Membership.objects.active_on(meeting.local_date)
        .filter(body=meeting.body)
        .values_list("person_id", flat=True)
        .distinct()
    )
    for person in Person.objects.filter(pk__in=person_ids):
        upsert(
            Attendance,
            counter,
            {"meeting": meeting, "person": person},
            status=AttendanceStatus.INVITED,
            is_guest=False,
        )


# --- seed 002: Socialdirektørkredsen, 14 December 2011 ------------------------------------------

SOCDIR_2011_ITEMS = [
    DemoItem(
        "Godkendelse af dagsorden", ItemKind.DECISION, minutes=_p("Godkendt"), is_standing=True
    ),
    DemoItem(
        "Godkendelse af referat fra møde 6. oktober 2011",
        ItemKind.DECISION,
        minutes=_p("Godkendt"),
        is_standing=True,
    ),
    DemoItem(
        "Kompetenceafklaring",
        ItemKind.DECISION,
        case_text=_p(
            "De seneste møder i såvel DAS som i SOCDIR har vist sig ikke at være så "
            "hensigtsmæssige som ønsket. Der har derfor været en drøftelse i FU i forhold til at "
            "finde den rigtige balance både i forhold til mødernes indhold men også antallet af "
            "møder. FU var enige om, at regionen skal deltage på lige linje med kommunerne i de "
            "sager, der vedrører driftsherreindmeldinger og koordinering af tilbud.",
            "Drøftelser af den overordnede strategi for kommunerne som myndighed og det "
            "fælleskommunale samarbejde generelt har hjemme i socialdirektørkredsen. FU foreslår "
            "blandt andet, at der på møderne tages en runde om sager, den enkelte direktør gerne "
            "vil have drøftet, orienteret om e.l. FU var desuden enige om, at forpligtede "
            "hinanden på at tage sager op i kredsen fra KL's socialudvalgsdagsordner, når der er "
            "interessante sager på",
            "I forhold til mødefrekvens drøftede FU muligheden for, at en fremtidig model kan "
            "være, at FU indkalder regionen til drøftelser i FU, således at DAS ikke skal samles "
            "så ofte.",
        ),
        presenter="Formand for FU, Jan Nielsen",
        recommendation=_points(
            "Socialdirektørkredsen bedes drøfte og beslutte",
            "at kun de sager hvor driftsherrerne har en interesse, og hvor det er tale om "
            "koordinering af tilbud bliver drøftet i DAS",
            "at møderne i socialdirektørkredsen kvalificeres ved, at drøfte de overordnede "
            "strategier for det fælleskommunale samarbejde og at kommunerne drøfter andre "
            "anliggende som myndighed",
            "at FU indkalder regionen til drøftelser, og at møderne i DAS nedjusteres til ca. 4 "
            "møder i året, mødefrekvensen i SOCDIR fastholdes.",
        ),
        minutes=_p(
            "Indstillingerne blev tiltrådt dog blev det præciseret, at FU ikke havde et generelt "
            "mandat til at indgå aftaler med Regionen, men kunne udstyres med mandat i konkrete "
            "situationer. Der afholdes fremadrettet 4 årlige møder i DAS og 6 årlige møder i "
            "Socialdirektørkredsen. FU indkalder regionen til drøftelser ved behov for, at sikre "
            "koordinering og samarbejde med regionen. Endelig var det enighed om, at møderne i "
            "kredsen også kan anvendes til drøftelse af temaer ud over rammeaftaleområdet."
        ),
    ),
    DemoItem(
        "Evaluering af sekretariatet",
        ItemKind.INFORMATION,
        case_text=_p(
            "Kommunaldirektørerne fra hhv. Frederikshavn og Rebild kommuner har fået til opgave "
            "at udarbejde et forslag til kommissorium for evalueringen. Kommissoriet vil blive "
            "drøftet / godkendt på KDK's møde den 6. januar. Der er endnu ikke udarbejdet et "
            "første udkast til kommissorium, men det er muligt at det bliver en model, hvor de "
            "to kommunaldirektører skal forestå selve evalueringen.",
            "På indholdssiden vil evalueringen udmønte KKR's beslutning om:",
            "\u201cAT der primo 2012 skal gennemføres en evaluering af sekretariatet for "
            "rammeaftaler med henblik på at vurdere sekretariatets organisering, opgaver, "
            "bemanning m. m\u201d.",
        ),
        presenter="Benjamin Holst, KKR",
        recommendation=_points(
            "Socialdirektørkredsen bedes", "at tage orienteringen til efterretning"
        ),
        minutes=_p(
            "Socialdirektørerne tager orienteringen til efterretning og afventer kommissoriet "
            "fra kommunaldirektørerne."
        ),
    ),
    DemoItem(
        "Ændring i visitationer til under 15 timer / uge",
        ItemKind.DECISION,
        case_text=_p(
            "Hjørring kommune har bedt, om en drøftelse og evt. fælles stillingstagen til, om "
            "der ved ændringer af visitation til et niveau under 15 timer/uge skal opkræves "
            "refusion 3 år bagud eller ikke. Punktet kræver enighed i direktørgruppen.",
            "For at evt. udeståender for 2008 ikke skal blive forældet bedes I om, at lave en "
            "opgørelse over forventede tilgodehavender og forventede udgifter ved mødet.",
        ),
        presenter="Leif Serup",
        recommendation=_points(
            "Socialdirektørkredsen bedes drøfte og beslutte",
            "hvordan ændringer af visitation under 15 timer/ uge skal håndteres i forhold til "
            "udeståender som følge af dette",
        ),
        minutes=_p(
            "Leif udarbejder et udkast til en aftale – der præciserer og afgrænser i hvilke "
            "tilfælde, der ikke sker tilbageregulering. Jurist Jytte Terkildsen vil kunne "
            "kontaktes til sparring."
        ),
    ),
    DemoItem(
        "Status på møder politiske og administrative dialogmøder",
        ItemKind.INFORMATION,
        case_text=(
            _p(
                "I henhold til rammeaftalens årshjul er det besluttet, at sekretariat for "
                "rammeaftaler skal tilbyde kommunernes politiske og eller administrative "
                "medarbejdere et dialogmøde for at kvalificere samarbejde om rammeaftalen."
            )
            + "<h3>Politiske dialogmøder</h3>"
            + _p(
                "Sekretariatet har deltaget ved udvalgmøder i Mariagerfjord, Thisted og "
                "Brønderslev kommuner (dialogmøde med Rebild, Aalborg og Vesthimmerland er "
                "planlagt i december og januar), Forvaltningsledelserne har også deltaget ved "
                "møderne. Formålet med møderne har været todelt, idet det både har været et "
                "ønske fra kommunerne om en redegørelse af det nye koncept, en orientering om "
                "organisering og sekretariatets funktion, samt sekretariatets ønske om en "
                "dialog. Sekretariatet havde i forbindelse med møderne forberedt følgende "
                "spørgsmål til drøftelse / dialog:"
            )
            + "<ul><li>Hvad skal vi samarbejde om på det specialiserede socialområde</li>"
            "<li>Hvordan sikrer vi de bedste rammer for et samarbejde</li>"
            "<li>Hvilke behov oplever I, at skal løses i et samspil med andre kommuner?</li>"
            "<li>Hvad skal være vores fælles vision for samarbejdet mellem de nordjyske "
            "kommuner smat med regionen?</li></ul>"
            + _p(
                "Sekretariatet har fået positive tilbagemeldinger på møderne og at politikerne "
                "fik noget ud af den information som blev givet. Dialogens karakter har været "
                "lidt varierende, men generelt har politikerne givet udtryk for, at det i den "
                "geografiske region fortsat er et behov for et samarbejde på tværs af "
                "kommunegrænserne, særligt indenfor de meget specialiserede områder og her blev "
                "blandt andet hjerneskadeområdet nævnt. Politikerne udtrykte også behovet for, "
                "et mere forpligtende samarbejde, med f.eks. økonomiske bindingselementer. Nogle "
                "politikere fortalte, at mødet havde givet et større ejerskab til både opgaven "
                "men også sekretariatet. Endelig gav flere politikere også udtryk for ønske om, "
                "at næste års rammeaftale skal have et øget fokus på faglighed og kvalitet."
            )
            + "<h3>Dialogmøder med forvaltningerne</h3>"
            + _p(
                "Sekretariatet har afholdt møde med Hjørring, Frederikshavn, Brønderslev og "
                "Aalborg kommuner. Formålet med møderne har primært været at kvalificere "
                "kommunernes tilbagemeldinger i forhold til ønsker og behov samt hvilke områder "
                "næste års rammeaftale skal have et særligt fokus på. Udover dette har "
                "sekretariatet også kommet med en generel orientering om såvel proces som "
                "organisering af arbejdet med rammeaftalen. Tilbage meldingerne fra disse møder "
                "har også været positive, og generelt har tilbagemeldingerne været, ønske om "
                "åbenhed i dialogen / tillid kommunerne i mellem, sikkerhed for forsyning / "
                "drift og et mere forpligtende samarbejde. Endelig er tilbagemeldingen til "
                "sekretariatet også, at det er behov for fleksibilitet og individuelt "
                "tilrettelagte løsninger i de tilbud som er omfattet af rammeaftalen eller "
                "fremadrettet bliver omfattet."
            )
        ),
        presenter="Sekretariat for rammeaftaler, Hilde E. Thun Holst",
        recommendation=_points(
            "Socialdirektørkredsen bedes tage statusorienteringen til efterretning."
        ),
        minutes=_p(
            "Hilde orienterede fra dialogmøderne med kommunerne: Den største udfordring i "
            "forhold til de politiske dialogmøder har været at få afstemt forventningerne til "
            "møderne. Sekretariatet har for hvert møde drøftet med repræsentanter for den "
            "enkelte kommune, hvilke behov, dialogmødet skal imødekomme. I takt med at der blev "
            "gjort erfaringer med møderne har formen ændret sig fra at være præget af meget "
            "information til at indeholde mere dialog.",
            "Der er kommet gode tilbagemeldinger fra kommunerne omkring møderne både ift. "
            "møderne på politisk niveau og møderne på forvaltningsniveau. De tilstedeværende "
            "direktører var tillige positive i forhold til møderne.",
            "Der var enighed om, at besøg fra sekretariatets side var et tilbud, der skal "
            "videreføres i rammeaftale 2013.",
        ),
    ),
    DemoItem(
        "Dagsorden til Den Administrative Styregruppe",
        ItemKind.DISCUSSION,
        case_text=_p("Se selvstændig udsendt dagsorden"),
        children=[
            DemoItem(
                "Styringsaftalen",
                ItemKind.INFORMATION,
                minutes=_p(
                    "I forhold til styringsaftalen ligger ikke så meget materiale endnu. "
                    "Styringsaftalen skal først endelig besluttes i oktober.",
                    "Styringsgruppen har behov for at etablere et større overblik, inden der "
                    "produceres konkrete oplæg.",
                    "Gruppen omkring etiske retningslinjer har afholdt et møde siden dagsordenen "
                    "kom ud.",
                ),
            ),
            DemoItem(
                "Udkast til spilleregler",
                ItemKind.DISCUSSION,
                minutes=_p(
                    "Det udsendte oplæg om spilleregler i forhold til kommunale overtagelser af "
                    "regionale tilbud blev drøftet. I oplægget er der lagt op til at der er tale "
                    "om en administrativ tilkendegivelse af overvejelser om overtagelse. Der var "
                    "enighed om at slette denne formulering og erstatte den med, at der meldes "
                    "ind om overvejelser om overtagelse i forbindelse med indmeldingerne til "
                    "udviklingsstrategien. Det tilføjes i oplægget, at det administrative niveau "
                    "tidligt orienterer Socialdirektørkredsen om eventuelle overvejelser om "
                    "overtagelse af tilbud (early warning). Mariagerfjord Kommune ønsker ikke at "
                    "det skal være en så fast binding i forhold til, at det skal foreligge en "
                    "politisk principbeslutning inden indhentning af materiale i regionen. De "
                    "øvrige kommuner tilslutter sig modellen.",
                    "Jens orienterede om, at Mariagerfjord Kommune har indgået en "
                    "samarbejdsaftale med regionen, hvor kommunen tilkendegiver, at de ikke vil "
                    "overtage de 3 store institutioner, beliggende i Mariagerfjord Kommune. Der "
                    "er mulighed for 6 måneders opsigelse af aftalen. Aftalen sendes med "
                    "referatet ud til orientering.",
                    "Jan Nielsen orienterede om regionens aftale med Århus Kommune, hvor "
                    "kommunen tilkendegiver at de vil bruge Sødisebakke som hovedleverandør på "
                    "det område. Aftalen sendes ligeledes med referatet ud.",
                ),
            ),
            DemoItem(
                "Langsigtet strategi for samarbejde/bindingselementer",
                ItemKind.DISCUSSION,
                minutes=_p(
                    "Der var enighed om at arbejde videre med en langsigtet strategi for "
                    "samarbejde. Sekretariatet udarbejder kommissorium for en arbejdsgruppe, der "
                    "skal arbejde videre med temaet."
                ),
            ),
            DemoItem(
                "Opfølgning på kategoriseringsproblematikken",
                ItemKind.DISCUSSION,
                minutes=_p(
                    "Der var ligeledes enighed om at arbejde videre med en kvalificering af "
                    "kategoriseringen i forhold til, hvilke tilbud, der skal være omfattet af "
                    "styringsaftalen. Specialiseringsselementet tænkes ind i en fremtidig "
                    "kategoriseringsmodel."
                ),
            ),
            DemoItem(
                "Mulighed for revision af tilbud, pladsantal og takster to gange årligt for "
                "tilbud omfattet af Rammeaftalen",
                ItemKind.DISCUSSION,
                minutes=_p(
                    "Reglerne omkring Servicelovens § 129 stk. 1 vedr. flytning blev drøftet i "
                    "forlængelse af, at der har været oplevelser bl.a. i Aalborg Kommune, ÆHF, "
                    "der efterlader tvivl om kommunerne er opmærksomme på reglerne om flytning.",
                    "Det blev præciseret, at det kræver en nævnsafgørelse at flytte (og "
                    "hjemtage) borgere fra § 108 tilbud samt § 108-lignende tilbud – varige "
                    "tilbud. En positiv nævnsafgørelse kræver, at de 5 kriterier, som er nævnt i "
                    "notatet, er opfyldt. Sagerne falder ofte på, at borgeren skal være til fare "
                    "for sig selv i botilbuddet for at kunne flyttes.",
                    "I de tilfælde, hvor det kan påvises, at man ikke længere kan tilgodese en "
                    "borgers behov i det tilbud vedkommende er i, kan der blive tale om at kunne "
                    "flytte en borger. Men dette kræver stadig en nævnsafgørelse.",
                    "Hvis en borger skal flyttes over i et andet tilbud kræves en nævnsafgørelse "
                    "med mindre tilbuddet bliver nedlagt. Handlekommunen har da forpligtigelse "
                    "til at revurdere sagen. Hvis man ønsker at flytte borgere fra et fungerende "
                    "tilbud, så skal den omkring nævnet.",
                    "Handlekommunen skal træffe beslutningen om, hvad der skal ske med borgeren.",
                    "Det blev konstateret, at Servicelovens § 129 giver anledning til revurdering "
                    "af nogle af afsnittene i styringsaftalen, bl.a. den 3 måneders frist, der er "
                    "angivet i forbindelse med retningslinjer for tillægsydelse, hvoraf det "
                    "fremgår, at man herefter kan hjemtage borgeren.",
                ),
            ),
            DemoItem(
                "Mulighed for revision af tilbud, pladsantal og takster to gange årligt",
                ItemKind.DECISION,
                minutes=_p(
                    "Charlotte argumenterede for ønsket om at få mulighed for at revidere "
                    "takster, tilbud og pladsantal to gange om året.",
                    "Forslaget blev ikke godkendt af socialdirektørkredsen.",
                ),
            ),
            DemoItem(
                "Input til udviklingsstrategien: Hjerneskadeområdet",
                ItemKind.DISCUSSION,
                minutes=_p(
                    "På baggrund af afslag på ansøgning, hvor ministeriet tilkendegiver, at "
                    "midlerne kan opnås, hvis der arbejdes tværkommunalt – blev det foreslået, at "
                    "der arbejdes på et fælles projekt.",
                    "Socialdirektørkredsen tilkendegav, at de er positive overfor et "
                    "tværkommunalt samarbejde om ansøgning om midler på hjerneskadeområdet, men "
                    "direktørerne ønsker at have mulighed for en nærmere overvejelse inden der "
                    "træffes endelig beslutning. Jan sender Aalborg kommunes ansøgning med "
                    "referatet ud.",
                ),
            ),
            DemoItem(
                "Orientering fra FB – vedr. specialbørnehjem",
                ItemKind.INFORMATION,
                minutes=_p(
                    "Der er behov for en samlet fremstilling af problematikken omkring Danahus "
                    "og specialbørnehjemmene. Socialdirektørerne beder Aalborg Kommune og "
                    "Regionen udarbejde en samlet fremstilling af sagen samt en vurdering af "
                    "konsekvenserne. Charlotte orienterede om, at det er planlagt et bilateralt "
                    "møde mellem regionen og FB.",
                    "Sagen belyses, drøftes og besluttet herefter i Den Administrative "
                    "Styregruppe.",
                ),
            ),
            DemoItem(
                "Særskilt opkrævning af kørsel i forhold til børneområdet",
                ItemKind.DISCUSSION,
                minutes=_p(
                    "Socialdirektørerne ønsker, at Styringsgruppen ser på spørgsmålet om "
                    "reglerne på børne- og voksenområdet skal harmoniseres?"
                ),
            ),
        ],
    ),
]

SOCDIR_2011_PRESENT = [
    "Jan Nielsen",
    "Jesper Hosbond Jensen",
    "Dorthe Jende",
    "Henrik Aarup Kristensen",
    "Jes Lunde",
    "Leif Serup",
    "Hans Ole Steffensen",
    "Jens Nørgaard",
    "Henrik Leth",
    "Charlotte Buhl Houmøller",
    "Benjamin Holst",
    "Ann K. Liljenberg",
    "Hilde Elisabeth Thun Holst",
]
SOCDIR_2011_APOLOGIES = ["Jane Hvas", "Søren Kjær"]


def seed_socialdirektoerkredsen_2011(counter: Counter) -> Meeting:
    body = Body.objects.get(slug="socialdirektoerkredsen")
    meeting = upsert(
        Meeting,
        counter,
        {"body": body, "starts_at": _at(2011, 12, 14, 10)},
        title="Møde i Socialdirektørkredsen",
        ends_at=_at(2011, 12, 14, 12),
        place="Byrådssalen i Støvring",
        case_number="2011-43820",
        document_number="2011-383833",
        cancelled=False,
        state=MeetingState.MINUTES_PUBLISHED,
        agenda_published_at=_at(2011, 12, 7, 12),
        minutes_published_at=_at(2011, 12, 21, 12),
        sequence=2,
    )
    _items(counter, meeting, SOCDIR_2011_ITEMS)
    people = {
        person.name: person for person in Person.objects.filter(memberships__body=body).distinct()
    }
    for name in SOCDIR_2011_PRESENT:
        upsert(
            Attendance,
            counter,
            {"meeting": meeting, "person": people[name]},
            status=AttendanceStatus.PRESENT,
            is_guest=False,
        )
    for name in SOCDIR_2011_APOLOGIES:
        upsert(
            Attendance,
            counter,
            {"meeting": meeting, "person": people[name]},
            status=AttendanceStatus.APOLOGIES,
            is_guest=False,
        )
    return meeting


# --- Midtjylland: meetings in the other states of the workflow ----------------------------------


def seed_midtjylland(counter: Counter) -> None:
    fu = Body.objects.get(slug="forretningsudvalget")
    dassos = Body.objects.get(slug="dassos")
    takstgruppen = Body.objects.get(slug="takstgruppen")

    # Takstgruppen met last week; the secretariat is writing the minutes.
    tg = upsert(
        Meeting,
        counter,
        {"body": takstgruppen, "starts_at": _at(2026, 11, 12, 13)},
        title="Møde i Takstgruppen",
        ends_at=_at(2026, 11, 12, 15),
        place="Sekretariat for rammeaftaler, Viborg",
        case_number="",
        document_number="",
        cancelled=False,
        state=MeetingState.MINUTES_DRAFT,
        agenda_published_at=_at(2026, 11, 2, 9),
        minutes_published_at=None,
        sequence=1,
    )
    _items(
        counter,
        tg,
        [
            DemoItem(
                "Godkendelse af dagsorden",
                ItemKind.DECISION,
                minutes=_p("Godkendt"),
                is_standing=True,
            ),
            DemoItem(
                "Takstberegning 2027: fælles beregningsmodel",
                ItemKind.DISCUSSION,
                case_text=_p(
                    "Taksterne fastsættes ud fra de budgetterede direkte og indirekte "
                    "omkostninger og skal vise den budgetterede belægningsprocent."
                ),
                presenter="Viborg Kommune, formand for Takstgruppen",
                recommendation=_points(
                    "Takstgruppen bedes drøfte", "at modellen lægges til grund for 2027"
                ),
                minutes=_p("Udkast: Takstgruppen drøftede modellen. Referatet er ikke godkendt."),
            ),
        ],
    )
    _invite_members(counter, tg)

    # Forretningsudvalget in December: the agenda is out, one item is closed.
    fu_december = upsert(
        Meeting,
        counter,
        {"body": fu, "starts_at": _at(2026, 12, 3, 10)},
        title="Møde i Forretningsudvalget",
        ends_at=_at(2026, 12, 3, 12, 30),
        place="Sekretariat for rammeaftaler, Viborg",
        case_number="",
        document_number="",
        cancelled=False,
        state=MeetingState.AGENDA_PUBLISHED,
        agenda_published_at=_at(2026, 11, 19, 12),
        minutes_published_at=None,
        sequence=1,
    )
    _items(
        counter,
        fu_december,
        [
            DemoItem("Godkendelse af dagsorden", ItemKind.DECISION, is_standing=True),
            DemoItem(
                "Styringsaftale 2027–2028: status",
                ItemKind.INFORMATION,
                case_text=_p(
                    "Sekretariatet orienterer om status for styringsaftalen, herunder "
                    "varslingsfrister for kapacitetsændringer og takstprincipperne."
                ),
                presenter="Karsten Binderup, Sekretariat for rammeaftaler",
                recommendation=_points(
                    "Forretningsudvalget bedes", "at tage orienteringen til efterretning"
                ),
            ),
            DemoItem(
                "Henvendelse om overtagelse af et regionalt tilbud",
                ItemKind.DECISION,
                case_text=_p(
                    "En kommune har rettet fortrolig henvendelse om overtagelse af et regionalt "
                    "tilbud efter servicelovens § 186. Sagen indeholder forretningsmæssigt "
                    "følsomme oplysninger og behandles som lukket punkt."
                ),
                presenter="Anne Jastrup, Region Midtjylland",
                recommendation=_points(
                    "Forretningsudvalget bedes drøfte og beslutte",
                    "at sagen forelægges DASSOS i marts",
                ),
                is_closed=True,
            ),
            DemoItem("Eventuelt", ItemKind.INFORMATION),
        ],
    )
    _invite_members(counter, fu_december)

    # Forretningsudvalget in February: still a draft, seen by the secretariat only.
    fu_february = upsert(
        Meeting,
        counter,
        {"body": fu, "starts_at": _at(2027, 2, 4, 10)},
        title="Møde i Forretningsudvalget",
        ends_at=_at(2027, 2, 4, 12),
        place="Sekretariat for rammeaftaler, Viborg",
        case_number="",
        document_number="",
        cancelled=False,
        state=MeetingState.DRAFT,
        agenda_published_at=None,
        minutes_published_at=None,
        sequence=0,
    )
    feb_items = _items(
        counter,
        fu_february,
        [
            DemoItem("Godkendelse af dagsorden", ItemKind.DECISION, is_standing=True),
            DemoItem(
                "Godkendelse af referat fra møde 3. december 2026",
                ItemKind.DECISION,
                is_standing=True,
            ),
            DemoItem(
                "Udviklingsstrategi 2027: fokusområder fra Januarkonferencen",
                ItemKind.DISCUSSION,
                presenter="Henning Hansen, formand for Forretningsudvalget",
            ),
        ],
    )
    upsert(AgendaItem, counter, {"pk": feb_items[1].pk}, follows_up_meeting=fu_december)
    _invite_members(counter, fu_february)

    # DASSOS in March: a draft.
    dassos_march = upsert(
        Meeting,
        counter,
        {"body": dassos, "starts_at": _at(2027, 3, 11, 9, 30)},
        title="Møde i DASSOS",
        ends_at=_at(2027, 3, 11, 12),
        place="Regionshuset Viborg",
        case_number="",
        document_number="",
        cancelled=False,
        state=MeetingState.DRAFT,
        agenda_published_at=None,
        minutes_published_at=None,
        sequence=0,
    )
    _items(
        counter,
        dassos_march,
        [
            DemoItem("Godkendelse af dagsorden", ItemKind.DECISION, is_standing=True),
            DemoItem(
                "Kapacitetstilpasninger siden sidste møde (skriftlig høring)",
                ItemKind.INFORMATION,
            ),
        ],
    )
    _invite_members(counter, dassos_march)


# --- the annual wheel (årshjul) ------------------------------------------------------------------

# (title, month, day, body slug, description). The cycle of domain.md: the November and January
# conferences, DASSOS in March and August, the steering agreement decided in October, approval by
# each council, and submission to the national social authority.
MILESTONES: list[tuple[str, int, int | None, str | None, str]] = [
    (
        "Januarkonference",
        1,
        None,
        "januarkonference",
        "Politikere og brugerorganisationer udstikker rammerne for det kommende års fokus.",
    ),
    (
        "DASSOS-møde",
        3,
        None,
        "dassos",
        "Den Administrative Styregruppe: forslag og kapacitetstilpasninger.",
    ),
    (
        "DASSOS-møde",
        8,
        None,
        "dassos",
        "Den Administrative Styregruppe behandler forslaget til rammeaftalen.",
    ),
    (
        "Styringsaftalen besluttes",
        10,
        None,
        "kkr-midtjylland",
        "Styringsaftalen besluttes endeligt: kapacitet, takster og reglerne for at ændre dem.",
    ),
    (
        "Godkendelse i byråd og regionsråd",
        10,
        None,
        None,
        "Hvert byråd og regionsrådet godkender rammeaftalen (september–oktober).",
    ),
    (
        "Indsendelse til Socialstyrelsen",
        10,
        15,
        None,
        "Den godkendte rammeaftale sendes til den nationale socialstyrelse.",
    ),
    (
        "Novemberkonference",
        11,
        None,
        "novemberkonference",
        "Fagfolk sætter fokus på aktuelle problemstillinger og næste års udviklingsstrategi.",
    ),
    (
        "Dialogforum",
        12,
        None,
        "dialogforum",
        "Dialog med brugerorganisationerne om næste rammeaftale (november–januar).",
    ),
]


def seed_milestones(counter: Counter) -> None:
    bodies = {
        body.slug: body for body in Body.objects.filter(slug__in={m[3] for m in MILESTONES if m[3]})
    }
    for order, (title, month, day, slug, description) in enumerate(MILESTONES):
        upsert(
            Milestone,
            counter,
            {"title": title, "month": month},
            day=day,
            body=bodies.get(slug) if slug else None,
            description=description,
            order=order,
        )


def seed(counter: Counter) -> None:
    seed_socialdirektoerkredsen_2011(counter)
    seed_midtjylland(counter)
    seed_milestones(counter)
