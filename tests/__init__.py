from . import test_account_access
from . import test_account_oauth
from . import test_account_states_tour
from . import test_account_tour
from . import test_mail_servers
from . import test_setup_tour
