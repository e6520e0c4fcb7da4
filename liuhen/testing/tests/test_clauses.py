"""The clause-traceability plugin (liuhen/testing/clauses.py), run on small throwaway suites with pytester."""

from __future__ import annotations

import textwrap

import pytest

from liuhen.testing import clauses

CATALOGUE = """
clauses:
- id: av-keep
  rule: "音像记录资料应当保存不少于六个月。超过期限的可以删除。"
- id: av-keep-longer
  rule: "重大案件的音像记录应当永久保存；"
- id: doc-sign
  rule: "文书应当由执法人员签名 | 盖章。"
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A tiny project: its own catalogue, the plugin, no Django."""
    monkeypatch.delenv(clauses.WRITE_ENV, raising=False)
    pytester.makeini(
        """
        [pytest]
        clauses_file = shared/clauses.yaml
        addopts = -p no:django -p no:cacheprovider --strict-markers
        """
    )
    pytester.makeconftest('pytest_plugins = ["liuhen.testing.clauses"]')
    (pytester.path / "shared").mkdir()
    (pytester.path / "shared" / "clauses.yaml").write_text(CATALOGUE, encoding="utf-8")
    return pytester


MIXED = """
    import pytest

    @pytest.mark.clause("av-keep")
    def test_keeps():
        pass

    @pytest.mark.clause("av-keep-longer")
    def test_longer_fails():
        assert False

    @pytest.mark.clause("av-keep-longer", "doc-sign")
    def test_longer_passes():
        pass

    @pytest.mark.clause("doc-sign")
    @pytest.mark.skip(reason="no printer")
    def test_sign_skipped():
        pass

    def test_unmarked():
        pass
"""


def test_unknown_clause_id__fails_at_collection_naming_test_and_id(suite):
    suite.makepyfile(
        test_a="""
        import pytest

        @pytest.mark.clause("av-keep", "av-kept-typo")
        def test_typo():
            pass
        """
    )
    result = suite.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_a.py::test_typo: 未知条款 unknown clause id 'av-kept-typo'*"])
    result.assert_outcomes()  # nothing ran


def test_unknown_clause_id__fails_even_when_deselected(suite):
    suite.makepyfile(test_a=textwrap.dedent(MIXED) + '\n@pytest.mark.clause("nope")\ndef test_bad():\n    pass\n')
    result = suite.runpytest("-k", "keeps")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_a.py::test_bad: 未知条款 unknown clause id 'nope'*"])


def test_clause_marker_without_id__is_refused(suite):
    suite.makepyfile(test_a="import pytest\n\n@pytest.mark.clause()\ndef test_x():\n    pass\n")
    result = suite.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_a.py::test_x: @pytest.mark.clause() 没有给出条款 id*"])


def test_summary__counts_only_clauses_whose_tests_pass(suite):
    suite.makepyfile(test_a=MIXED)
    result = suite.runpytest()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "条款覆盖 clauses proven: 2/3 (by passing tests)",
            "clause-marked tests: 2 passed, 1 failed, 1 skipped",
        ]
    )
    # av-keep-longer has a failing test, so only av-keep and doc-sign (via test_longer_passes) are proven.
    assert result.stdout.lines[-1].startswith("=") and "1 failed, 3 passed, 1 skipped" in result.stdout.lines[-1]


def test_summary__failing_test_is_not_proof(suite):
    suite.makepyfile(
        test_a="""
        import pytest

        @pytest.mark.clause("av-keep")
        def test_fails():
            assert 1 == 2

        @pytest.mark.clause("doc-sign")
        @pytest.mark.xfail(reason="not built yet")
        def test_xfail():
            assert False

        @pytest.mark.clause("av-keep-longer")
        @pytest.mark.parametrize("n", [1, 2])
        def test_param(n):
            assert n == 1
        """
    )
    result = suite.runpytest()
    result.stdout.fnmatch_lines(
        ["条款覆盖 clauses proven: 0/3 (by passing tests)", "clause-marked tests: 1 passed, 2 failed, 1 skipped"]
    )


def test_summary__printed_before_pytests_final_line(suite):
    suite.makepyfile(test_a=MIXED.replace("assert False", "pass"))
    result = suite.runpytest()
    assert result.ret == pytest.ExitCode.OK
    lines = result.stdout.lines
    summary_at = next(i for i, line in enumerate(lines) if line.startswith("条款覆盖"))
    assert summary_at < len(lines) - 1
    assert "4 passed, 1 skipped" in lines[-1]


def test_missing_catalogue__clear_error(suite):
    (suite.path / "shared" / "clauses.yaml").unlink()
    suite.makepyfile(test_a=MIXED)
    result = suite.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*找不到条款清单 clause catalogue not found:*clauses.yaml*", "*regulations/clauses.yaml*"]
    )


