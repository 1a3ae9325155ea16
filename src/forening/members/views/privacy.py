"""Register settings (membership types, custom fields, tags, consent purposes) and privacy
(register extract, anonymisation, the retention rule).

Views are adapters: they fetch with an explicit organisation filter (another association's
ids are 404), call one service of `members.configuration` or `members.privacy`, and render.
List pages run a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from forening.core import services as core_services
from forening.core.context import Actor
from forening.core.forms_base import add_validation_error
from forening.core.models import MemberStatus, Person
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.members import configuration, privacy
from forening.members.forms_settings import (
    AnonymiseForm,
    AttributeForm,
    ConfirmForm,
    ConsentPurposeForm,
    MembershipTypeForm,
    RetentionForm,
    TagForm,
)
from forening.members.models import (
    AttributeDefinition,
    AttributeValue,
    ConsentPurpose,
    MembershipType,
    Note,
    NoteAttachment,
    Tag,
    Tagging,
)
from forening.members.services import RegisterError, get_or_create_tag

OVERVIEW_TAGS = 30
RETENTION_LISTED = 200


def _settings_redirect(request: OrganisationRequest) -> HttpResponse:
    return redirect("org:register-settings", org_slug=request.organisation.slug)


def _removed_message(result: configuration.Removal, name: str) -> str:
    if result == "deleted":
        return _("“%(name)s” has been deleted.") % {"name": name}
    return _("“%(name)s” is in use, so it has been taken out of use instead of deleted.") % {
        "name": name
    }


# --- settings overview --------------------------------------------------------------------


@organisation_view("members.settings.change")
def register_settings(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    types = list(
        MembershipType.objects.filter(organisation=organisation).annotate(
            people_count=Count("people", distinct=True)
        )
    )
    attributes = list(
        AttributeDefinition.objects.filter(organisation=organisation)
        .annotate(value_count=Count("values", distinct=True))
        .prefetch_related(
            Prefetch(
                "required_for",
                queryset=MembershipType.objects.filter(organisation=organisation),
            )
        )
    )
    tags = list(
        Tag.objects.filter(organisation=organisation)
        .annotate(people_count=Count("taggings"))
        .order_by("-people_count", "name", "pk")[: OVERVIEW_TAGS + 1]
    )
    purposes = list(
        ConsentPurpose.objects.filter(organisation=organisation).annotate(
            active_count=Count("consents", filter=Q(consents__withdrawn_at__isnull=True)),
            total_count=Count("consents"),
        )
    )
    return render(
        request,
        "members/settings/overview.html",
        {
            "types": types,
            "attributes": attributes,
            "tags": tags[:OVERVIEW_TAGS],
            "more_tags": len(tags) > OVERVIEW_TAGS,
            "purposes": purposes,
            "organisation": organisation,
        },
    )


# --- membership types ---------------------------------------------------------------------


def _named_setting_edit(
    request: OrganisationRequest,
    instance: Any,
    *,
    form_class: Any,
    save: Callable[..., Any],
    remove: Callable[..., configuration.Removal],
    saved_message: str,
    template: str,
) -> HttpResponse:
    """Create or edit a membership type or consent purpose: save, or remove (deactivated
    instead when in use). `saved_message` has a %(name)s placeholder."""
    actor = Actor.from_request(request)
    is_new = instance.pk is None
    title = instance.name
    if request.method == "POST" and not is_new and "remove" in request.POST:
        result = remove(instance, actor=actor)
        messages.success(request, _removed_message(result, title))
        return _settings_redirect(request)
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            save(form.instance, actor=actor)
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, saved_message % {"name": form.instance.name})
            return _settings_redirect(request)
    return render(request, template, {"form": form, "title": title, "is_new": is_new})


@organisation_view("members.settings.change")
def membership_type_edit(request: OrganisationRequest, type_id: int | None = None) -> HttpResponse:
    organisation = request.organisation
    membership_type = (
        MembershipType(organisation=organisation)
        if type_id is None
        else get_object_or_404(MembershipType, organisation=organisation, pk=type_id)
    )
    return _named_setting_edit(
        request,
        membership_type,
        form_class=MembershipTypeForm,
        save=configuration.save_membership_type,
        remove=configuration.remove_membership_type,
        saved_message=_("The membership type “%(name)s” has been saved."),
        template="members/settings/membership_type_form.html",
    )


# --- custom fields ------------------------------------------------------------------------


@organisation_view("members.settings.change")
def attribute_edit(request: OrganisationRequest, attribute_id: int | None = None) -> HttpResponse:
    organisation = request.organisation
    actor = Actor.from_request(request)
    if attribute_id is None:
        attribute = AttributeDefinition(organisation=organisation)
    else:
        attribute = get_object_or_404(
            AttributeDefinition, organisation=organisation, pk=attribute_id
        )
    title = attribute.name
    stored_options = list(attribute.options)
    if request.method == "POST" and attribute_id is not None and "remove" in request.POST:
        result = configuration.remove_attribute(attribute, actor=actor)
        messages.success(request, _removed_message(result, title))
        return _settings_redirect(request)
    form = AttributeForm(request.POST or None, instance=attribute, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            configuration.save_attribute(
                form.instance,
                actor=actor,
                option_labels=form.cleaned_data["options"],
                required_for=form.cleaned_data["required_for"],
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(
                request, _("The field “%(name)s” has been saved.") % {"name": form.instance.name}
            )
            return _settings_redirect(request)
    usage = []
    value_count = 0
    if attribute_id is not None:
        value_count = AttributeValue.objects.filter(attribute_id=attribute_id).count()
        counts = configuration.option_usage(attribute, [o["key"] for o in stored_options])
        usage = [(option["label"], counts.get(option["key"], 0)) for option in stored_options]
    return render(
        request,
        "members/settings/attribute_form.html",
        {
            "form": form,
            "title": title,
            "is_new": attribute_id is None,
            "usage": usage,
            "value_count": value_count,
        },
    )


# --- tags ---------------------------------------------------------------------------------


@organisation_view("members.settings.change")
def tags(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    actor = Actor.from_request(request)
    form = TagForm(request.POST if request.POST.get("action") == "create" else None)
    if request.method == "POST" and request.POST.get("action") == "rename":
        tag = get_object_or_404(Tag, organisation=organisation, pk=request.POST.get("tag") or 0)
        old_name = tag.name
        try:
            result = configuration.rename_tag(tag, request.POST.get("name", ""), actor=actor)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if result.merged:
                messages.success(
                    request,
                    _("“%(old)s” has been merged into “%(new)s”.")
                    % {"old": old_name, "new": result.tag.name},
                )
            else:
                messages.success(
                    request,
                    _("“%(old)s” is now called “%(new)s”.")
                    % {"old": old_name, "new": result.tag.name},
                )
        return redirect("org:register-tags", org_slug=organisation.slug)
    if request.method == "POST" and form.is_valid():
        name = configuration.clean_name(form.cleaned_data["name"])
        existed = Tag.objects.filter(organisation=organisation, name__iexact=name).exists()
        try:
            tag = get_or_create_tag(organisation, name, actor=actor)
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            if existed:
                messages.info(request, _("The tag “%(name)s” already exists.") % {"name": tag})
            else:
                messages.success(request, _("The tag “%(name)s” has been added.") % {"name": tag})
            return redirect("org:register-tags", org_slug=organisation.slug)
    rows = list(
        Tag.objects.filter(organisation=organisation).annotate(people_count=Count("taggings"))
    )
    return render(request, "members/settings/tags.html", {"form": form, "tags": rows})


@organisation_view("members.settings.change")
@require_POST
def tag_delete(request: OrganisationRequest, tag_id: int) -> HttpResponse:
    organisation = request.organisation
    tag = get_object_or_404(Tag, organisation=organisation, pk=tag_id)
    name = tag.name
    count = configuration.delete_tag(tag, actor=Actor.from_request(request))
    messages.success(
        request,
        _("The tag “%(name)s” has been deleted and taken off %(count)d people.")
        % {"name": name, "count": count},
    )
    return redirect("org:register-tags", org_slug=organisation.slug)


# --- consent purposes ---------------------------------------------------------------------


@organisation_view("members.settings.change")
def consent_purpose_edit(
    request: OrganisationRequest, purpose_id: int | None = None
) -> HttpResponse:
    organisation = request.organisation
    purpose = (
        ConsentPurpose(organisation=organisation)
        if purpose_id is None
        else get_object_or_404(ConsentPurpose, organisation=organisation, pk=purpose_id)
    )
    return _named_setting_edit(
        request,
        purpose,
        form_class=ConsentPurposeForm,
        save=configuration.save_consent_purpose,
        remove=configuration.remove_consent_purpose,
        saved_message=_("The consent purpose “%(name)s” has been saved."),
        template="members/settings/consent_purpose_form.html",
    )


# --- retention ----------------------------------------------------------------------------


@organisation_view("members.privacy.manage")
def retention(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    actor = Actor.from_request(request)
    action = request.POST.get("action") if request.method == "POST" else None
    form = RetentionForm(
        request.POST if action == "save" else None,
        initial={"retention_years": organisation.retention_years},
    )
    confirm_form = ConfirmForm(request.POST if action == "apply" else None)
    if action == "save" and form.is_valid():
        years = form.cleaned_data["retention_years"]
        try:
            core_services.update_organisation(organisation, actor=actor, retention_years=years)
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            if years is None:
                messages.success(request, _("The retention rule is off."))
            else:
                messages.success(
                    request,
                    _("Former members' personal data is now kept for %(years)d years.")
                    % {"years": years},
                )
            return redirect("org:retention", org_slug=organisation.slug)
    if action == "apply" and confirm_form.is_valid() and organisation.retention_years:
        report = privacy.apply_retention(organisation, actor=actor, dry_run=False)
        messages.success(
            request,
            _("The personal data of %(count)d former members has been removed.")
            % {"count": report.count},
        )
        return redirect("org:retention", org_slug=organisation.slug)
    report = privacy.apply_retention(
        organisation, actor=actor, dry_run=True, limit=RETENTION_LISTED
    )
    return render(
        request,
        "members/privacy/retention.html",
        {
            "form": form,
            "confirm_form": confirm_form,
            "report": report,
            "more": report.count - len(report.people),
        },
    )


# --- register extract ---------------------------------------------------------------------


def _person(request: OrganisationRequest, person_id: int) -> Person:
    return get_object_or_404(
        Person.objects.select_related("organisation"),
        organisation=request.organisation,
        pk=person_id,
    )


def _extract_filename(person: Person, suffix: str) -> str:
    number = person.member_number or f"id{person.pk}"
    return f"register-extract-{number}.{suffix}"


@organisation_view("members.privacy.manage")
def member_extract(request: OrganisationRequest, person_id: int) -> HttpResponse:
    person = _person(request, person_id)
    output = request.GET.get("format", "html")
    if output not in ("html", "json", "pdf"):
        output = "html"
    extract = privacy.register_extract(person, actor=Actor.from_request(request), output=output)
    if output == "json":
        response = HttpResponse(
            json.dumps(extract, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{_extract_filename(person, "json")}"'
        )
        return response
    context = {"extract": extract, "person": person}
    if output == "pdf":
        import weasyprint  # a heavy import, needed only here

        html = render_to_string("members/privacy/extract_pdf.html", context, request=request)
        pdf = weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="{_extract_filename(person, "pdf")}"'
        )
        return response
    return render(request, "members/privacy/extract.html", context)


# --- anonymisation ------------------------------------------------------------------------


@organisation_view("members.privacy.manage")
def member_anonymise(request: OrganisationRequest, person_id: int) -> HttpResponse:
    person = _person(request, person_id)
    form = AnonymiseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.anonymise_person(
                person, actor=Actor.from_request(request), reason=form.cleaned_data["reason"]
            )
        except RegisterError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("The personal data of member number %(number)s has been removed.")
                % {"number": person.member_number or "–"},
            )
            return redirect("org:member", org_slug=request.organisation.slug, person_id=person.pk)
    counts = {
        "notes": Note.objects.filter(person=person).count(),
        "attachments": NoteAttachment.objects.filter(note__person=person).count(),
        "fields": AttributeValue.objects.filter(person=person).count(),
        "tags": Tagging.objects.filter(person=person).count(),
    }
    return render(
        request,
        "members/privacy/anonymise.html",
        {
            "form": form,
            "person": person,
            "counts": counts,
            "allowed": person.status in privacy.ANONYMISABLE_STATUSES,
            "is_applicant": person.status == MemberStatus.APPLIED,
        },
    )
