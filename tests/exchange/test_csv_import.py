"""CSV import: RPLS dwellings and the demand register's export, through a mapping file, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from exchange.cli import cli
from exchange.csv_import import CsvFile, InvalidCsv, import_csv
from exchange.csv_mapping import CsvMapping, parse_mapping
from exchange.db import get_engine
from exchange.errors import InvalidTerritory
from exchange.interchange import export_document

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
RPLS_HEADER = (
    "IDENT_REP;BAILLEUR;DEPCOM;QPV;NBPIECE;SURFHAB;ETAGE;ASCENSEUR;LOYERPRINC;CHARGES;LATITUDE;LONGITUDE"
)
GOOD_ROW = "D000201;OYAP;97302;non;T3;64,5;2;O;348,00;62;4,93;-52,33"


def _mapping() -> CsvMapping:
    return parse_mapping((FIXTURES / "rpls-mapping.json").read_bytes(), "rpls-mapping.json")


def _sample(name: str) -> CsvFile:
    return CsvFile(name, (FIXTURES / name).read_bytes())


def _rpls(*rows: str, header: str = RPLS_HEADER) -> CsvFile:
    return CsvFile("rpls.csv", "\n".join((header, *rows)).encode("utf-8"))


def _refused(session: Session, territory: str, **files: CsvFile) -> list[str]:
    """The error lines of an import that must be refused, after checking that it changed nothing."""
    before = export_document(session, territory)
    with pytest.raises(InvalidCsv) as caught:
        import_csv(session, territory, _mapping(), **files)
    assert export_document(session, territory) == before
    return caught.value.lines()


def test_the_sample_files_import_into_a_small_territory(session: Session, territory: str) -> None:
    demands = _sample("demandes-sample.csv")
    summary = import_csv(
        session,
        territory,
        _mapping(),
        dwellings=_sample("rpls-sample.csv"),
        households=demands,
        requests=demands,
    )
    assert summary.counts["dwellings"] == 6 and summary.counts["households"] == 6
    doc = export_document(session, territory)
    dwellings = {d["ref"]: d for d in doc["dwellings"]}
    assert dwellings["D000001"]["rent"] == 255.5  # replaced by its RPLS row
    assert dwellings["D000002"]["rent"] == 440.0  # absent from the file: kept
    assert {k: dwellings["D000101"][k] for k in ("sector", "rooms", "surface_m2", "floor", "elevator")} == {
        "sector": "CAY-01",
        "rooms": 3,
        "surface_m2": 64.5,
        "floor": 0,
        "elevator": False,
    }
    households = {h["ref"]: h for h in doc["households"]}
    assert households["H000101"]["members"] == [
        {"role": "head", "age": 44},
        {"role": "partner", "age": 41},
        {"role": "child", "age": 15},
        {"role": "child", "age": 12},
        {"role": "child", "age": 8},
    ]
    assert households["H000101"]["monthly_resources"] == 1920.0
    assert households["H000102"]["mobility"] == "reduced"
    assert households["H000103"]["priority"] == ["dalo", "violence"]
    requests = {r["household"]: r for r in doc["requests"]}
    assert requests["H000102"] == {
        "household": "H000102",
        "filed_on": "2024-01-15",
        "max_cost": 420.0,
        "communes": ["Cayenne"],
        "accept_qpv": False,
        "min_rooms": 2,
        "max_rooms": 3,
    }
    assert requests["H000001"]["max_cost"] == 550.0  # tiny.json's request, not in the file


def test_a_comma_separated_file_with_a_bom_and_a_toml_mapping(session: Session, territory: str) -> None:
    mapping = parse_mapping(
        """
        communes = {"97302" = "CAY-02"}
        [dwellings.columns]
        ref = "num"
        bailleur = "org"
        commune = "insee"
        rooms = "pieces"
        surface_m2 = "surface"
        floor = "etage"
        elevator = "lift"
        rent = "loyer"
        lat = "y"
        lon = "x"
        [dwellings.defaults]
        charges = 40.0
        """,
        "local.toml",
    )
    data = (
        "\ufeffnum,org,insee,pieces,surface,etage,lift,loyer,y,x\n"
        'D000301,SOLA,97302,F2,"47,5",1,non,"1 210,5",4.9,-52.3\n'
    )
    import_csv(session, territory, mapping, dwellings=CsvFile("local.csv", data.encode("utf-8")))
    (dwelling,) = [d for d in export_document(session, territory)["dwellings"] if d["ref"] == "D000301"]
    assert (
        dwelling["sector"],
        dwelling["rooms"],
        dwelling["surface_m2"],
        dwelling["rent"],
        dwelling["charges"],
    ) == (
        "CAY-02",
        2,
        47.5,
        1210.5,
        40.0,
    )


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param(
            [GOOD_ROW.replace("T3", "trois")],
            ["rpls.csv, ligne 2, colonne NBPIECE: nombre de pièces attendu (3 ou T3), reçu « trois »"],
            id="wrong-type",
        ),
        pytest.param(
            [GOOD_ROW, GOOD_ROW.replace("64,5", "64,5 m2").replace(";O;", ";peut-être;")],
            [
                "rpls.csv, ligne 3, colonne ASCENSEUR: oui ou non attendu (oui/non, O/N, 1/0),"
                " reçu « peut-être »",
                "rpls.csv, ligne 3, colonne IDENT_REP: D000201 en double (déjà ligne 2)",
                "rpls.csv, ligne 3, colonne SURFHAB: nombre attendu (64,5 ou 64.5), reçu « 64,5 m2 »",
            ],
            id="two-errors-and-a-duplicate",
        ),
        pytest.param(
            [GOOD_ROW.replace("97302", "97399")],
            [
                "rpls.csv, ligne 2, colonne DEPCOM: commune inconnue : 97399"
                " (absente de la table communes de la correspondance)"
            ],
            id="unknown-commune",
        ),
        pytest.param(
            [GOOD_ROW.replace(";non;", ";oui;")],
            [
                "rpls.csv, ligne 2, colonne DEPCOM: aucun secteur en QPV pour la commune 97302"
                " dans la correspondance"
            ],
            id="no-qpv-sector",
        ),
        pytest.param(
            [GOOD_ROW.replace("OYAP", "INCONNU").replace(";T3;", ";0;"), GOOD_ROW.replace("348,00", "")],
            [
                "rpls.csv, ligne 2, colonne BAILLEUR: bailleur inconnu : INCONNU",
                "rpls.csv, ligne 2, colonne NBPIECE: doit être compris entre 1 et 20",
                "rpls.csv, ligne 3, colonne IDENT_REP: D000201 en double (déjà ligne 2)",
                "rpls.csv, ligne 3, colonne LOYERPRINC: valeur manquante",
            ],
            id="schema-errors-by-column",
        ),
        pytest.param(
            [GOOD_ROW.replace("D000201", "D000202").replace("348,00", "")],
            ["rpls.csv, ligne 2, colonne LOYERPRINC: valeur manquante"],
            id="empty-required-cell",
        ),
        pytest.param(
            [GOOD_ROW + ";en trop"],
            ["rpls.csv, ligne 2: 13 cellules, l'en-tête en compte 12"],
            id="ragged-row",
        ),
    ],
)
def test_a_bad_rpls_file_is_refused_by_line_and_column(
    session: Session, territory: str, rows: list[str], expected: list[str]
) -> None:
    assert _refused(session, territory, dwellings=_rpls(*rows)) == expected


def test_a_missing_column_is_refused(session: Session, territory: str) -> None:
    header = RPLS_HEADER.replace("NBPIECE;", "")
    row = GOOD_ROW.replace("T3;", "")
    assert _refused(session, territory, dwellings=_rpls(row, header=header)) == [
        "rpls.csv, ligne 1: colonne absente : NBPIECE (champ rooms)"
    ]


def test_a_bad_demand_file_is_refused_and_changes_nothing(session: Session, territory: str) -> None:
    header = (FIXTURES / "demandes-sample.csv").read_text(encoding="utf-8").splitlines()[0]
    rows = [
        "H000101,D000001,44,41,15|douze,,1500,,,03/06/2025,520,97302,oui,T4,T5",
        "H000102,D000001,71,,,,1150,Marche,,31/02/2024,420,97302|97399,non,T3,T2",
        "H000101,D000002,30,,,,1200,,,03/06/2025,520,97302,oui,,",
    ]
    demands = CsvFile("demandes.csv", "\n".join((header, *rows)).encode("utf-8"))
    assert _refused(session, territory, households=demands, requests=demands) == [
        "demandes.csv, ligne 2, colonne AGES_ENFANTS: nombre entier attendu, reçu « douze »",
        "demandes.csv, ligne 2, colonne LOGEMENT_ACTUEL: logement D000001 déjà occupé par le ménage H000001",
        "demandes.csv, ligne 3, colonne COMMUNES_SOUHAITEES: commune inconnue : 97399"
        " (absente de la table communes ou de ses secteurs)",
        "demandes.csv, ligne 3, colonne DATE_DEPOT: date attendue (AAAA-MM-JJ ou JJ/MM/AAAA),"
        " reçu « 31/02/2024 »",
        "demandes.csv, ligne 3, colonne LOGEMENT_ACTUEL: logement D000001 déjà occupé par le ménage H000001",
        "demandes.csv, ligne 3, colonne MOBILITE: doit valoir l'une des valeurs : none, reduced, wheelchair",
        "demandes.csv, ligne 3, colonne TYPO_MAX: doit être >= min_rooms (3)",
        "demandes.csv, ligne 4, colonne REF_MENAGE: H000101 en double (déjà ligne 2)",
    ]


@pytest.mark.parametrize(
    ("mapping", "path"),
    [
        ({"dwellings": {"columns": {"pieces": "NBPIECE"}}}, "correspondance dwellings.columns.pieces"),
        ({"dwellings": {"columns": {"ref": "IDENT_REP"}}}, "correspondance dwellings.columns.rooms"),
        ({"logements": {}}, "correspondance logements"),
        ({"communes": {"97302": {"centre": "CAY-01"}}}, "correspondance communes.97302"),
        ({"list_separator": ";"}, "correspondance list_separator"),
    ],
)
def test_a_bad_mapping_is_refused_by_key(mapping: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidTerritory) as caught:
        parse_mapping(json.dumps(mapping))
    assert path in caught.value.messages


def test_cli_imports_the_samples_and_refuses_a_bad_file(fresh_db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["import", str(FIXTURES / "tiny.json")]).exit_code == 0
    mapping = ["--mapping", str(FIXTURES / "rpls-mapping.json")]
    bad = tmp_path / "rpls.csv"
    bad.write_text(f"{RPLS_HEADER}\n{GOOD_ROW.replace('97302', '97399')}\n", encoding="utf-8")
    result = runner.invoke(cli, ["import-csv", "CACL", "--dwellings", str(bad), *mapping])
    assert result.exit_code == 1
    assert "rpls.csv, ligne 2, colonne DEPCOM: commune inconnue : 97399" in result.output
    assert "CACL : import refusé, 1 erreur ; rien n'a été écrit." in result.output
    demands = str(FIXTURES / "demandes-sample.csv")
    args = ["--dwellings", str(FIXTURES / "rpls-sample.csv"), "--households", demands, "--requests", demands]
    result = runner.invoke(cli, ["import-csv", "CACL", *args, *mapping])
    assert result.exit_code == 0, result.output
    assert "Territoire CACL mis à jour : 2 bailleurs, 2 secteurs, 6 logements, 6 ménages" in result.output
    with Session(get_engine(fresh_db_url)) as session:
        assert len(export_document(session, "CACL")["requests"]) == 6
    result = runner.invoke(cli, ["import-csv", "CACL", *mapping])
    assert result.exit_code == 2 and "Indiquer au moins un fichier" in result.output
