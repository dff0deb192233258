"""``python -m web``: serve the portal with waitress, in French (what ``make demo`` runs).

Flask's development server greets in English and warns it is not for production; waitress is a
production WSGI server, so ``make demo`` shows one French line instead. A deployment behind a
proxy uses gunicorn or waitress with several workers (docs/DEPLOYMENT.md).
"""

from __future__ import annotations

import argparse
import logging
import sys

from waitress import create_server

from web import create_app


def main(argv: list[str] | None = None) -> int:
    """Serve ``web.create_app()`` on ``--host``/``--port`` until Ctrl+C."""
    parser = argparse.ArgumentParser(
        prog="python -m web", description="Servir le portail de la bourse d'échange."
    )
    parser.add_argument("--host", default="127.0.0.1", help="adresse d'écoute (127.0.0.1 par défaut)")
    parser.add_argument("--port", type=int, default=5000, help="port d'écoute (5000 par défaut ; 0 : libre)")
    parser.add_argument(
        "--threads", type=int, default=4, help="fils de traitement des requêtes (4 par défaut)"
    )
    args = parser.parse_args(argv)
    logging.getLogger("waitress").setLevel(logging.ERROR)  # its greeting is English; ours follows
    server = create_server(create_app(), host=args.host, port=args.port, threads=args.threads)
    print(
        f"Portail servi sur http://{args.host}:{server.effective_port}/ — Ctrl+C pour arrêter.",
        flush=True,
    )
    try:
        server.run()
    except KeyboardInterrupt:
        print("Portail arrêté.", flush=True)
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
