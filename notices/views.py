"""The subscription pages: subscribe, confirm, unsubscribe (RFC 8058 one-click), manage, and
the profile's changes to a logged-in user's subscriptions.

No login is needed for the first four: the signed link in the mail is the proof of the address.
Links that change something show a button on GET and act on POST, so a mail scanner that opens
links changes nothing; the one-click POST from a mail client (RFC 8058) needs no CSRF token.

Double opt-in: a subscription is pending, and nothing but the confirmation mail is sent to the
address, until the link in that mail is followed. The one exception is a logged-in user who
follows with their own verified login address (the portal already checked it): that
subscription is confirmed at once (see `services.subscription_request`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from notices import mail, registry, selectors, services
from notices.forms import ProfileSubscriptionForm, SubscribeForm, SubscriptionChangeForm
from notices.models import Subscription

MAX_TOPICS = 20


def _subscribe_url(topics: list[str]) -> str:
    url = reverse("notices:subscribe")
    return f"{url}?{urlencode([('emne', t) for t in topics])}" if topics else url


def _refused(
    request: HttpRequest, error: mail.TokenError, *, topics: list[str] | None = None
) -> HttpResponse:
    """The Danish page for an expired or tampered link (400), with a way to start again."""
    return render(
        request,
        "notices/link_refused.html",
        {"message": str(error), "subscribe_url": _subscribe_url(topics or []) if topics else ""},
        status=400,
    )


def _expired_confirm_topics(token: str) -> list[str]:
    """The topics of a confirmation link whose signature is genuine but too old (else [])."""
    try:
        value = signing.loads(token, salt=mail.CONFIRM_SALT)
    except signing.BadSignature:
        return []
    if not isinstance(value, dict) or not isinstance(value.get("e"), str):
        return []
    ids = [i for i in value.get("s") or [] if isinstance(i, int)]
    return selectors.subscription_topics(value["e"], ids)


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """?emne=body:12:agenda&emne=… chooses the topics offered (the domain pages link here, and
    the "Følg" box on a body's page posts here)."""
    topics = list(dict.fromkeys(t for t in request.GET.getlist("emne") if t))[:MAX_TOPICS]
    choices = [(topic, registry.topic_label(topic)) for topic in topics]
    initial: dict[str, object] = {"topics": topics}
    if request.user.is_authenticated:
        initial["email"] = request.user.email
    form = SubscribeForm(request.POST or None, topic_choices=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        address = form.cleaned_data["email"].strip().lower()
        # Only a verified address of the login counts as the user's own (confirmed at once).
        own = address in selectors.verified_addresses(request.user)
        rows = services.subscription_request(
            email=address,
            topics=form.cleaned_data["topics"],
            frequency=form.cleaned_data["frequency"],
            name=form.cleaned_data["name"],
            user=request.user if own else None,
        )
        pending = [row for row in rows if row.status == Subscription.Status.PENDING]
        return render(
            request,
            "notices/subscribe_done.html",
            {
                "pending": bool(pending),
                "email": address,
                "labels": [registry.topic_label(row.topic) for row in rows],
            },
        )
    return render(request, "notices/subscribe.html", {"form": form, "has_topics": bool(choices)})


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        email, _ids = mail.read_confirm_token(token)
    except mail.TokenError as error:
        return _refused(request, error, topics=_expired_confirm_topics(token))
    if request.method == "GET":
        return render(request, "notices/confirm.html", {"token": token, "email": email})
    try:
        rows = services.subscription_confirm(token=token)
    except mail.TokenError as error:
        return _refused(request, error, topics=_expired_confirm_topics(token))
    return render(
        request,
        "notices/confirmed.html",
        {
            "labels": [registry.topic_label(row.topic) for row in rows],
            "email": email,
            "manage_url": reverse("notices:manage", args=[mail.manage_token(email)]),
        },
    )


@csrf_exempt  # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" without a session
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        data = mail.read_unsubscribe_token(token)
    except mail.TokenError as error:
        return _refused(request, error)
    label = registry.topic_label(data["t"]) if "t" in data else ""
    if request.method == "GET":
        return render(
            request, "notices/unsubscribe.html", {"token": token, "data": data, "label": label}
        )
    topics = services.subscription_unsubscribe(token=token)
    return render(
        request,
        "notices/unsubscribed.html",
        {
            "labels": [registry.topic_label(topic) for topic in topics],
            "email": data["e"],
            "manage_url": reverse("notices:manage", args=[mail.manage_token(data["e"])]),
            "subscribe_url": _subscribe_url(topics),
        },
    )


def _change_rows(
    subscriptions: list[Subscription], form_class: type[SubscriptionChangeForm]
) -> list[dict[str, object]]:
    """A row per subscription with its label and a form (ids unique per row)."""
    return [
        {
            "row": row,
            "label": registry.topic_label(row.topic),
            "form": form_class(
                auto_id=f"id_sub{index}_%s",
                initial={
                    "topic": row.topic,
                    "email": row.email,
                    "frequency": "off" if row.status == row.Status.UNSUBSCRIBED else row.frequency,
                },
            ),
        }
        for index, row in enumerate(subscriptions, start=1)
    ]


def _changed_message(label: str, frequency: str | None) -> str:
    if frequency is None:
        return _("Du er afmeldt %(topic)s.") % {"topic": label}
    return _("Ændringen af %(topic)s er gemt.") % {"topic": label}


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """Every subscription of the link's address: change a frequency, unsubscribe one or all."""
    try:
        email = mail.read_manage_token(token)
    except mail.TokenError as error:
        return _refused(request, error)
    if request.method == "POST":
        if "alle" in request.POST:
            topics = services.subscriptions_unsubscribe_all(email=email)
            messages.success(
                request,
                ngettext(
                    "Du er afmeldt %(n)d abonnement.",
                    "Du er afmeldt %(n)d abonnementer.",
                    len(topics),
                )
                % {"n": len(topics)},
            )
            return redirect(request.path)
        form = SubscriptionChangeForm(request.POST)
        if form.is_valid():
            topic = form.cleaned_data["topic"]
            frequency = form.cleaned_data["frequency"]
            if selectors.subscriptions_for_email(email).filter(topic=topic).exists():
                value = None if frequency == "off" else frequency
                services.subscription_set(email=email, topic=topic, frequency=value)
                messages.success(request, _changed_message(registry.topic_label(topic), value))
                return redirect(request.path)
        messages.error(request, _("Ændringen kunne ikke gemmes. Prøv igen."))
        return redirect(request.path)
    subscriptions = list(selectors.subscriptions_for_email(email))
    rows = _change_rows(subscriptions, SubscriptionChangeForm)
    active = any(row.status != row.Status.UNSUBSCRIBED for row in subscriptions)
    return render(
        request, "notices/manage.html", {"email": email, "rows": rows, "any_active": active}
    )


# --- the profile's forms (the page itself is rammeaftale.views.profile) -----------------------


def profile_subscription_rows(user: object) -> list[dict[str, object]]:
    """The profile's table: every subscription of the user's verified addresses, with forms."""
    addresses = selectors.verified_addresses(user)
    subscriptions = list(selectors.subscriptions_for_addresses(addresses)) if addresses else []
    return _change_rows(subscriptions, ProfileSubscriptionForm)


def _back_to_profile(anchor: str) -> HttpResponseRedirect:
    return redirect(f"{reverse('profile')}#{anchor}")


@login_required
@require_POST
def profile_subscription(request: HttpRequest) -> HttpResponse:
    """Change or end one subscription of one of the user's verified addresses."""
    form = ProfileSubscriptionForm(request.POST)
    if form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        topic = form.cleaned_data["topic"]
        frequency = form.cleaned_data["frequency"]
        if (
            email in selectors.verified_addresses(request.user)
            and selectors.subscriptions_for_email(email).filter(topic=topic).exists()
        ):
            value = None if frequency == "off" else frequency
            services.subscription_set(email=email, topic=topic, frequency=value)
            messages.success(request, _changed_message(registry.topic_label(topic), value))
            return _back_to_profile("abonnementer")
    messages.error(request, _("Ændringen kunne ikke gemmes. Prøv igen."))
    return _back_to_profile("abonnementer")


@login_required
@require_POST
def profile_defaults(request: HttpRequest) -> HttpResponse:
    """Decline (or take back) the mails a member of a body gets by default. Each topic in
    "emne" is set: declined when it is also in "fravalg". Topics the user does not get by
    default are ignored."""
    addresses = selectors.verified_addresses(request.user)
    declined = set(request.POST.getlist("fravalg"))
    changed = 0
    for topic in list(dict.fromkeys(request.POST.getlist("emne")))[:50]:
        for email in selectors.default_recipient_emails(request.user, addresses, topic):
            services.subscription_default_opt_out(
                email=email, topic=topic, opt_out=topic in declined
            )
            changed += 1
    if changed:
        messages.success(request, _("Dine valg for mails som medlem er gemt."))
    else:
        messages.error(request, _("Ændringen kunne ikke gemmes. Prøv igen."))
    return _back_to_profile("medlemsmails")
