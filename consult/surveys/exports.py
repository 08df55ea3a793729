"""Survey results as Excel (summary and every response) and CSV (summary, UTF-8 with BOM
so Excel on Windows opens the Chinese text correctly).

Text typed by residents never becomes a spreadsheet formula: a cell starting with
``= + - @`` gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from consult.i18n import N_, Msg, Translator
from consult.surveys import rules
from consult.surveys.models import Answer, Response
from consult.surveys.services import Results, SurveyForm
from consult.web.downloads import excel_csv, safe_cell

HEADER = [N_("No."), N_("Question"), N_("Answer"), N_("Count"), N_("Share")]


def _safe(value):
    return safe_cell(value) if isinstance(value, str) else value


def _label(label: str | Msg, t: Translator) -> str:
    return t(label) if isinstance(label, Msg) else label


def summary_rows(result: Results, t: Translator) -> list[list]:
    """The results page as rows: a heading block, then one row per answer of each question."""
    rows: list[list] = [
        [t(N_("Survey")), result.survey.title],
        [t(N_("Place")), result.place.name],
        [t(N_("Responses")), result.responses],
        [t(N_("of which on paper")), result.paper],
        [t(N_("Audience")), result.audience],
        [t(N_("Response rate")), rules.percent(result.response_rate)],
        [],
        [t(h) for h in HEADER],
    ]
    for number, q in enumerate(result.questions, start=1):
        text = q.question.text
        for row in q.rows:
            rows.append([number, text, _label(row.label, t), row.count, rules.percent(row.share)])
        if q.mean is not None:
            rows.append([number, text, t(N_("Average") if q.question.kind == "number" else N_("Mean")), q.answered, rules.two_decimals(q.mean)])
        if q.rate is not None:
            rows.append([number, text, t(N_("Satisfaction rate")), q.answered, rules.percent(q.rate)])
        if q.question.kind == "text":
            rows.append([number, text, t(N_("Written answers")), q.answered, ""])
    return [[_safe(v) for v in row] for row in rows]


def csv_bytes(result: Results, t: Translator) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(summary_rows(result, t))
    return excel_csv(out.getvalue())


def _answer_text(form: SurveyForm, answers: list[Answer], t: Translator) -> dict[int, str | int]:
    labels = {o.id: o.label for opts in form.options.values() for o in opts}
    kinds = {q.id: q.kind for q in form.questions}
    cells: dict[int, list] = {}
    for a in answers:
        kind = kinds.get(a.question_id)
        if a.option_id is not None:
            value = labels.get(a.option_id, "")
        elif kind == "satisfaction" and a.value is not None:
            value = t(rules.SATISFACTION_LEVELS.get(a.value, ""))
        elif a.value is not None:
            value = a.value
        else:
            value = a.text or ""
        cells.setdefault(a.question_id, []).append(value)
    return {qid: (vals[0] if len(vals) == 1 else "; ".join(str(v) for v in vals))
            for qid, vals in cells.items()}


def xlsx(result: Results, responses: list[tuple[Response, list[Answer]]], form: SurveyForm,
         t: Translator) -> bytes:
    book = Workbook()
    summary = book.active
    summary.title = t(N_("Summary"))[:31]
    for row in summary_rows(result, t):
        summary.append(row)
    for cell in summary[8]:
        cell.font = Font(bold=True)
    summary.column_dimensions["B"].width = 40
    summary.column_dimensions["C"].width = 24

    sheet = book.create_sheet(t(N_("Responses"))[:31])
    sheet.append([t(N_("No.")), t(N_("Channel")), t(N_("Paper form number")),
                  *[_safe(q.text) for q in form.questions]])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    channel = {"web": t(N_("Online")), "paper": t(N_("Paper"))}
    for number, (response, answers) in enumerate(responses, start=1):
        cells = _answer_text(form, answers, t)
        sheet.append([number, channel.get(response.channel, response.channel),
                      _safe(response.paper_serial or ""),
                      *[_safe(cells.get(q.id, "")) for q in form.questions]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
