from django.urls import path

from liuhen.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new", views.case_new, name="new"),
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/new", views.lead_new, name="lead_new"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/open", views.lead_open, name="lead_open"),
    path("leads/<int:pk>/not-file", views.lead_not_file, name="lead_not_file"),
    path("leads/<int:pk>/refer", views.lead_refer, name="lead_refer"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/act/<str:key>", views.case_act, name="act"),
    path("<int:pk>/referrals/<int:referral_id>/acknowledge", views.referral_acknowledge, name="acknowledge"),
]
