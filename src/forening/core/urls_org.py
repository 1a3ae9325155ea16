"""Pages inside one association: /o/<org_slug>/…"""

from django.urls import path

from forening.billing import urls as billing_urls
from forening.core.views import leader, office, portal
from forening.ledger import urls as ledger_urls
from forening.members import urls as member_urls

app_name = "org"

urlpatterns = [
    path("", office.dashboard, name="dashboard"),
    path("office/settings/", office.organisation_settings, name="settings"),
    path("office/groups/", office.groups, name="groups"),
    path("office/sections/new/", office.section_edit, name="section-create"),
    path("office/sections/<int:section_id>/", office.section_edit, name="section-edit"),
    path("office/groups/new/", office.group_edit, name="group-create"),
    path("office/groups/<int:group_id>/", office.group_edit, name="group-edit"),
    path("office/roles/", office.roles, name="roles"),
    path("office/roles/grant/", office.role_grant, name="role-grant"),
    path("office/roles/<int:assignment_id>/revoke/", office.role_revoke, name="role-revoke"),
    path("office/audit/", office.audit_log, name="audit"),
    path("office/units/", office.units, name="units"),
    path("office/units/new/", office.unit_create, name="unit-create"),
    path("leader/", leader.my_groups, name="leader"),
    path("leader/groups/<int:group_id>/", leader.group_detail, name="leader-group"),
    path("my/", portal.my_pages, name="portal"),
    path("my/people/<int:person_id>/", portal.person_edit, name="portal-person"),
    path("my/people/<int:person_id>/consents/", portal.person_consents, name="portal-consents"),
    # The member register (REG-*, GDPR-01/02): office/members/…, office/register/…
    *member_urls.urlpatterns,
    # The books (ACC-01, ACC-02): office/books/…
    *ledger_urls.urlpatterns,
    # Invoicing, payments and reports (INV-*, PAY-01, ACC-03): office/billing/…
    *billing_urls.urlpatterns,
]
