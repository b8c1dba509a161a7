"""The written rounds' mails through the notices engine.

Topics ("round" family, registered here):
- "round:<id>:respondents" — everyone asked (the invitation, a withdrawal);
- "round:<id>:pending" — those who have not answered yet (reminders);
- "round:<id>:result" — respondents and the body's members (a confidential round's result).
The result of a round that is not confidential goes on the body's topic "body:<id>:rounds"
(its subscribers and members) with the respondents as addressees. The secretariat is told on
"secretariat:rounds" when a referred round has no next meeting to go to.

The mails link to the round's page, which asks for a login; a mail never carries the answers.
Each mail is rendered once per kind of reader (insider or not), not once per recipient.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.permissions import is_secretariat
from notices.mail import render_mail
from notices.registry import Recipient, RenderedMail, register_renderer, register_topic_family
from notices.services import notice_publish
from organizations.models import Membership
from organizations.notifications import ROUNDS, body_topic
from rounds.models import Respondent, RoundState, WrittenRound
from rounds.permissions import publicly_visible

FAMILY = "round"
RESPONDENTS = "respondents"
PENDING = "pending"
RESULT = "result"
SECRETARIAT_TOPIC = "secretariat:rounds"

SENT = "rounds.sent"
REMINDER = "rounds.reminder"
RESULT_KIND = "rounds.result"
WITHDRAWN = "rounds.withdrawn"
NO_MEETING = "rounds.no_meeting"

_TEMPLATES = "rounds/mail/"
_CACHE = "_rounds_notice_cache"


def round_topic(round_id: int, what: str) -> str:
    return f"{FAMILY}:{round_id}:{what}"


def _parse(topic: str) -> tuple[int, str] | None:
    parts = topic.split(":")
    if len(parts) != 3 or parts[0] != FAMILY or not parts[1].isdigit():
        return None
    if parts[2] not in (RESPONDENTS, PENDING, RESULT):
        return None
    return int(parts[1]), parts[2]


def address_of(respondent: Respondent) -> str:
    """Where a respondent's mail goes: the person's address, else their login's."""
    person = respondent.person
    address = person.email or (person.user.email if person.user is not None else "")
    return address.strip().lower()


def _recipient(respondent: Respondent) -> Recipient | None:
    address = address_of(respondent)
    if not address:
        return None
    user = respondent.person.user
    return Recipient(
        email=address,
        user=user if user is not None and user.is_active else None,
        name=respondent.person.name,
    )


def _respondent_recipients(round_id: int, *, pending_only: bool = False) -> list[Recipient]:
    respondents = Respondent.objects.filter(round_id=round_id).select_related("person__user")
    if pending_only:
        respondents = respondents.filter(answer="")
    return [r for r in map(_recipient, respondents.order_by("pk")) if r is not None]


def _member_recipients(body_id: int) -> list[Recipient]:
    memberships = (
        Membership.objects.active_on(timezone.localdate())
        .filter(body_id=body_id)
        .select_related("person__user")
        .order_by("pk")
    )
    found: list[Recipient] = []
    for membership in memberships:
        person = membership.person
        address = (person.email or (person.user.email if person.user else "")).strip().lower()
        if address:
            user = person.user if person.user is not None and person.user.is_active else None
            found.append(Recipient(email=address, user=user, name=person.name))
    return found


def round_recipients(topic: str) -> Iterable[Recipient]:
    parsed = _parse(topic)
    if parsed is None:
        return []
    round_id, what = parsed
    if what == PENDING:
        return _respondent_recipients(round_id, pending_only=True)
    recipients = _respondent_recipients(round_id)
    if what == RESULT:
        body_id = WrittenRound.objects.filter(pk=round_id).values_list("body_id", flat=True).first()
        if body_id is not None:
            recipients += _member_recipients(body_id)
    return recipients


def round_topic_label(topic: str) -> str:
    parsed = _parse(topic)
    if parsed is None:
        return topic
    round_ = WrittenRound.objects.select_related("body").filter(pk=parsed[0]).first()
    # The label shows on the public subscribe page and in every mail's footer: the title only of
    # a round the public may see (anyone can ask for any topic key, e.g. a draft's).
    visible = round_ is not None and publicly_visible(round_)
    return _("Skriftlig høring: %(title)s") % {
        "title": round_.title if round_ is not None and visible else f"nr. {parsed[0]}"
    }


# --- publishing (inside the services' transactions) ----------------------------------------------


def round_sent(round_: WrittenRound, *, by: Any) -> None:
    notice_publish(
        topic=round_topic(round_.pk, RESPONDENTS), kind=SENT, payload={"round_id": round_.pk}, by=by
    )


def round_reminder(round_: WrittenRound, *, by: Any | None) -> None:
    notice_publish(
        topic=round_topic(round_.pk, PENDING),
        kind=REMINDER,
        payload={"round_id": round_.pk},
        by=by if getattr(by, "is_authenticated", False) else None,
    )


def round_result(round_: WrittenRound, *, by: Any | None = None) -> None:
    """The outcome to the respondents, and to the body's members and subscribers; a
    confidential round's (or a closed body's) only to the respondents and the members."""
    by = by if getattr(by, "is_authenticated", False) else None
    payload = {"round_id": round_.pk}
    if round_.is_confidential or not round_.body.is_public:
        notice_publish(
            topic=round_topic(round_.pk, RESULT), kind=RESULT_KIND, payload=payload, by=by
        )
        return
    notice_publish(
        topic=body_topic(round_.body_id, ROUNDS),
        kind=RESULT_KIND,
        payload=payload,
        by=by,
        addressees=_respondent_recipients(round_.pk),
    )


