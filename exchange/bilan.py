"""The bilan document (bilan annuel) for the housing conference, and each landlord's own figures.

:func:`territory_figures` and :func:`landlord_figures` give the JSON data (``exchange stats``'s, or a
landlord's slice of it: its attributions, its flows, its CALEOL's decisions, small counts masked as
DOMAIN.md §5 asks); :func:`bilan_tables` reads them as tables; :func:`bilan_bytes` writes them as a
PDF (fpdf2, with matplotlib charts), an Excel workbook (openpyxl) or a CSV file, all in French.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from exchange import attributions, glossary, records, wording
from exchange import bilan_tables as tables_module
from exchange.bilan_tables import MASKED, Table, cell, mask
from exchange.stats import compute_stats

if TYPE_CHECKING:
    from fpdf import FPDF

__all__ = [
    "BILAN_FORMATS",
    "bilan_bytes",
    "bilan_tables",
    "landlord_figures",
    "pdf_document",
    "territory_figures",
]

BILAN_FORMATS = ("pdf", "xlsx", "csv")
_LANDLORD_DIMENSIONS = ("commune", "typology", "qpv", "year")


def territory_figures(session: Session, code: str, *, year: int | None) -> dict[str, Any]:
    """The territory's figures of ``year`` as JSON data (exactly ``exchange stats --format json``)."""
    return compute_stats(session, code, year=year).to_dict()


def landlord_figures(session: Session, code: str, landlord: str, *, year: int | None) -> dict[str, Any]:
    """Landlord ``landlord``'s own figures: aggregates only, counts from 1 to 4 masked (DOMAIN.md §5)."""
    stats = compute_stats(session, code, year=year)
    territory = records.territory(session, code)
    rows = [
        a
        for a in attributions.load_attributions(session, territory.id, year, stats.first_quartile_eur)
        if a.landlord == landlord
    ]
    flows = {s: {d: n for d, n in row.items() if landlord in (s, d)} for s, row in stats.flows.items()}
    data: dict[str, Any] = {
        "territory": code,
        "year": year,
        "landlord": landlord,
        "per_landlord": {landlord: stats.per_landlord.get(landlord, {})},
        "flows": {s: row for s, row in flows.items() if row},
        "first_quartile_eur": stats.first_quartile_eur,
        "attributions_by": {d: attributions.breakdown(rows, d) for d in _LANDLORD_DIMENSIONS},
        "moves_by_motive": dict(sorted(Counter(m for a in rows for m in a.motives).items())),
        "mixity": attributions.mixity(rows, stats.first_quartile_eur),
        "priority_shares": attributions.priority_shares(rows),
        "mutation_share": {landlord: stats.mutation_share.get(landlord, {"mutations": 0})},
        "wait_by_typology_days": attributions.waits_by_typology(rows),
    }
    masked: dict[str, Any] = _masked(data)
    return masked


def _masked(value: Any) -> Any:
    """Small counts masked everywhere; a share beside a masked count is masked too."""
    if isinstance(value, dict):
        inner = {k: _masked(v) for k, v in value.items()}
        if any(v == MASKED for v in inner.values()):
            inner = {k: MASKED if k.endswith("_pct") and v is not None else v for k, v in inner.items()}
        return inner
    if isinstance(value, float) or isinstance(value, str) or value is None:
        return value
    return mask(value)


def _core_tables(data: Mapping[str, Any]) -> list[Table]:
    """The tables of ``exchange stats``'s first sections, when the data carry them."""
    found: list[Table] = []

    def pairs(title: str, key: str, values: Mapping[str, Any] | None = None) -> None:
        values = data.get(key) if values is None else values
        if values:
            rows = tuple((glossary.statistic_label(k), v) for k, v in values.items())
            found.append(Table(title, ("Indicateur", "Valeur"), rows))

    if "open_requests" in data:
        pairs(
            "Demandes ouvertes aujourd'hui, par critère",
            "",
            {"total": data["open_requests"], **data["open_requests_by_criterion"]},
        )
        pairs("Demandes déposées sur la période", "", {"filed": data["requests_filed"]})
        pairs("Propositions", "", {**data["proposals"], **data["proposals_by_kind"]})
        pairs("Propositions réparées après un échec", "repairs")
        pairs("Causes d'échec", "failures")
        pairs("Réponses des ménages", "", {**data["answers"], "silences": data["silences"]})
        pairs("Motifs de refus", "refusal_reasons")
        pairs("Première proposition faite à un ménage", "first_proposals")
        pairs("Délai de la demande à la première proposition (jours)", "delay_request_to_first_proposal_days")
        pairs(
            "Décisions de CALEOL", "", {**data["decisions_by_kind"], "hors délai": data["decisions_overdue"]}
        )
        pairs(
            "Déménagements effectués par critère résolu",
            "",
            {"total": data["moves_completed"], **data["moves_by_criterion_solved"]},
        )
        pairs("Déménagements et QPV", "qpv")
        pairs("Délai de la demande au déménagement (jours)", "delay_request_to_move_days")
    flows = data.get("flows") or {}
    codes = sorted(set(flows) | {d for row in flows.values() for d in row})
    if codes:
        rows = tuple((s, *(flows.get(s, {}).get(d, 0) for d in codes)) for s in codes)
        found.append(Table("Flux entre bailleurs (départ → arrivée)", ("Départ", *codes), rows))
    per_landlord = data.get("per_landlord") or {}
    keys = sorted({k for e in per_landlord.values() for k in e})
    if keys:
        rows = tuple((c, *(e.get(k, 0) for k in keys)) for c, e in per_landlord.items())
        found.append(Table("Par bailleur", ("Bailleur", *(glossary.statistic_label(k) for k in keys)), rows))
    return found


