"""Register pages: member (mounted under /o/<org_slug>/ by members.urls)."""

from django.urls import path

from forening.members.views.member import (
    applications,
    consents,
    edit,
    groups,
    household,
    identity,
    notes,
    page,
    status,
)

urlpatterns = [
    path("office/members/applications/", applications.applications, name="applications"),
    path("office/members/new/", edit.member_create, name="member-create"),
    path("office/members/<int:person_id>/", page.member_detail, name="member"),
    path("office/members/<int:person_id>/edit/", edit.member_edit, name="member-edit"),
    path("office/members/<int:person_id>/status/", status.member_status, name="member-status"),
    path(
        "office/members/<int:person_id>/identity-number/",
        identity.member_reveal,
        name="member-reveal",
    ),
    path("office/members/<int:person_id>/notes/", notes.member_note_add, name="member-note-add"),
    path(
        "office/members/<int:person_id>/attachments/<int:attachment_id>/",
        notes.member_attachment,
        name="member-attachment",
    ),
    path("office/members/<int:person_id>/photo/", page.member_photo, name="member-photo"),
    path("office/members/<int:person_id>/groups/", groups.member_groups, name="member-groups"),
    path("office/members/<int:person_id>/tags/", groups.member_tags, name="member-tags"),
    path(
        "office/members/<int:person_id>/consents/",
        consents.member_consents,
        name="member-consents",
    ),
    path(
        "office/members/<int:person_id>/household/",
        household.member_household,
        name="member-household",
    ),
    path(
        "office/members/<int:person_id>/guardians/",
        household.member_guardians,
        name="member-guardians",
    ),
]