def round_withdrawn(round_: WrittenRound, *, by: Any) -> None:
    notice_publish(
        topic=round_topic(round_.pk, RESPONDENTS),
        kind=WITHDRAWN,
        payload={"round_id": round_.pk},
        by=by,
    )


def round_no_meeting(round_: WrittenRound) -> None:
    notice_publish(topic=SECRETARIAT_TOPIC, kind=NO_MEETING, payload={"round_id": round_.pk})


# --- rendering -----------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _moment(value: Any) -> str:
    return date_format(timezone.localtime(value), "l j. F Y \\k\\l. H.i")


class _Loaded:
    """What a notice's mails need, loaded once per notice (the engine passes one instance)."""

    def __init__(self, notice: Any) -> None:
        round_id = notice.payload.get("round_id")
        self.round: WrittenRound | None = (
            WrittenRound.objects.select_related(
                "body", "proposer_municipality", "proposer_region", "follow_up_item__meeting"
            )
            .filter(pk=round_id)
            .first()
        )
        self.insider_user_ids: set[int] = set()
        self.rendered: dict[tuple[str, bool], RenderedMail] = {}
        if self.round is not None:
            self.insider_user_ids = set(
                Respondent.objects.filter(round=self.round, person__user__isnull=False).values_list(
                    "person__user_id", flat=True
                )
            ) | set(
                Membership.objects.active_on(timezone.localdate())
                .filter(body_id=self.round.body_id, person__user__isnull=False)
                .values_list("person__user_id", flat=True)
            )


def _loaded(notice: Any) -> _Loaded:
    loaded = notice.__dict__.get(_CACHE)
    if loaded is None:
        loaded = notice.__dict__[_CACHE] = _Loaded(notice)
    return loaded


def _is_insider(loaded: _Loaded, recipient: Recipient) -> bool:
    user = recipient.user
    if user is None:
        return False
    return user.pk in loaded.insider_user_ids or is_secretariat(user)


def _context(round_: WrittenRound, insider: bool) -> dict[str, Any]:
    url = _absolute(reverse("rounds:detail", args=[round_.pk]))
    follow_up = round_.follow_up_item
    return {
        "round": round_,
        "insider": insider,
        "title": round_.title,
        "body_name": round_.body.name,
        "proposer": str(round_.proposer or ""),
        "proposal": mark_safe(round_.proposal),  # noqa: S308 - sanitised with nh3 on the way in
        "justification": mark_safe(round_.justification),  # noqa: S308 - sanitised likewise
        "resolution": mark_safe(round_.resolution),  # noqa: S308 - sanitised or escaped
        "deadline": _moment(round_.deadline),
        "decided_on": date_format(round_.decided_on, "j. F Y") if round_.decided_on else "",
        "state": round_.get_state_display(),
        "approved": round_.state == RoundState.APPROVED,
        "referred": round_.state == RoundState.REFERRED,
        "url": url,
        "follow_up_meeting": str(follow_up.meeting) if follow_up is not None else "",
        "follow_up_url": (
            _absolute(reverse("meetings:item", args=[follow_up.meeting_id, follow_up.pk]))
            if follow_up is not None
            else ""
        ),
    }


def _renderer(name: str, *, insiders_only: bool) -> Any:
    def render(notice: Any, recipient: Recipient) -> RenderedMail:
        loaded = _loaded(notice)
        round_ = loaded.round
        insider = round_ is not None and _is_insider(loaded, recipient)
        # An outsider (e.g. someone who followed "round:<id>:result") sees only what the public
        # may see: never a confidential round's outcome.
        visible = round_ is not None and (
            insider or (not insiders_only and publicly_visible(round_))
        )
        key = (name, insider and visible)
        mail = loaded.rendered.get(key)
        if mail is None:
            with translation.override(settings.LANGUAGE_CODE):
                if not visible or round_ is None:
                    mail = render_mail(f"{_TEMPLATES}not_visible", {}, url="")
                else:
                    context = _context(round_, insider)
                    mail = render_mail(f"{_TEMPLATES}{name}", context, url=context["url"])
            loaded.rendered[key] = mail
        return mail

    return render


def register() -> None:
    register_topic_family(FAMILY, label=round_topic_label, default_recipients=round_recipients)
    register_renderer(SENT, _renderer("sent", insiders_only=True))
    register_renderer(REMINDER, _renderer("reminder", insiders_only=True))
    register_renderer(WITHDRAWN, _renderer("withdrawn", insiders_only=True))
    register_renderer(RESULT_KIND, _renderer("result", insiders_only=False))
    register_renderer(NO_MEETING, _secretariat_renderer)


def _secretariat_renderer(notice: Any, recipient: Recipient) -> RenderedMail:
    loaded = _loaded(notice)
    round_ = loaded.round
    with translation.override(settings.LANGUAGE_CODE):
        if round_ is None or recipient.user is None or not is_secretariat(recipient.user):
            return render_mail(f"{_TEMPLATES}not_visible", {}, url="")
        context = _context(round_, True)
        context["meetings_url"] = _absolute(reverse("organizations:body", args=[round_.body.slug]))
        return render_mail(f"{_TEMPLATES}no_meeting", context, url=context["url"])
