"""Organisation pages."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from liuhen.org import selectors


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "org/overview.html", {"users": selectors.users_visible_to(request.user)})
