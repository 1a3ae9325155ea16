"""Register pages: member (mounted under /o/<org_slug>/ by members.urls)."""

from django.urls import path

from forening.members.views import member

urlpatterns = [
    path("office/members/applications/", member.applications, name="applications"),
    path("office/members/new/", member.member_create, name="member-create"),
    path("office/members/<int:person_id>/", member.member_detail, name="member"),
    path("office/members/<int:person_id>/edit/", member.member_edit, name="member-edit"),
    path("office/members/<int:person_id>/status/", member.member_status, name="member-status"),
    path(
        "office/members/<int:person_id>/identity-number/",
        member.member_reveal,
        name="member-reveal",
    ),
    path("office/members/<int:person_id>/notes/", member.member_note_add, name="member-note-add"),
    path(
        "office/members/<int:person_id>/attachments/<int:attachment_id>/",
        member.member_attachment,
        name="member-attachment",
    ),
    path("office/members/<int:person_id>/photo/", member.member_photo, name="member-photo"),
    path("office/members/<int:person_id>/groups/", member.member_groups, name="member-groups"),
    path("office/members/<int:person_id>/tags/", member.member_tags, name="member-tags"),
    path(
        "office/members/<int:person_id>/consents/", member.member_consents, name="member-consents"
    ),
    path(
        "office/members/<int:person_id>/household/",
        member.member_household,
        name="member-household",
    ),
    path(
        "office/members/<int:person_id>/guardians/",
        member.member_guardians,
        name="member-guardians",
    ),
]
