"""Register pages: privacy (mounted under /o/<org_slug>/ by members.urls)."""

from django.urls import path

from forening.members.views import privacy

urlpatterns = [
    path("office/register/", privacy.register_settings, name="register-settings"),
    path(
        "office/register/membership-types/new/",
        privacy.membership_type_edit,
        name="membership-type-create",
    ),
    path(
        "office/register/membership-types/<int:type_id>/",
        privacy.membership_type_edit,
        name="membership-type-edit",
    ),
    path("office/register/fields/new/", privacy.attribute_edit, name="attribute-create"),
    path(
        "office/register/fields/<int:attribute_id>/", privacy.attribute_edit, name="attribute-edit"
    ),
    path("office/register/tags/", privacy.tags, name="register-tags"),
    path("office/register/tags/<int:tag_id>/delete/", privacy.tag_delete, name="tag-delete"),
    path(
        "office/register/consents/new/", privacy.consent_purpose_edit, name="consent-purpose-create"
    ),
    path(
        "office/register/consents/<int:purpose_id>/",
        privacy.consent_purpose_edit,
        name="consent-purpose-edit",
    ),
    path("office/register/retention/", privacy.retention, name="retention"),
    path("office/members/<int:person_id>/extract/", privacy.member_extract, name="member-extract"),
    path(
        "office/members/<int:person_id>/anonymise/",
        privacy.member_anonymise,
        name="member-anonymise",
    ),
]
