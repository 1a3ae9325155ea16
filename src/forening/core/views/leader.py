from forening.core.views.office import dashboard

my_groups = group_detail = dashboard
