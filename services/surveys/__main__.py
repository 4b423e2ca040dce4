"""`python -m services.surveys`: serve surveys."""

from services.serve import serve
from services.surveys.app import create_app
from services.surveys.settings import SurveySettings

if __name__ == "__main__":
    settings = SurveySettings()
    serve(create_app(settings), settings)
