"""ASGI entry point: ``uvicorn app:app``. Configuration comes from CONSULT_* variables."""

from consult.web.app import create_app

app = create_app()
