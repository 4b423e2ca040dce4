"""`python -m services.portal`: serve the pages."""

from services.portal.app import create_app
from services.portal.settings import PortalSettings
from services.serve import serve

if __name__ == "__main__":
    settings = PortalSettings()
    serve(create_app(settings), settings)
