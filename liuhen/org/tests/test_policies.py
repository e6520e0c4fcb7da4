"""The account policy (三员分立): the system administrator manages accounts, the security administrator
grants roles and issues tokens, neither does the other's part; another agency's user is not found."""

from __future__ import annotations

import pytest

from liuhen.core.errors import NotFound, PermissionDenied
from liuhen.org.policies import account_policy
from liuhen.org.rules import Role


def test_account_policy__each_administrator_their_own_part(make_agency, make_user):
    agency = make_agency("acct-pol", "dongxihu-culture")
    system = make_user(agency, Role.SYSTEM_ADMIN)
    security = make_user(agency, Role.SECURITY_ADMIN)
    officer = make_user(agency, Role.OFFICER)
    assert account_policy.user_can(system, "manage") and not account_policy.user_can(system, "assign_roles")
    assert account_policy.user_can(security, "assign_roles") and not account_policy.user_can(security, "manage")
    for action in ("view", "manage", "assign_roles"):
        refused = account_policy.refusal(officer, action)
        assert isinstance(refused, PermissionDenied) and "管理员" in refused.message
    assert set(account_policy.visible(system)) == {system, security, officer}
    assert list(account_policy.visible(officer)) == []


def test_account_policy__another_agencys_user_not_found(make_agency, make_user):
    system = make_user(make_agency("acct-a", "dongxihu-culture"), Role.SYSTEM_ADMIN)
    stranger = make_user(make_agency("acct-b", "dongxihu-culture"), Role.OFFICER)
    with pytest.raises(NotFound):
        account_policy.get(system, stranger.pk)
