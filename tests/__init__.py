from . import test_account_access
from . import test_account_tour
