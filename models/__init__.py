from . import maildesk_graph_service
from . import maildesk_account_oauth
from . import maildesk_account
from . import maildesk_account_token
from . import res_config_settings
from . import maildesk_mail_server_mixin
from . import fetchmail_server
from . import ir_mail_server
