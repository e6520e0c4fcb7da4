from django.urls import path

from liuhen.devices import views

app_name = "devices"
urlpatterns = [
    path("", views.device_list, name="list"),
    path("new/", views.device_new, name="new"),
    path("<int:pk>/", views.device_detail, name="detail"),
    path("<int:pk>/assign/", views.device_assign, name="assign"),
    path("<int:pk>/return/", views.device_return, name="return"),
    path("<int:pk>/check/", views.preuse_check, name="check"),
    path("<int:pk>/fault/", views.fault_new, name="fault"),
    path("<int:pk>/repair-start/", views.repair_start, name="repair_start"),
    path("<int:pk>/repair-done/", views.repair_done, name="repair_done"),
    path("<int:pk>/retire/", views.device_retire, name="retire"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
]
