"""URL map: pages per app, the API under /api/."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from liuhen.api import api
from liuhen.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("login/", core_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("org/", include("liuhen.org.urls")),
    path("policy/", include("liuhen.policy.urls")),
    path("calendar/", include("liuhen.policy.calendar_urls")),
    path("ledger/", include("liuhen.ledger.urls")),
    path("cases/", include("liuhen.cases.urls")),
    path("documents/", include("liuhen.documents.urls")),
    path("devices/", include("liuhen.devices.urls")),
    path("media/", include("liuhen.media.urls")),
    path("discs/", include("liuhen.archive.disc_urls")),
    path("api/uploads/", include("liuhen.media.tus_urls")),
    path("retention/", include("liuhen.archive.retention_urls")),
    path("archive/", include("liuhen.archive.urls")),
    path("api/", api.urls),
]

# Chinese error pages with a way back; under /api/ the same errors as JSON {code, message}.
handler400 = "liuhen.core.error_pages.bad_request"
handler403 = "liuhen.core.error_pages.permission_denied"
handler404 = "liuhen.core.error_pages.page_not_found"
handler500 = "liuhen.core.error_pages.server_error"
