from . import maildesk_account
