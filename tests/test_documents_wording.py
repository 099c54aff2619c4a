"""Documents an office signs without touching them: wording from the pack, 落款 and 版记, dates,
what ``docs`` says before it renders, settings in templates. Hand-built inputs, exact values."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from docx import Document

from mentor_xl.documents import docs_for_office, generate, get_kind, lint_template
from mentor_xl.documents.fmt import clause_label
from mentor_xl.documents.header import last_working_day, signature
from mentor_xl.documents.notices import (appointment_notice_contexts, assessment_notice_contexts,
                                         award_decision_contexts)
from mentor_xl.documents.preflight import preflight
from mentor_xl.documents.reminders import check_date, reminder_contexts
from mentor_xl.documents.titles import balanced_title, width
from mentor_xl.documents.wording import wording
from mentor_xl.office import Office
from mentor_xl.packs import load_pack
from mentor_xl.problems import FatalInputError
from tests.test_documents import frame, small_book, small_result

E, H = "\u3000", "\u2002"  # the full-width and the half-width space that pad the 落款


@pytest.fixture(scope="module")
def pack():
    return load_pack("bit-2022")


# --- pack wording ---------------------------------------------------------------------------
@pytest.mark.parametrize("policy, addressee", [
    ("bit-2022", "各书院、各学院等有关单位"), ("ustb-2022", "各单位"),
    ("lctc-2024", "各系（部）、各处室"), ("hfut-math", "学院各系（中心）、全体班主任（班导师）")])
def test_addressee_comes_from_the_pack(policy, addressee):
    p = load_pack(policy)
    book = small_book(settings={"制度": policy})
    (job,) = appointment_notice_contexts(book, p, year="2024-2025")
    assert job.context["主送机关"] == addressee == wording(p, "addressee")
    # an office's own 主送机关 in 设置 wins
    (job,) = appointment_notice_contexts(small_book(settings={"主送机关": "各学院："}), p, year="2024-2025")
    assert job.context["主送机关"] == "各学院"


def test_clause_labels_in_chinese_form():
    assert clause_label("四") == "第四条"
    assert clause_label("四.1") == "第四条第1项"
    assert clause_label("五.(五)") == "第五条第（五）款"
    assert clause_label("二(三)2.4)") == "第二条第（三）款第2.4项"
    assert clause_label("四(一)3") == "第四条第（一）款第3项"
    assert clause_label("工作记录表") == "工作记录表"  # not a numbered clause: as written
    assert clause_label("三", ("章", "节", "目")) == "第三章"


def test_titles_break_between_words_and_never_leave_one_character():
    t = balanced_title(["关于公布", "2024-2025学年", "本科生导师、班主任、辅导员", "考核结果的通知"])
    assert t == "关于公布2024-2025学年\n本科生导师、班主任、辅导员\n考核结果的通知"
    one = balanced_title(["2024-2025学年", "本科生导师、班主任、辅导员", "名单"])
    assert all(len(line) > 1 for line in one.split("\n"))
    assert "本科生导师" in one.replace("\n", "|").split("|")[0] + one  # never 本科生|导师
    for line in one.split("\n"):
        assert width(line) <= 19.5
    assert balanced_title("关于聘任2024-2025学年学育导师的通知") == "关于聘任2024-2025学年学育导师的通知"


# --- 落款 -------------------------------------------------------------------------------------
def test_signature_without_seal_signer_longer_than_date():
    s = signature("北京理工大学学生工作部", dt.date(2024, 9, 1))  # 11 characters, the date 6
    # signer right-indented 2: starts at 28 − 2 − 11 = 15; date two characters further right
    assert s["落款署名"] == E * 15 + "北京理工大学学生工作部"
    assert s["落款日期"] == E * 17 + "2024年9月1日"


def test_signature_without_seal_date_longer_than_signer():
    s = signature("北京科技大学", dt.date(2024, 12, 20))  # 6 characters, the date 7 (8 digits)
    # the date is right-indented 2 (starts at 28 − 2 − 7 = 19), the signer 2 to its left
    assert s["落款日期"] == E * 19 + "2024年12月20日"
    assert s["落款署名"] == E * 17 + "北京科技大学"
    s = signature("北京科技大学", dt.date(2024, 9, 1))  # the date 6: still not 2 shorter than the signer
    assert (s["落款署名"], s["落款日期"]) == (E * 18 + "北京科技大学", E * 20 + "2024年9月1日")


def test_signature_with_seal_leaves_four_characters_and_centres_the_signer():
    s = signature("北京理工大学学生工作部", dt.date(2024, 9, 1), seal=True)
    # date right-indented 4: 28 − 4 − 6 = 18; signer centred over it: 18 + (6 − 11) / 2 = 15.5
    assert s["落款日期"] == E * 18 + "2024年9月1日"
    assert s["落款署名"] == E * 15 + H + "北京理工大学学生工作部"


def test_seal_option_renders_the_seal_space(tmp_path, pack):
    book = small_book()
    plain = appointment_notice_contexts(book, pack, year="2024-2025")
    sealed = appointment_notice_contexts(book, pack, year="2024-2025", seal=True)
    a = generate("appointment-notice", plain, tmp_path / "a", progress=False, workers=1)[0]
    b = generate("appointment-notice", sealed, tmp_path / "b", progress=False, workers=1)[0]
    texts_a = [p.text for p in Document(a).paragraphs]
    texts_b = [p.text for p in Document(b).paragraphs]
    ia = next(i for i, t in enumerate(texts_a) if t.endswith("示例大学学生工作部"))
    ib = next(i for i, t in enumerate(texts_b) if t.endswith("示例大学学生工作部"))
    assert texts_a[ia - 2].startswith("附件") and texts_a[ia - 1] == ""  # one blank line
    assert texts_b[ib - 4].startswith("附件") and texts_b[ib - 3:ib] == ["", "", ""]  # three: the seal


# --- 版记 and the 发文字号 ----------------------------------------------------------------------
def test_colophon_from_settings(tmp_path, pack):
    book = small_book(settings={"抄送": "校党委办公室，校长办公室。", "印发机关": "示例大学学生工作部办公室"})
    jobs = appointment_notice_contexts(book, pack, year="2024-2025", date="2024-09-03")
    c = jobs[0].context
    assert (c["抄送"], c["印发机关"], c["印发日期"]) == ("校党委办公室，校长办公室", "示例大学学生工作部办公室",
                                                 "2024年9月3日")
    path = generate("appointment-notice", jobs, tmp_path, progress=False, workers=1)[0]
    texts = [p.text for p in Document(path).paragraphs]
    assert texts[-2] == "抄送：校党委办公室，校长办公室"
    assert texts[-1] == "示例大学学生工作部办公室\t2024年9月3日印发"
    # without 抄送 only the 印发 line, ruled above and below
    (bare,) = appointment_notice_contexts(small_book(), pack, year="2024-2025", date="2024-09-03")
    path = generate("appointment-notice", [bare], tmp_path / "bare", progress=False, workers=1)[0]
    doc = Document(path)
    assert not any(p.text.startswith("抄送") for p in doc.paragraphs)
    last = doc.paragraphs[-1]._p.pPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}pBdr")
    assert last is not None and len(last) == 2  # top and bottom rules


def _problem():
    from mentor_xl.problems import Problem
    return Problem("活动记录", 7, "日期", "2024-13-01", "日期“2024-13-01”无法识别")


def _office(book, pack) -> Office:
    return Office(book, pack)


def test_missing_doc_number_is_warned_and_refused_with_strict(tmp_path, pack):
    book = small_book(settings={"文号": None, "抄送": "校长办公室", "印发机关": "学工部办公室", "单位名称": "示例大学"})
    book.settings.pop("文号")
    office = _office(book, pack)
    said = preflight(office, get_kind("appointment-notice"))
    assert any(m.startswith("提示：设置表缺少“文号”：“聘任通知”的发文字号将空着") for m in said)
    with pytest.raises(FatalInputError, match="文号"):
        preflight(office, get_kind("appointment-notice"), strict=True)
    # forms need no 发文字号
    assert not any("设置表" in m for m in preflight(office, get_kind("work-record")))
    said = []
    docs_for_office(office, "appointment-notice", tmp_path, year="2024-2025", progress=False, workers=1,
                    notify=said.append)
    assert any("文号" in m for m in said)
    with pytest.raises(FatalInputError):
        docs_for_office(office, "appointment-notice", tmp_path / "strict", year="2024-2025", progress=False,
                        strict=True)
    assert not (tmp_path / "strict").exists()  # refused before anything was rendered


def test_data_problems_and_missing_settings_are_said_first(pack):
    book = small_book()
    before = len(_office(book, pack).all_problems())  # the roster's 秘书: a role the pack does not know
    book.problems.items.insert(0, _problem())
    said = preflight(_office(book, pack), get_kind("appointment-notice"))
    assert said[0].startswith(f"数据问题：工作簿有 {before + 1} 个数据问题（错误 1 个）")
    assert said[1] == "  [活动记录第7行“日期”列] 日期“2024-13-01”无法识别"
    assert "提示：设置表未填写“抄送”，版记不写抄送。" in said
    assert "提示：设置表未填写“单位名称”，正文用发文机关的名称。" in said
    mismatch = small_book(settings={"单位名称": "示例学院"})
    said = preflight(_office(mismatch, pack), get_kind("appointment-notice"))
    assert "提示：设置表“单位名称”为“示例学院”，与制度所属单位“北京理工大学”不一致，请核对。" in said


# --- every 设置 row reaches the templates ----------------------------------------------------
def test_an_offices_own_setting_needs_no_code(tmp_path, pack):
    from tests.test_templates_lint import office_template
    book = small_book(settings={"联系人": "王老师，电话 68910000"})
    jobs = reminder_contexts(small_result(book), book, pack, date="2024-12-01")
    tpl = office_template(tmp_path / "我们的提醒.docx", "{{ 姓名 }}老师：", "如有疑问请联系{{ 联系人 }}。")
    assert lint_template(tpl, "reminder") != []  # alone, 联系人 is unknown …
    assert lint_template(tpl, "reminder", extra=set(jobs[0].context)) == []  # … 设置 defines it
    path = generate("reminder", jobs, tmp_path / "out", template=tpl, progress=False, workers=1)[0]
    assert "如有疑问请联系王老师，电话 68910000。" in [p.text for p in Document(path).paragraphs]


# --- the results notice --------------------------------------------------------------------------
def test_assessment_notice_scores_and_deciding_reasons(pack):
    book = small_book(["张三", "李四", "王五"])
    a = {"year": "2024-2025", "results": [
        {"staff_id": "T001", "score": 92.4, "tier": "优秀", "reasons": ["得分 92.40 ≥ 90 → 优秀（五.(五)）"]},
        {"staff_id": "T002", "score": 92.46, "tier": "不合格", "vetoed": True,
         "reasons": ["得分 92.46 = …", "组织考核一票否决（年度内发生师德失范行为） → 不合格（五.(五)）"]},
        {"staff_id": "T003", "score": 88, "tier": "待定",
         "reasons": ["导师业绩通过", "学生评价无法评定，结果待定（五）"]}]}
    (job,) = assessment_notice_contexts(a, book, pack)
    rows = {r["姓名"]: r for r in job.context["考核结果"]}
    assert [rows[n]["得分"] for n in ("张三", "李四", "王五")] == ["92.40", "92.46", "88.00"]
    assert rows["张三"]["备注"] == ""
    assert rows["李四"]["备注"] == "一票否决（注1）"
    assert rows["王五"]["备注"] == "见注2"
    assert job.context["表注"] == [{"编号": 1, "内容": "组织考核一票否决（年度内发生师德失范行为）"},
                                  {"编号": 2, "内容": "学生评价无法评定，结果待定（五）"}]
    assert job.context["整改等次"] == "基本合格、不合格" and job.context["整改单位"] == "书院协同学院"
    assert job.context["得分列名"] == "得分"


def test_pass_fail_scheme_shows_parts_passed():
    p = load_pack("lctc-2024")
    book = small_book(["张三"], settings={"制度": "lctc-2024"})
    book.staff.loc[book.staff["工号"] == "T001", "角色"] = "班级导师"
    a = {"term": "2024-2025-1", "results": [{"staff_id": "T001", "score": None, "tier": "不合格",
                                             "reasons": ["班级量化未通过 → 不合格（五）"],
                                             "parts": [{"status": "pass"}, {"status": "pass"}, {"status": "fail"}]}]}
    (job,) = assessment_notice_contexts(a, book, p)
    assert job.context["得分列名"] == "通过部分" and job.context["考核结果"][0]["得分"] == "2/3"
    assert job.context["考核方法"] == "经导师业绩、学生评价和班级量化情况三部分考核"


# --- 表彰决定 and 聘任通知 -------------------------------------------------------------------------
def test_award_title_from_its_awards_and_distinct_recipients():
    p = load_pack("ustb-2022")
    book = small_book(["张三", "李四"], settings={"制度": "ustb-2022"})
    aw = {"year": "2024-2025", "total_yuan": 17000, "totals": [
        {"award": "本科生十佳导师", "count": 1}, {"award": "十佳辅导员", "count": 1},
        {"award": "优秀学生工作者", "count": 1}, {"award": "学院学生工作专项", "count": 1}], "awards": [
        {"award": "本科生十佳导师", "staff_id": "T001", "college": None, "amount_yuan": 10000, "status": "ok"},
        {"award": "十佳辅导员", "staff_id": "T002", "college": None, "amount_yuan": 0, "status": "ok"},
        {"award": "优秀学生工作者", "staff_id": "T001", "college": None, "amount_yuan": 2000, "status": "ok"},
        {"award": "学院学生工作专项", "staff_id": None, "college": "物理学院", "amount_yuan": 3000, "status": "ok"}]}
    (job,) = award_decision_contexts(aw, book, p)
    c = job.context
    assert c["标题"] == "关于表彰2024-2025学年优秀本科生导师、\n辅导员和先进学院的决定"
    assert (c["获奖人数"], c["获奖单位数"], c["表彰对象"]) == (2, 1, "2名同志和1个学院")
    assert len(c["获奖名单"]) == 4


def test_appointment_lists_new_eligible_appointments_only(pack):
    book = small_book(["张三", "李四", "王五"])
    st = book.staff
    st.loc[st["工号"] == "T003", "聘任开始"] = pd.Timestamp("2021-09-01")  # serving since 2021: not new
    elig = {"results": [{"staff_id": "T002", "name": "李四", "eligible": False, "conclusion": "不符合",
                         "reasons": ["不符合中级及以上职称（职称“助教”属初级）（三）"]}]}
    (job,) = appointment_notice_contexts(book, pack, year="2024-2025", eligibility=elig)
    assert [r["姓名"] for r in job.context["聘任名单"]] == ["张三"]
    assert job.context["聘任人数"] == 1 and job.context["多角色"] is False
    assert job.meta["warnings"] == ["聘任通知：人员表中 T002 李四 本期新聘，但资格审查为不符合任职条件"
                                    "（不符合中级及以上职称（职称“助教”属初级）（三）），未列入聘任名单。"]
    # bit's 聘期 is four years: an open end is filled in
    st.loc[st["工号"] == "T001", "聘任结束"] = pd.NaT
    (job,) = appointment_notice_contexts(book, pack, year="2024-2025")
    assert job.context["聘任名单"][0]["聘期"] == "2024.9—2028.8"


# --- dates ----------------------------------------------------------------------------------------
def test_last_working_day_skips_weekends_and_the_holiday_sheet():
    hol = frame("假期", [{"开始日期": "2024-09-30", "结束日期": "2024-10-07", "名称": "国庆节"}])
    assert last_working_day("2024-09-01", "2024-09-30") == dt.date(2024, 9, 30)  # a Monday
    assert last_working_day("2024-09-01", "2024-09-30", hol) == dt.date(2024, 9, 27)
    assert last_working_day("2024-11-01", "2024-11-30") == dt.date(2024, 11, 29)  # the 30th is a Saturday


def test_work_records_are_dated_in_their_month(pack):
    from mentor_xl.documents.forms import work_record_contexts
    book = small_book()
    jobs = work_record_contexts(book, pack, term="2024-2025-1")
    dates = {j.meta["month"]: j.context["填表日期"] for j in jobs if j.meta["staff_id"] == "T001"}
    assert dates == {"2024-09": "2024年9月30日", "2024-10": "2024年10月31日", "2024-11": "2024年11月29日",
                     "2024-12": "2024年12月31日", "2025-01": "2025年1月17日"}  # January: the term's last day
    told = work_record_contexts(book, pack, term="2024-2025-1", date="2025-01-20")
    assert {j.context["填表日期"] for j in told} == {"2025年1月20日"}


def test_reminder_check_date_is_no_later_than_the_term(pack):
    book = small_book()
    result = small_result(book)  # the term ends 2025-01-17 (a Friday), long before today
    assert check_date(result, {}) == dt.date(2025, 1, 17)
    (job,) = reminder_contexts(result, book, pack)
    assert job.context["核查日期"] == "2025年1月17日" and job.context["整改期限"] == "2025年1月31日"
    assert check_date(result, {}, date="2024-12-02") == dt.date(2024, 12, 2)


def test_term_summary_is_signed_by_the_mentor(tmp_path, pack):
    from mentor_xl.documents.summaries import term_summary_contexts
    book = small_book()
    jobs = term_summary_contexts(small_result(book), book, pack)
    assert jobs[0].context["成文日期"] == "2025年1月17日"
    path = generate("term-summary", jobs[:1], tmp_path, progress=False, workers=1)[0]
    texts = [p.text.strip(E) for p in Document(path).paragraphs]
    assert texts[-2:] == ["本人签名：", "2025年1月17日"]
    assert "示例大学学生工作部" not in texts


# --- the compact 整改提醒 ----------------------------------------------------------------------------
def test_reminder_merges_subjects_with_the_same_misses(pack):
    book = small_book()
    res = small_result(book)
    extra = res.results.iloc[[0]].copy()
    extra["student_id"] = "S2"
    res.results = pd.concat([res.results, extra], ignore_index=True)
    (job,) = reminder_contexts(res, book, pack, date="2024-12-01")
    (item,) = job.context["未达标项目"]
    assert item["未达标情况"] == "学生学生甲（S1）、学生学生乙（S2）：10月、11月各差1次"
    assert item["条款"] == "第四条第1项" and job.context["未达标条数"] == 1


def test_init_lists_every_document_setting_with_its_note(tmp_path):
    """An office finds 文号, 抄送 … in its 设置 sheet, each with a 说明; blank until filled in."""
    import openpyxl
    from mentor_xl.workbook.blank import write_blank_book
    from mentor_xl.documents.preflight import NOTICE_SETTINGS
    path = tmp_path / "空白.xlsx"
    write_blank_book(path, load_pack("bit-2022"))
    ws = openpyxl.load_workbook(path)["设置"]
    rows = {r[0]: (r[1], r[2]) for r in ws.iter_rows(values_only=True) if r and r[0]}
    for key in ("文号", "发文字号前缀", "发文机关标志", "主送机关", "成文日期", "整改期限", *NOTICE_SETTINGS):
        assert key in rows, key
        assert rows[key][1], key  # a 说明
    assert rows["文号"][0] is None and "学工〔2024〕12号" in rows["文号"][1]
