-- A copied database (staging, test) must never act on the production mailboxes.
DELETE FROM maildesk_account_token;
UPDATE maildesk_account
   SET state = 'draft',
       auth_failure_count = 0,
       last_error = 'Disconnected when this database was neutralized: authorize again.';
UPDATE fetchmail_server SET state = 'draft' WHERE server_type = 'maildesk_graph';
UPDATE ir_mail_server SET maildesk_confirmed = FALSE WHERE smtp_authentication = 'maildesk_graph';
