"""The policy page and API show each agency's own rules to its officers (issue 2, item 6)."""

from __future__ import annotations

import pytest

from liuhen.org.rules import Role

PROFILES = {
    "naiman-culture": {"av_min": "不少于6个月", "upload": None},
    "changzhi-ethnic-religious": {"av_min": "不少于2年", "upload": "2个工作日"},
    "dongxihu-culture": {"av_min": "不少于3个月", "upload": "2个工作日"},
}


@pytest.mark.clause("store-av-retention-min", "av-matter-list")
@pytest.mark.parametrize("profile_id", sorted(PROFILES))
def test_policy_page__officer_sees_own_agency_numbers(client, make_agency, make_user, profile_id):
    agency = make_agency(code=profile_id[:10], profile_id=profile_id)
    officer = make_user(agency, Role.OFFICER)
    client.force_login(officer)
    html = client.get("/policy/").content.decode()
    expected = PROFILES[profile_id]
    assert expected["av_min"] in html
    others = {v["av_min"] for k, v in PROFILES.items() if k != profile_id}
    assert not any(o in html for o in others)
    row = html.split('data-testid="deadline-av_upload"')[1].split("</tr>")[0]
    assert (expected["upload"] or "未规定") in row
    assert "必须" in html or "建议" in html or "可选" in html


@pytest.mark.clause("av-notify-party", "time-av-upload-after-return")
def test_policy_page__xigang_notice_and_dongxihu_after_return(client, make_agency, make_user):
    xigang = make_agency(code="xigang", profile_id="xigang-culture")
    client.force_login(make_user(xigang, Role.OFFICER))
    html = client.get("/policy/").content.decode()
    assert "为保护您的合法权益，监督我们的执法行为，本次执法全程录音、录像" in html
    dongxihu = make_agency(code="dongxihu", profile_id="dongxihu-culture")
    client.force_login(make_user(dongxihu, Role.OFFICER))
    html = client.get("/policy/").content.decode()
    row = html.split('data-testid="deadline-av_upload_after_return"')[1].split("</tr>")[0]
    assert "1个工作日" in row and "time-av-upload-after-return" in row
    row = html.split('data-testid="deadline-filing_makeup"')[1].split("</tr>")[0]
    assert "2个工作日" in row
    assert "本机关制度未规定告知规范用语" in html


@pytest.mark.clause("src-filing-form-content")
def test_policy_page__filing_fields_per_agency(client, make_agency, make_user):
    cz = make_agency(code="changzhi", profile_id="changzhi-ethnic-religious")
    client.force_login(make_user(cz, Role.OFFICER))
    html = client.get("/policy/").content.decode()
    assert 'data-testid="filing-field-legal_basis"' in html
    assert '<span data-testid="filing-approver">行政执法科室负责人签署意见，报主要负责人批准</span>' in html
    dx = make_agency(code="dongxihu", profile_id="dongxihu-culture")
    client.force_login(make_user(dx, Role.OFFICER))
    assert 'data-testid="filing-field-legal_basis"' not in client.get("/policy/").content.decode()


def test_policy_page__refused_without_policy_read(client, make_agency, make_user):
    agency = make_agency(code="naiman", profile_id="naiman-culture")
    client.force_login(make_user(agency, Role.AUDIT_ADMIN))
    assert client.get("/policy/").status_code == 403


def test_policy_page__anonymous_goes_to_login(client, db):
    response = client.get("/policy/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_api_mine_and_by_id(client, make_agency, make_user):
    agency = make_agency(code="dongxihu", profile_id="dongxihu-culture")
    client.force_login(make_user(agency, Role.OFFICER))
    mine = client.get("/api/policy/mine").json()
    assert mine["id"] == "dongxihu-culture" and len(mine["sha256"]) == 64
    assert mine["profile"]["deadlines"]["av_upload_after_return"]["value"] == 1
    other = client.get("/api/policy/profiles/changzhi-ethnic-religious").json()
    av_min = other["profile"]["retention"]["av_stored_min"]
    assert (av_min["value"], av_min["unit"]) == (2, "years")
    missing = client.get("/api/policy/profiles/no-such")
    assert missing.status_code == 404 and missing.json()["code"] == "policy_profile_unknown"


def test_api__refused_without_policy_read(client, make_agency, make_user):
    agency = make_agency(code="dongxihu", profile_id="dongxihu-culture")
    client.force_login(make_user(agency, Role.AUDIT_ADMIN))
    response = client.get("/api/policy/mine")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


@pytest.mark.clause("src-filing-approval", "doc-internal-approval")
def test_policy_page__approvals_filing_stage_and_decision_clock(client, make_agency, make_user):
    cz = make_agency(code="changzhi", profile_id="changzhi-ethnic-religious")
    client.force_login(make_user(cz, Role.OFFICER))
    html = client.get("/policy/").content.decode()
    row = html.split('data-testid="stage-penalty-review_decision"')[1].split("</tr>")[0]
    assert "1. 科室负责人审批<br>2. 机关负责人审批" in row
    row = html.split('data-testid="stage-penalty-initiation"')[1].split("</tr>")[0]
    assert 'data-testid="filing-stage-badge">立案审批</span>' in row
    assert "1. 科室负责人审批<br>2. 机关负责人审批" in row  # from filing.approvers
    assert "立案（程序启动）审批在“程序启动”环节完成" in html.split('data-testid="filing-stage-inspection"')[1]
    row = html.split('data-testid="special-penalty-extension"')[1].split("</tr>")[0]
    assert "1. 机关负责人审批" in row
    row = html.split('data-testid="deadline-penalty_decision"')[1].split("</tr>")[0]
    assert "行政处罚决定期限" in row and "90日" in row and "第六十条" in row
    assert (
        "计时：行政处罚案件自立案审批通过起计算，至离开“审核决定”环节止；中止期间暂停计算，经批准延期的相应顺延" in row
    )

    dx = make_agency(code="dongxihu", profile_id="dongxihu-culture")
    client.force_login(make_user(dx, Role.OFFICER))
    html = client.get("/policy/").content.decode()
    row = html.split('data-testid="stage-penalty-decision"')[1].split("</tr>")[0]
    assert "1. 机关负责人审批" in row and "科室负责人审批" not in row
    row = html.split('data-testid="stage-penalty-filing"')[1].split("</tr>")[0]
    assert "立案审批</span>" in row and "1. 机关负责人审批" in row
    assert "本类别没有立案（程序启动）审批环节" in html.split('data-testid="filing-stage-inspection"')[1]
    row = html.split('data-testid="deadline-penalty_decision"')[1].split("</tr>")[0]
    assert "至离开“决定”环节止" in row