def test_no_tests_collected__says_so_before_final_line(suite):
    suite.makepyfile(test_a="def helper():\n    pass\n")
    result = suite.runpytest()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(["没有收集到任何测试 no tests were collected (pytest exit code 5)*", "*no tests ran*"])


def _project_sources(suite: pytest.Pytester) -> None:
    pkg = suite.path / "liuhen" / "media"
    pkg.mkdir(parents=True)
    (pkg / "retention.py").write_text('"""AV retention (av-keep-longer)."""\n', encoding="utf-8")
    (pkg / "other.py").write_text('"""Mentions only av-keep-longerish and xav-keep."""\n', encoding="utf-8")
    (pkg / "tests").mkdir()
    (pkg / "tests" / "test_retention.py").write_text("# av-keep\n", encoding="utf-8")
    (suite.path / "policies").mkdir()
    (suite.path / "policies" / "xg.yaml").write_text(
        textwrap.dedent(
            """
            retention:
              av_min_months: {value: 6, clause: av-keep}
            documents:
              - {code: decision, clauses: [doc-sign, av-keep]}
            """
        ),
        encoding="utf-8",
    )


def test_traceability_file__written_on_whole_suite_deterministically(suite, monkeypatch):
    monkeypatch.setenv(clauses.WRITE_ENV, "1")
    _project_sources(suite)
    suite.makepyfile(test_a=MIXED)
    result = suite.runpytest()
    result.stdout.fnmatch_lines(["traceability written: docs/traceability.md"])
    output = suite.path / "docs" / "traceability.md"
    first = output.read_bytes()
    text = first.decode()
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| `")}
    assert list(rows) == ["`av-keep`", "`av-keep-longer`", "`doc-sign`"]
    assert "音像记录资料应当保存不少于六个月。 |" in rows["`av-keep`"]  # first sentence only
    assert "`test_a.py::test_keeps` ✅ 通过" in rows["`av-keep`"]
    assert "`policies/xg.yaml: documents[decision], retention.av_min_months`" in rows["`av-keep`"]
    assert "liuhen/media" not in rows["`av-keep`"]  # a longer id and test files are not implementations
    assert "`liuhen/media/retention.py`" in rows["`av-keep-longer`"]
    assert "| — |" in rows["`av-keep-longer`"]  # a failing test: not proven
    assert "`test_a.py::test_longer_fails` ❌ 失败" in rows["`av-keep-longer`"]
    assert "签名 \\| 盖章" in rows["`doc-sign`"]
    assert "⏭ 跳过" in rows["`doc-sign`"]
    assert "20" not in text.split("| 条款 id")[0]  # no timestamp in the header

    suite.runpytest()
    assert output.read_bytes() == first


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["-k", "keeps"], "-k given"),
        (["-m", "not slow"], "-m given"),
        (["test_a.py::test_keeps"], "single tests were given"),
        (["--collect-only"], "--collect-only"),
        (["-x"], "run stopped early"),
    ],
)
def test_traceability_file__not_written_for_a_subset(suite, monkeypatch, args, reason):
    monkeypatch.setenv(clauses.WRITE_ENV, "1")
    suite.makeini(
        """
        [pytest]
        clauses_file = shared/clauses.yaml
        addopts = -p no:django -p no:cacheprovider
        markers = slow
        """
    )
    suite.makepyfile(test_a=MIXED)
    result = suite.runpytest(*args)
    result.stdout.fnmatch_lines([f"traceability not written ({reason}; only a whole-suite run writes it)"])
    assert not (suite.path / "docs" / "traceability.md").exists()


def test_traceability_file__not_written_without_the_switch(suite):
    suite.makepyfile(test_a=MIXED)
    suite.runpytest()
    assert not (suite.path / "docs" / "traceability.md").exists()


def test_default_catalogue__is_settings_regulations_dir(settings, tmp_path):
    settings.REGULATIONS_DIR = tmp_path
    assert clauses.default_catalogue_path(tmp_path) == tmp_path / "clauses.yaml"


def test_default_catalogue__is_the_repository_copy(settings):
    from pathlib import Path

    path = clauses.default_catalogue_path(Path(settings.BASE_DIR))
    assert path == Path(settings.BASE_DIR) / "regulations" / "clauses.yaml" and path.is_file()


def test_short_rule__first_sentence_capped():
    assert clauses.short_rule("甲。乙。") == "甲。"
    assert clauses.short_rule("甲（乙；丙）丁；戊。") == "甲（乙；丙）丁；"
    assert clauses.short_rule("长" * 80, limit=10) == "长" * 9 + "…"
