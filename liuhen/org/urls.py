from django.urls import path

from liuhen.org import views

app_name = "org"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("departments/new/", views.department_create, name="department_create"),
    path("officers/new/", views.officer_create, name="officer_create"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:user_id>/", views.user_detail, name="user_detail"),
    path("users/<int:user_id>/active/", views.user_set_active, name="user_set_active"),
    path("users/<int:user_id>/password/", views.user_password, name="user_password"),
    path("users/<int:user_id>/roles/grant/", views.role_grant, name="role_grant"),
    path("users/<int:user_id>/roles/revoke/", views.role_revoke, name="role_revoke"),
    path("users/<int:user_id>/tokens/new/", views.token_issue, name="token_issue"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
