"""URL map: pages per app, the API under /api/."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from liuhen.api import api
from liuhen.portal import views as portal_views

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("healthz", portal_views.healthz, name="healthz"),
    path("login/", portal_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("org/", include("liuhen.org.urls")),
    path("policy/", include("liuhen.policy.urls")),
    path("calendar/", include("liuhen.policy.calendar.urls")),
    path("ledger/", include("liuhen.ledger.urls")),
    path("cases/", include("liuhen.cases.urls")),
    path("documents/", include("liuhen.documents.urls")),
    path("devices/", include("liuhen.devices.urls")),
    path("media/", include("liuhen.media.urls")),
    path("discs/", include("liuhen.archive.discs.urls")),
    path("api/uploads/", include("liuhen.media.ingest.tus_urls")),
    path("retention/", include("liuhen.archive.retention.urls")),
    path("archive/", include("liuhen.archive.casefiles.urls")),
    path("api/", api.urls),
]

# Chinese error pages with a way back; under /api/ the same errors as JSON {code, message}.
handler400 = "liuhen.portal.error_pages.bad_request"
handler403 = "liuhen.portal.error_pages.permission_denied"
handler404 = "liuhen.portal.error_pages.page_not_found"
handler500 = "liuhen.portal.error_pages.server_error"