def bilan_tables(data: Mapping[str, Any]) -> list[Table]:
    """Every table of the bilan document, in reading order."""
    return _core_tables(data) + tables_module.bilan_tables(data)


def _title(data: Mapping[str, Any]) -> str:
    period = "toutes années" if data.get("year") is None else str(data["year"])
    who = f"bailleur {data['landlord']}, " if data.get("landlord") else ""
    return f"Bilan de la bourse d'échange — {data['territory']}, {who}{period}"


def bilan_bytes(data: Mapping[str, Any], fmt: str, *, today: date | None = None) -> bytes:
    """The bilan of ``data`` as a ``pdf``, ``xlsx`` or ``csv`` file."""
    if fmt == "csv":
        return _csv(data)
    if fmt == "xlsx":
        return _xlsx(data)
    if fmt == "pdf":
        return _pdf(data, today or date.today())
    raise ValueError(f"fmt: one of {BILAN_FORMATS}, got {fmt!r}")


def _csv(data: Mapping[str, Any]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["tableau", "ligne", "colonne", "valeur"])
    for table in bilan_tables(data):
        for row in table.rows:
            for header, value in zip(table.header[1:], row[1:], strict=True):
                writer.writerow([table.title, row[0], header, "" if value is None else value])
    return out.getvalue().encode("utf-8")


def _xlsx(data: Mapping[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Bilan"
    sheet.append([_title(data)])
    sheet["A1"].font = Font(bold=True, size=14)
    for table in bilan_tables(data):
        sheet.append([])
        sheet.append([table.title])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        sheet.append(list(table.header))
        for row in table.rows:
            sheet.append(["" if v is None else v for v in row])
    sheet.column_dimensions["A"].width = 48
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _font_path() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def _chart(table: Table) -> bytes:
    """A horizontal bar chart of a two-column table (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    labels = [str(r[0]) for r in table.rows]
    values = [r[1] if isinstance(r[1], int | float) else 0 for r in table.rows]
    fig = Figure(figsize=(7, 0.35 * len(labels) + 1.2))
    ax = fig.subplots()
    ax.barh(labels, values, color="#000091")
    ax.invert_yaxis()
    ax.set_title(table.title, fontsize=10)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=110)
    return out.getvalue()


_CHARTED = ("Propositions", "Motifs de refus", "Décisions de CALEOL", "Attributions par commune")


def pdf_document(title: str, pdf: FPDF | None = None) -> FPDF:
    """An A4 French PDF with the DejaVu fonts (regular « DejaVu » and bold « DejaVu », ``B``): every
    accent, « », the euro sign and the narrow no-break spaces of :mod:`exchange.wording` print.

    ``pdf``: an instance of an FPDF subclass (e.g. with a footer) to set up instead of a plain one.
    """
    from fpdf import FPDF

    pdf = pdf if pdf is not None else FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_lang("fr")
    pdf.add_font("DejaVu", "", str(_font_path()))
    pdf.add_font("DejaVu", "B", str(_font_path().with_name("DejaVuSans-Bold.ttf")))
    return pdf


def _pdf(data: Mapping[str, Any], today: date) -> bytes:
    pdf = pdf_document(_title(data))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 8, _title(data), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(
        0,
        5,
        f"Édité le {wording.long_date(today)}. Agrégats seulement, sans donnée personnelle.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for table in bilan_tables(data):
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 11)
        pdf.multi_cell(0, 6, table.title, new_x="LMARGIN", new_y="NEXT")
        columns = len(table.header) - 1
        pdf.set_font("DejaVu", "", 8 if columns < 6 else 6)
        first = 110.0 if columns == 1 else max(35.0, 190.0 - 24.0 * columns)
        rest = (190.0 - first) / columns
        with pdf.table(col_widths=(first, *([rest] * (len(table.header) - 1))), width=190) as grid:
            grid.row([str(h) for h in table.header])
            for row in table.rows:
                grid.row([str(row[0]), *(cell(v) for v in row[1:])])
        if table.title in _CHARTED and len(table.header) == 2 and table.rows:
            pdf.image(io.BytesIO(_chart(table)), w=150)
    return bytes(pdf.output())
