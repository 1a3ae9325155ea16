from django.http import HttpResponse

from forening.core.views.base import organisation_view


@organisation_view("core.organisation.view")
def dashboard(request, **kw):
    return HttpResponse("dashboard")


organisation_settings = groups = section_edit = group_edit = roles = role_grant = dashboard
role_revoke = audit_log = units = dashboard
