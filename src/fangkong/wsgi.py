import os

from django.core.wsgi import get_wsgi_application

from fangkong.web.checks import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
require_secret_key()
application = get_wsgi_application()
