"""Paper proposal letters (courriers de proposition): the PDF a landlord prints for a household that no
e-mail reaches (DOMAIN.md §4, the digital divide).

One letter is one or two A4 pages in French, from the landlord to its own tenant household: the
proposal's reference, the dwelling offered next to the current one (what the tenant's proposal page
shows), the kind of exchange and how many households it joins (never who they are, DOMAIN.md §5), the
answer deadline (R.441-10 CCH: the proposal's own, in words), how to answer, what happens next (visit,
each CALEOL's decision, one move date) and what a refusal or a silence does to the request (DOMAIN.md
§2.2, §2.5; the DALO warning of R.441-16-3 for a DALO household, §2.1).

:func:`letter_lines` gives the text (tested on its own), :func:`letters_pdf` prints one or many letters
in one PDF, each starting on a new page. The views come from :mod:`exchange.portal.letters`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from exchange import glossary, wording
from exchange.bilan import pdf_document

if TYPE_CHECKING:
    from fpdf import FPDF

    from exchange.portal.staff_views import ProposalLetter
    from exchange.portal.views import DwellingCard

__all__ = ["Block", "letter_filename", "letter_lines", "letters_pdf"]


@dataclass(frozen=True, slots=True)
class Block:
    """One block of a letter: ``kind`` is ``title``, ``heading``, ``text``, ``bullets`` or ``table``;
    ``lines`` its paragraphs, items or rows (a row's cells joined by tabs)."""

    kind: str
    lines: tuple[str, ...]


def _kind_sentence(letter: ProposalLetter) -> str:
    detail = letter.proposal
    n = len(detail.steps)
    if detail.kind == "chain":
        vacant = next((s.to_card.landlord for s in detail.steps if s.vacant_start), "")
        source = f" de {vacant}" if vacant else ""
        if n == 1:
            return f"Il s'agit d'un logement vacant{source}, proposé à votre seul ménage."
        return (
            f"Il s'agit d'une chaîne de {wording.count(n, 'ménage', 'ménages')} qui commence par un "
            f"logement vacant{source} : chaque ménage prend le logement libéré par un autre, le même jour."
        )
    return (
        f"Il s'agit d'un échange entre {wording.count(n, 'ménage', 'ménages')} : chacun prend le "
        "logement d'un autre ménage de l'échange, et tous déménagent le même jour."
    )


def _rows(current: DwellingCard, offered: DwellingCard) -> tuple[str, ...]:
    def qpv(card: DwellingCard) -> str:
        return "oui" if card.qpv else "non"

    pairs = (
        ("", "Votre logement actuel", "Logement proposé"),
        ("Commune", current.commune, offered.commune),
        ("Secteur", current.sector, offered.sector),
        ("Quartier prioritaire (QPV)", qpv(current), qpv(offered)),
        (
            "Type et surface",
            f"{current.typology}, {wording.number(current.surface_m2)} m²",
            f"{offered.typology}, {wording.number(offered.surface_m2)} m²",
        ),
        ("Étage, ascenseur et accès", current.floor_label, offered.floor_label),
        ("Loyer", wording.money(current.rent), wording.money(offered.rent)),
        ("Charges", wording.money(current.charges), wording.money(offered.charges)),
        ("Total par mois", wording.money(current.cost), wording.money(offered.cost)),
        ("Bailleur", current.landlord, offered.landlord),
    )
    return tuple("\t".join(row) for row in pairs)


def letter_lines(letter: ProposalLetter) -> list[Block]:
    """The letter's text, block by block, in reading order."""
    detail = letter.proposal
    mine = detail.mine
    deadline = f"{wording.long_date(detail.deadline)} à minuit"
    others = len(detail.steps) - 1
    vacant = next((s.vacant_start for s in detail.steps if s.is_me), False)
    blocks = [
        Block("title", (letter.landlord, f"Bourse d'échange de logements sociaux — {letter.territory}")),
        Block(
            "text",
            (
                f"Le {wording.long_date(letter.printed_on)}",
                f"À l'attention du ménage n° {letter.household_ref}\n"
                f"Logement n° {letter.dwelling_ref}, {mine.from_card.sector}, {mine.from_card.commune}",
                f"Référence : {letter.reference}",
                f"Objet : proposition de logement — réponse attendue au plus tard le {deadline}",
            ),
        ),
        Block(
            "text",
            (
                "Madame, Monsieur,",
                "Dans le cadre de votre demande de mutation, la bourse d'échange entre bailleurs sociaux "
                f"vous propose un logement. Cette proposition a été faite le "
                f"{wording.long_date(detail.notified_on)}. " + _kind_sentence(letter),
            )
            + (
                (
                    "Les autres ménages restent anonymes : leurs noms et coordonnées ne vous sont pas "
                    "communiqués, et les vôtres ne leur sont pas communiqués.",
                )
                if others
                else ()
            ),
        ),
        Block("heading", ("Le logement proposé",)),
        Block("table", _rows(mine.from_card, mine.to_card)),
    ]
    if mine.why:
        blocks.append(Block("heading", ("Pourquoi ce logement vous est proposé",)))
        blocks.append(
            Block("bullets", (*mine.why, f"Total : {wording.count(mine.points, 'point', 'points')}."))
        )
    reasons = ", ".join(
        label.split(" (")[0] for code, label in glossary.REFUSAL_REASONS.items() if code != "no_answer"
    )
    blocks += [
        Block("heading", ("Votre réponse",)),
        Block(
            "text",
            (
                f"Vous avez jusqu'au **{deadline}** pour accepter ou refuser ce logement (au moins dix "
                "jours à compter de la proposition, article R.441-10 du code de la construction et de "
                "l'habitation). Sans réponse à cette date, la proposition est considérée comme refusée.",
                "Pour répondre :",
            ),
        ),
        Block(
            "bullets",
            (
                f"à l'accueil de votre agence, {letter.landlord} ;",
                "par téléphone, en appelant votre agence ;",
                f"ou sur le portail de la bourse, {letter.portal_url.rstrip('/')}, rubrique « Mes "
                "propositions », si vous y avez un compte.",
            ),
        ),
        Block(
            "text",
            (
                f"Si vous refusez, dites-nous pourquoi ({reasons}) : votre motif aide à améliorer "
                "les propositions.",
            ),
        ),
        Block("heading", ("Et ensuite ?",)),
    ]
    if vacant:
        visit = (
            "Avant de répondre, vous pouvez visiter le logement proposé : il est vacant, la visite "
            f"s'organise avec son bailleur, {mine.to_card.landlord}."
        )
    else:
        visit = (
            "Avant de répondre, vous pouvez demander à visiter le logement proposé. Si le ménage qui "
            "l'occupe accepte la visite, vos coordonnées vous sont alors communiquées l'un à l'autre, "
            "et seulement à ce moment-là."
        )
    blocks.append(
        Block(
            "bullets",
            (
                visit,
                "Si tous les ménages acceptent, la commission d'attribution (CALEOL) du bailleur de chaque "
                "logement examine le déménagement qui le concerne : composition du ménage, ressources et "
                "loyer. Votre demande de logement social (numéro unique) doit être à jour, avec ses pièces "
                "justificatives.",
                "Si chaque logement est attribué, une date commune de déménagement est fixée avec vous, et "
                f"vous signez un nouveau bail avec {mine.to_card.landlord} au loyer indiqué ci-dessus.",
            ),
        )
    )
    refusal = (
        "Si vous refusez, ou si un autre ménage refuse, la proposition est abandonnée pour tous ses "
        "ménages. Ce logement ne vous sera plus proposé ; votre demande reste ouverte pour les "
        "prochaines propositions et refuser n'a pas d'autre conséquence sur elle."
        if others
        else "Si vous refusez, ce logement ne vous sera plus proposé ; votre demande reste ouverte pour "
        "les prochaines propositions et refuser n'a pas d'autre conséquence sur elle."
    )
    consequences = [refusal]
    if letter.pause_after_silences:
        times = wording.count(letter.pause_after_silences, "proposition", "propositions")
        consequences.append(
            "Une absence de réponse compte comme un refus. Après "
            f"{times} restée{'s' if letter.pause_after_silences > 1 else ''} sans réponse d'affilée, votre "
            "demande est mise en pause jusqu'à ce que vous la confirmiez auprès de votre agence ou sur le "
            "portail."
        )
    else:
        consequences.append("Une absence de réponse compte comme un refus.")
    if letter.dalo:
        consequences.append(
            "**Important** : votre ménage est reconnu prioritaire et devant être logé en urgence au titre "
            "du droit au logement opposable (DALO). Si vous refusez sans motif impérieux un logement adapté "
            "à vos besoins et à vos capacités, vous pouvez perdre le bénéfice de cette décision (article "
            "R.441-16-3 du code de la construction et de l'habitation)."
        )
    blocks += [
        Block("heading", ("Si vous refusez ou ne répondez pas",)),
        Block("text", tuple(consequences)),
        Block(
            "text",
            (
                "Nous restons à votre disposition pour toute question. Veuillez agréer, Madame, Monsieur, "
                "nos salutations distinguées.",
                ", ".join(x for x in (letter.contact, letter.landlord) if x),
            ),
        ),
    ]
    return blocks


def letter_filename(letters: Sequence[ProposalLetter]) -> str:
    """``courrier-proposition-12-H1.pdf`` for one letter, ``courriers-propositions-3.pdf`` for several."""
    if len(letters) == 1:
        only = letters[0]
        ref = "".join(c if c.isalnum() or c in "-_" else "_" for c in only.household_ref)
        return f"courrier-proposition-{only.proposal.id}-{ref}.pdf"
    return f"courriers-propositions-{len(letters)}.pdf"


_WIDTH = 170.0  # A4 less 20 mm margins


def _pdf_class() -> type[FPDF]:
    from fpdf import FPDF

    class LetterPDF(FPDF):
        """Each page's footer names its letter, so that a batch's pages can be sorted back."""

        footer_text = ""

        def footer(self) -> None:
            self.set_y(-14)
            self.set_font("DejaVu", "", 8)
            self.cell(0, 5, self.footer_text, align="C")

    return LetterPDF


def letters_pdf(letters: Sequence[ProposalLetter]) -> bytes:
    """One PDF of ``letters``, each starting on a new page (one or two pages each)."""
    if not letters:
        raise ValueError("letters: au moins un courrier")
    title = "Courrier de proposition" if len(letters) == 1 else "Courriers de proposition"
    pdf = pdf_document(f"{title} — {letters[0].landlord}", _pdf_class()(format="A4"))
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=20)
    for letter in letters:
        pdf.add_page()
        pdf.footer_text = (  # type: ignore[attr-defined]
            f"{letter.landlord} — {letter.reference} — édité le {wording.long_date(letter.printed_on)}"
        )
        for block in letter_lines(letter):
            _print_block(pdf, block)
    return bytes(pdf.output())


def _print_block(pdf: FPDF, block: Block) -> None:
    if block.kind == "title":
        pdf.set_font("DejaVu", "B", 14)
        pdf.multi_cell(_WIDTH, 7, block.lines[0], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        for line in block.lines[1:]:
            pdf.multi_cell(_WIDTH, 5, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    elif block.kind == "heading":
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 11)
        pdf.multi_cell(_WIDTH, 6, block.lines[0], new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    elif block.kind == "text":
        pdf.set_font("DejaVu", "", 10)
        for line in block.lines:
            pdf.multi_cell(_WIDTH, 5, line, markdown="**" in line, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    elif block.kind == "bullets":
        pdf.set_font("DejaVu", "", 10)
        for line in block.lines:
            pdf.set_x(pdf.l_margin + 4)
            pdf.multi_cell(_WIDTH - 4, 5, f"• {line}", markdown="**" in line, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        pdf.ln(1)
    elif block.kind == "table":
        pdf.set_font("DejaVu", "", 9)
        with pdf.table(col_widths=(50, 60, 60), width=_WIDTH, line_height=5) as grid:
            for row in block.lines:
                grid.row(row.split("\t"))
        pdf.ln(2)
    else:
        raise ValueError(f"block.kind: {block.kind!r}")
