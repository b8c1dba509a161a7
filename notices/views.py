"""The subscription pages: subscribe, confirm, unsubscribe (RFC 8058 one-click), manage.

No login is needed: the signed link in the mail is the proof of the address. Links that change
something show a button on GET and act on POST, so a mail scanner that opens links changes
nothing; the one-click POST from a mail client (RFC 8058) needs no CSRF token.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notices import mail, registry, selectors, services
from notices.forms import SubscribeForm, SubscriptionChangeForm


def _refused(request: HttpRequest, error: mail.TokenError) -> HttpResponse:
    return render(request, "notices/link_refused.html", {"message": str(error)}, status=400)


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """?emne=body:12:agenda&emne=… chooses the topics offered (the domain pages link here)."""
    topics = [t for t in request.GET.getlist("emne") if t][:20]
    choices = [(topic, registry.topic_label(topic)) for topic in dict.fromkeys(topics)]
    initial: dict[str, object] = {"topics": topics}
    if request.user.is_authenticated:
        initial["email"] = request.user.email
    form = SubscribeForm(request.POST or None, topic_choices=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        rows = services.subscription_request(
            email=form.cleaned_data["email"],
            topics=form.cleaned_data["topics"],
            frequency=form.cleaned_data["frequency"],
            name=form.cleaned_data["name"],
            user=request.user if request.user.is_authenticated else None,
        )
        pending = any(row.status == row.Status.PENDING for row in rows)
        return render(request, "notices/subscribe_done.html", {"pending": pending})
    return render(request, "notices/subscribe.html", {"form": form})


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        mail.read_confirm_token(token)
    except mail.TokenError as error:
        return _refused(request, error)
    if request.method == "GET":
        return render(request, "notices/confirm.html", {"token": token})
    try:
        rows = services.subscription_confirm(token=token)
    except mail.TokenError as error:
        return _refused(request, error)
    labels = [registry.topic_label(row.topic) for row in rows]
    return render(request, "notices/confirmed.html", {"labels": labels})


@csrf_exempt  # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" without a session
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        data = mail.read_unsubscribe_token(token)
    except mail.TokenError as error:
        return _refused(request, error)
    if request.method == "GET":
        return render(request, "notices/unsubscribe.html", {"token": token, "data": data})
    topics = services.subscription_unsubscribe(token=token)
    labels = [registry.topic_label(topic) for topic in topics]
    return render(
        request,
        "notices/unsubscribed.html",
        {"labels": labels, "manage_url": mail.manage_url(data["e"])},
    )


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    try:
        email = mail.read_manage_token(token)
    except mail.TokenError as error:
        return _refused(request, error)
    if request.method == "POST":
        form = SubscriptionChangeForm(request.POST)
        if form.is_valid():
            frequency = form.cleaned_data["frequency"]
            if (
                selectors.subscriptions_for_email(email)
                .filter(topic=form.cleaned_data["topic"])
                .exists()
            ):
                services.subscription_set(
                    email=email,
                    topic=form.cleaned_data["topic"],
                    frequency=None if frequency == "off" else frequency,
                )
    rows = [
        {
            "row": row,
            "label": registry.topic_label(row.topic),
            "form": SubscriptionChangeForm(
                initial={
                    "topic": row.topic,
                    "frequency": "off" if row.status == row.Status.UNSUBSCRIBED else row.frequency,
                }
            ),
        }
        for row in selectors.subscriptions_for_email(email)
    ]
    return render(request, "notices/manage.html", {"email": email, "rows": rows})
