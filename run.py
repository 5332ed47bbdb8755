"""Serve the demo application: ``python run.py [--host H] [--port P]``."""

import argparse
import logging
from pathlib import Path

import fw
from fw import server
from fw.db.commands import install_missing

DEMO = Path(__file__).resolve().parent / "demo"


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the fw demo.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    app = fw.application(DEMO)
    install_missing(app)
    server.serve(app, args.host, args.port)


if __name__ == "__main__":
    main()
