from email.utils import formataddr

from markupsafe import Markup

from odoo import api, models, tools
from odoo.exceptions import AccessError, UserError

OPEN_RECORDS_PER_MODEL = 5
# Models that are MailDesk's own plumbing, or people rather than business records.
NOT_BUSINESS_RECORDS = (
    "res.partner",
    "res.users",
    "maildesk.",
    "mail.",
    "discuss.",
    "bus.",
    "ir.",
    "base.",
)
# A record in one of these states is finished: not shown among the contact's open ones.
CLOSED_STATE_WORDS = ("done", "cancel", "closed", "lost", "refused", "paid", "reversed")


class MaildeskMailbox(models.AbstractModel):
    """The Odoo side of a mail: its people as contacts, their open records, and the
    records the mail is logged on or was turned into."""

    _inherit = "maildesk.mailbox"

    @api.model
    def record_panel(self, message_id):
        """What the side panel shows beside a mail.

        :return: ``{"partners", "unknown", "records", "logged_on"}``
        """
        message = self._readable_message(message_id)
        people = self._people(message)
        partners = self._partners_by_address(people)
        known = {address for address, _partner in partners.items()}
        contacts = self.env["res.partner"].browse(
            list(dict.fromkeys(partner.id for partner in partners.values()))
        )
        return {
            "partners": [
                {
                    "id": partner.id,
                    "name": partner.name or "",
                    "email": partner.email or "",
                    "image_url": "/web/image/res.partner/%d/avatar_128" % partner.id,
                }
                for partner in contacts
            ],
            "unknown": [
                {"name": name, "address": address}
                for address, name in people.items()
                if address not in known
            ],
            "records": self._open_records(contacts),
            "logged_on": self._logged_on(message),
        }

    def _readable_message(self, message_id):
        message = self.env["maildesk.message"].browse(int(message_id)).exists()
        if not message:
            raise UserError(self.env._("This message is no longer in the mailbox."))
        message.check_access("read")
        return message

    def _people(self, message):
        """``{address: name}`` of the sender and the recipients, the mailbox left out."""
        own = (message.account_id.sudo().email or "").lower()
        people = {}
        if message.from_address:
            people[message.from_address.lower()] = message.from_name or ""
        for name, address in self._stored_addresses(message.to_recipients) + self._stored_addresses(
            message.cc_recipients
        ):
            if "@" in address and address != own:
                people.setdefault(address, name)
        people.pop(own, None)
        return people

    def _partners_by_address(self, people):
        if not people:
            return {}
        partners = self.env["res.partner"].search(
            [("email_normalized", "in", list(people))], order="id"
        )
        found = {}
        for partner in partners:
            found.setdefault(partner.email_normalized, partner)
        return found

    def _author(self, message):
        """The contact who sent ``message``, if there is one."""
        address = (message.from_address or "").lower()
        return self._partners_by_address({address: message.from_name}).get(address)

    def _business_models(self):
        """Installed models with a chatter and a contact field, that the user may read."""
        for name in sorted(self.env.registry):
            Model = self.env[name]
            if Model._abstract or Model._transient or name.startswith(NOT_BUSINESS_RECORDS):
                continue
            if not self._has_chatter(name):
                continue
            partner_field = Model._fields.get("partner_id")
            if (
                not partner_field
                or partner_field.type != "many2one"
                or partner_field.comodel_name != "res.partner"
                or not partner_field.store
            ):
                continue
            if Model.has_access("read"):
                yield Model

    def _open_records(self, contacts):
        """The contacts' open records, whatever apps are installed, newest first."""
        if not contacts:
            return []
        companies = contacts.commercial_partner_id | contacts
        records = []
        for Model in self._business_models():
            domain = [("partner_id", "child_of", companies.ids), *self._open_domain(Model)]
            found = Model.search(domain, limit=OPEN_RECORDS_PER_MODEL, order="id desc")
            description = self.env["ir.model"]._get(Model._name).name
            for record in found:
                records.append(
                    {
                        "model": Model._name,
                        "model_name": description,
                        "res_id": record.id,
                        "display_name": record.display_name,
                        "state": self._state_label(record),
                    }
                )
        return records

    @staticmethod
    def _open_domain(Model):
        """Unfinished records only, told apart by the fields most apps share."""
        domain = []
        fields_ = Model._fields
        for field_name in ("state", "payment_state"):
            field = fields_.get(field_name)
            if field and field.type == "selection" and field.store:
                values = [
                    value
                    for value, _label in field._description_selection(Model.env)
                    if any(word in value for word in CLOSED_STATE_WORDS)
                ]
                if values:
                    domain.append((field_name, "not in", values))
        if "is_closed" in fields_ and fields_["is_closed"].store:
            domain.append(("is_closed", "=", False))
        stage = fields_.get("stage_id")
        if stage and stage.type == "many2one" and "fold" in Model.env[stage.comodel_name]._fields:
            domain.append(("stage_id.fold", "=", False))
        return domain

    @staticmethod
    def _state_label(record):
        for field_name in ("stage_id", "state"):
            field = record._fields.get(field_name)
            if not field:
                continue
            if field.type == "many2one":
                return record[field_name].display_name or ""
            if field.type == "selection":
                return dict(field._description_selection(record.env)).get(record[field_name], "")
        return ""

    def _logged_on(self, message):
        """The records this mail was logged on (or created from) that the user may see."""
        logged = []
        for mail_message in message.sudo().logged_message_ids:
            record = (
                self.env[mail_message.model].browse(mail_message.res_id).exists()
                if mail_message.model in self.env
                else None
            )
            if record and record.has_access("read"):
                logged.append(
                    {
                        "model": record._name,
                        "res_id": record.id,
                        "display_name": record.display_name,
                    }
                )
        return logged

    @api.model
    def create_contact(self, message_id, address, name=""):
        """A contact for one of the mail's people (or the one that already exists)."""
        message = self._readable_message(message_id)
        address = tools.email_normalize(address or "")
        if not address or address not in self._people(message):
            raise UserError(self.env._("Pick an address of this mail to create a contact."))
        partner = self._partners_by_address({address: name}).get(address)
        if not partner:
            partner = self.env["res.partner"].create({"name": name or address, "email": address})
        return {"id": partner.id, "name": partner.name, "email": partner.email}

    @api.model
    def loggable_models(self):
        """Models whose records have a chatter the user may post on."""
        return [
            {"model": name, "name": self.env["ir.model"]._get(name).name}
            for name in sorted(self.env.registry)
            if self._has_chatter(name) and self.env[name].has_access("write")
        ]

    def _has_chatter(self, name):
        Model = self.env[name]
        return (
            not (Model._abstract or Model._transient)
            and issubclass(type(Model), self.env.registry["mail.thread"])
            and not name.startswith(("maildesk.", "mail.", "discuss.", "ir."))
        )

    @api.model
    def creatable_models(self):
        """Models that turn an incoming mail into a record (a lead, a task, a ticket…)."""
        generic = type(self.env["mail.thread"]).message_new
        return [
            {"model": name, "name": self.env["ir.model"]._get(name).name}
            for name in sorted(self.env.registry)
            if self._has_chatter(name)
            and not name.startswith(NOT_BUSINESS_RECORDS)
            and type(self.env[name]).message_new is not generic
            and self.env[name].has_access("create")
        ]

    @api.model
    def log_to_record(self, message_id, model, res_id):
        """Post the mail and its files in a record's chatter; remember where it went."""
        message = self._readable_message(message_id)
        record = self._chatter_record(model, res_id)
        posted = self._post_mail(message, record)
        return {
            "model": record._name,
            "res_id": record.id,
            "display_name": record.display_name,
            "message_id": posted.id,
        }

    @api.model
    def create_record_from_mail(self, message_id, model):
        """A new record made from the mail as the mail gateway would, the mail in its
        chatter."""
        message = self._readable_message(message_id)
        if model not in {entry["model"] for entry in self.creatable_models()}:
            raise UserError(self.env._("Records of this kind cannot be created from a mail."))
        body = message.read_body()
        author = self._author(message)
        sender = formataddr((message.from_name or "", message.from_address or ""))
        msg_dict = {
            "subject": message.subject or "",
            "from": sender,
            "email_from": sender,
            "to": message.to_recipients or "",
            "cc": message.cc_recipients or "",
            "author_id": author.id if author else False,
            "body": body,
            "message_id": message.internet_message_id or "",
            "date": message.received_date,
            "attachments": [],
        }
        created = self.env[model].message_new(msg_dict)
        record = self.env[model].browse(created if isinstance(created, int) else created.id)
        self._post_mail(message, record)
        return {"model": record._name, "res_id": record.id, "display_name": record.display_name}

    def _chatter_record(self, model, res_id):
        if model not in self.env or not self._has_chatter(model):
            raise UserError(self.env._("Mail can be logged only on records with a chatter."))
        record = self.env[model].browse(int(res_id)).exists()
        if not record:
            raise UserError(self.env._("That record no longer exists."))
        try:
            record.check_access("read")
            record.check_access(record._mail_post_access or "write")
        except AccessError as error:
            raise UserError(
                self.env._("You may not post on %(record)s.", record=record.display_name)
            ) from error
        return record

    def _post_mail(self, message, record):
        """The mail as an email in the record's chatter, as a note: logging notifies no
        follower."""
        body = message.read_body()
        attachments = [
            (attachment.name or "attachment", attachment._get_content())
            for attachment in message.attachment_ids
            if not attachment.is_inline
        ]
        author = self._author(message)
        header = Markup("<p><b>%s</b><br/>%s</p>") % (
            message.subject or self.env._("(no subject)"),
            self.env._(
                "From %(sender)s, to %(recipients)s",
                sender=formataddr((message.from_name or "", message.from_address or "")),
                recipients=message.to_recipients or "",
            ),
        )
        posted = record.message_post(
            body=header + body,
            subject=message.subject or False,
            message_type="email",
            subtype_xmlid="mail.mt_note",
            author_id=author.id if author else None,
            email_from=formataddr((message.from_name or "", message.from_address or "")),
            attachments=attachments,
        )
        message.sudo().logged_message_ids = [(4, posted.id)]
        return posted
