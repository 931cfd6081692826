from . import oauth
from . import attachments
