"""`python -m services.retention`: serve retention."""

from services.retention.app import create_app
from services.retention.settings import RetentionSettings
from services.serve import serve

if __name__ == "__main__":
    settings = RetentionSettings()
    serve(create_app(settings), settings)
