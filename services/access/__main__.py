"""`python -m services.access`: serve access."""

from services.access.app import create_app
from services.access.settings import AccessSettings
from services.serve import serve

if __name__ == "__main__":
    settings = AccessSettings()
    serve(create_app(settings), settings)
