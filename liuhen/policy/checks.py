"""Django system check: every policy profile must load (runs with ``manage.py check``, ``migrate``, ``runserver``).

A broken profile stops start-up with the file, the field path and what is wrong.
"""

from __future__ import annotations

from typing import Any

from django.core import checks

from liuhen.policy.loader import registry


@checks.register("liuhen_policy")
def check_policy_profiles(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    result = registry()
    messages: list[checks.CheckMessage] = [checks.Warning(w, id="policy.W001") for w in result.warnings]
    messages += [
        checks.Error(str(issue), hint="运行 manage.py policy_check 查看全部问题", id="policy.E001")
        for issue in result.issues
    ]
    return messages
