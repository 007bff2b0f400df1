"""Pages of integrations: webhook endpoints for Global admins, claim imports for partners.
Thin: access (404 for another company, 403 for the role), form, service, render."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from claims.errors import MESSAGES, DomainError

from . import imports, selectors, services
from .downloads import rejected_response, template_response
from .forms import ImportUploadForm, WebhookEditForm, WebhookForm

SECRET_KEY = "integrations.new_secret"


def global_admin_required(view):
    """Signed in as a Global admin of a company; other users get a page saying who can."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        try:
            services.require_global_admin(request.user)
        except DomainError:
            return render(request, "integrations/global_admin_only.html", {"message": MESSAGES["global_admin_only"]}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _endpoint(request: HttpRequest, pk: int):
    try:
        return selectors.get_endpoint_for_user(request.user, pk)
    except DomainError:
        raise Http404 from None


def _refusal(request: HttpRequest, exc: DomainError) -> None:
    for item in exc.errors:
        messages.error(request, item.message)


def _throttled(request: HttpRequest, endpoint, exc: DomainError) -> HttpResponse:
    """A throttled test or redelivery: the endpoint's page with the refusal, as a 429 that
    says when to try again."""
    _refusal(request, exc)
    response = webhook_detail(request, endpoint.pk)
    response.status_code = 429
    response["Retry-After"] = str(dict(exc.errors[0].params)["seconds"])
    return response


def _form_errors(form, exc: DomainError) -> None:
    for item in exc.errors:
        form.add_error(item.field if item.field in form.fields else None, item.message)


def _show_secret_once(request: HttpRequest, endpoint_id: int, secret: str) -> None:
    request.session[SECRET_KEY] = {"endpoint": endpoint_id, "secret": secret}


@global_admin_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    endpoints = list(selectors.endpoints_for(request.user))
    return render(request, "integrations/webhooks.html", {"endpoints": endpoints})


@global_admin_required
def webhook_create(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(
                actor=request.user,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
            )
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            _show_secret_once(request, endpoint.pk, secret)
            return redirect("integrations:webhook", endpoint.pk)
    return render(request, "integrations/webhook_form.html", {"form": form, "endpoint": None})


@global_admin_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    shown = request.session.get(SECRET_KEY)
    secret = None
    if shown and shown.get("endpoint") == endpoint.pk:
        secret = shown["secret"]
        del request.session[SECRET_KEY]  # shown once
    page = Paginator(selectors.deliveries_for(endpoint), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "integrations/webhook_detail.html",
        {"endpoint": endpoint, "secret": secret, "page": page, "deliveries": page.object_list},
    )


@global_admin_required
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "is_active": endpoint.is_active,
    }
    form = WebhookEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(endpoint=endpoint, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The endpoint was saved."))
            return redirect("integrations:webhook", endpoint.pk)
    return render(request, "integrations/webhook_form.html", {"form": form, "endpoint": endpoint})


@require_POST
@global_admin_required
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint, secret = services.endpoint_rotate_secret(endpoint=_endpoint(request, pk), actor=request.user)
    _show_secret_once(request, endpoint.pk, secret)
    messages.success(request, _("A new secret was made. The previous one keeps signing too until the date shown."))
    return redirect("integrations:webhook", endpoint.pk)


@require_POST
@global_admin_required
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    try:
        services.endpoint_send_test(endpoint=endpoint, actor=request.user)
    except DomainError as exc:
        if exc.http_status == 429:
            return _throttled(request, endpoint, exc)
        _refusal(request, exc)
    else:
        messages.success(request, _("A test event was sent. Its outcome is at the top of the delivery log."))
    return redirect("integrations:webhook", endpoint.pk)


@require_http_methods(["GET", "POST"])
@global_admin_required
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET, or a POST without confirmed=1: the confirmation step (a plain form, no JavaScript
    needed), since removing cannot be undone and drops the delivery log. POST with
    confirmed=1: removes the endpoint."""
    endpoint = _endpoint(request, pk)
    if request.method == "GET" or request.POST.get("confirmed") != "1":
        return render(request, "integrations/webhook_delete.html", {"endpoint": endpoint})
    services.endpoint_delete(endpoint=endpoint, actor=request.user)
    messages.success(request, _("The endpoint was removed. It receives no more events."))
    return redirect("integrations:webhooks")


@require_POST
@global_admin_required
def webhook_redeliver(request: HttpRequest, pk: int, delivery_id: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    try:
        delivery = selectors.get_delivery(endpoint, delivery_id)
        services.delivery_redeliver(delivery=delivery, actor=request.user)
    except DomainError as exc:
        if exc.code == "delivery_not_found":
            raise Http404 from None
        if exc.http_status == 429:
            return _throttled(request, endpoint, exc)
        _refusal(request, exc)
    else:
        messages.success(request, _("The event was sent again. Its outcome is in the delivery log."))
    return redirect("integrations:webhook", endpoint.pk)


# --- imports ------------------------------------------------------------------------------


def partner_required(view):
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_partner:
            return render(request, "claims/no_role.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _import(request: HttpRequest, pk: int):
    try:
        return selectors.get_import_for_user(request.user, pk)
    except DomainError:
        raise Http404 from None


@partner_required
def import_list(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = imports.import_create(
                actor=request.user, upload=form.cleaned_data["file"], poe_zip=form.cleaned_data.get("poe_zip")
            )
        except DomainError as exc:
            _form_errors(form, exc)
        else:
            return redirect("integrations:import", batch.pk)
    columns = [(column, text) for column, text in imports.COLUMN_HELP.items()]
    return render(
        request,
        "integrations/imports.html",
        {"form": form, "imports": selectors.imports_for(request.user)[:50], "columns": columns, "codes": _codes()},
    )


def _codes() -> list[tuple[str, str, str]]:
    from claims.choices import ACTIVITIES_BY_AREA, Activity, SolutionArea
    from claims.models import Product

    out = [("solution_area", area.value, str(area.label)) for area in SolutionArea]
    out += [
        ("activity", act, f"{SolutionArea(area).label}: {Activity(act).label}")
        for area, acts in ACTIVITIES_BY_AREA.items()
        for act in acts
    ]
    out += [("product", p.code, p.name) for p in Product.objects.order_by("solution_area", "code")]
    return out


@partner_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _import(request, pk)
    which = request.GET.get("rows", "rejected" if batch.invalid_rows else "all")
    rows = batch.rows.order_by("row_number")
    if which in ("valid", "rejected"):
        rows = rows.filter(ok=which == "valid")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    shown = [{"row": row, "errors": [{**e, "message": imports.message_of(e)} for e in row.errors]} for row in page.object_list]
    error = (
        imports.message_of({"code": batch.error_code, "field": "file", "params": batch.error_params}) if batch.error_code else ""
    )
    return render(
        request,
        "integrations/import_detail.html",
        {
            "batch": batch, "page": page, "rows": shown, "which": which, "error": error,
            "earlier": imports.earlier_upload(batch), "running": batch.status in ("validating", "importing"),
        },
    )  # fmt: skip


@partner_required
def import_status(request: HttpRequest, pk: int) -> JsonResponse:
    """What the progress bar polls."""
    batch = _import(request, pk)
    return JsonResponse({"status": batch.status, "progress": batch.progress, "processed_rows": batch.processed_rows})


@require_POST
@partner_required
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _import(request, pk)
    try:
        batch = imports.commit(batch=batch, actor=request.user)
    except DomainError as exc:
        _refusal(request, exc)
    else:
        if batch.status == "done":
            messages.success(
                request, _("The valid rows were imported as drafts. Attach proof of execution to each, then submit.")
            )
    return redirect("integrations:import", batch.pk)


@partner_required
def import_rejected(request: HttpRequest, pk: int) -> HttpResponse:
    return rejected_response(_import(request, pk))


@partner_required
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    return template_response(kind)
