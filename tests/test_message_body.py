"""Opening a message: its body and attachments come from Graph once, sanitized, remote
images blocked until asked for, and only for the users who may read that mailbox.
Checked against the emulator over real HTTPS, and over RPC and HTTP as real users."""

import base64
import re

from lxml import etree
from lxml import html as lxml_html

from odoo.tests import new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import DEMO_EMAIL, MaildeskEmulatorCase, user_password
from .hostile_html import HOSTILE_BODIES, TRACKER

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML_FILE = b"<html><body><script>alert(document.cookie)</script></body></html>"

FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "frame",
    "frameset",
    "applet",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "isindex",
    "svg",
    "math",
    "base",
    "meta",
    "link",
    "style",
    "video",
    "audio",
    "source",
    "bgsound",
    "portal",
    "template",
    "noscript",
    "image",
    "foreignobject",
    "animate",
}
FORBIDDEN_ATTRIBUTES = {
    "srcdoc",
    "formaction",
    "action",
    "background",
    "poster",
    "srcset",
    "xlink:href",
    "id",
    "name",
    "class",
}
LINK_SCHEMES = ("http://", "https://", "mailto:", "tel:", "#")


def b64(data):
    return base64.b64encode(data).decode()


@tagged("post_install", "-at_install")
class TestMessageBody(MaildeskEmulatorCase):
    def setUp(self):
        super().setUp()
        self.authorize()
        self.inbox = self.inbox_folder()
        self.bob = new_test_user(self.env, "md_bob", groups="maildesk.group_maildesk_user")

    def deliver(self, body, subject="Hello", body_type="html", attachments=()):
        """Mail arrives in Outlook; the sync engine's row for it is created by hand."""
        delivered = self.control(
            "POST",
            f"/mailboxes/{DEMO_EMAIL}/messages",
            {
                "subject": subject,
                "from": "sender@example.com",
                "body": body,
                "body_type": body_type,
                "attachments": list(attachments),
            },
        )
        return (
            self.env["maildesk.message"]
            .sudo()
            .create(
                {
                    "account_id": self.account.id,
                    "folder_id": self.inbox.id,
                    "remote_id": delivered["id"],
                    "subject": subject,
                    "has_attachments": delivered.get("hasAttachments", False),
                }
            )
            .with_user(self.owner)
        )

    def graph_requests(self):
        log = self.control("GET", "/requests")
        return log["total"], log["by_endpoint"]

    def clear_requests(self):
        self.control("DELETE", "/requests")

    def call_kw(self, login, model, method, args, kwargs=None):
        """JSON-RPC, as the web client calls a model method, logged in as `login`."""
        self.authenticate(login, user_password(login))
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/{model}/{method}",
            {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": kwargs or {},
            },
        )

    def assertHarmless(self, markup, allow_remote_images=False):
        doc = lxml_html.fragment_fromstring(str(markup), create_parent="div")
        self.assertIn("SAFE", doc.text_content())
        self.assertNotIn(TRACKER, markup)
        self.assertNotIn("tracker.example", markup)
        for element in doc.iter(etree.Element):
            tag = element.tag.lower()
            self.assertNotIn(tag, FORBIDDEN_TAGS)
            self.assertNotIn(":", tag)
            for name, value in element.attrib.items():
                name = name.lower()
                self.assertFalse(name.startswith("on"), f"<{tag} {name}>")
                self.assertNotIn(name, FORBIDDEN_ATTRIBUTES, f"<{tag} {name}>")
                if name in ("href", "src"):
                    cleaned = re.sub(r"[\x00-\x20]", "", value).lower()
                    self.assertFalse(
                        cleaned.startswith(("javascript:", "data:", "vbscript:")),
                        f"<{tag} {name}={value}>",
                    )
            href = element.get("href")
            if href is not None:
                self.assertTrue(href.startswith(LINK_SCHEMES), f"<{tag} href={href}>")
            src = element.get("src")
            if src is not None:
                allowed = ("/maildesk/attachment/",)
                if allow_remote_images:
                    allowed += ("https://", "http://")
                self.assertTrue(src.startswith(allowed), f"<{tag} src={src}>")
            style = (element.get("style") or "").lower()
            for trick in ("expression", "position", "behavior", "binding", "import", "\\"):
                self.assertNotIn(trick, style, f"<{tag} style={style}>")
            for url in re.findall(r"url\(\s*['\"]?([^'\")]*)", style):
                self.assertTrue(
                    allow_remote_images and url.startswith("https://"), f"<{tag} style={style}>"
                )

    def test_first_open_fetches_body_and_attachment_list_once(self):
        message = self.deliver(
            '<p>Hello <b>world</b></p><img src="cid:logo@maildesk" alt="logo">',
            attachments=[
                {"name": "offer.pdf", "content_type": "application/pdf", "content_b64": b64(PDF)},
                {
                    "name": "logo.png",
                    "content_type": "image/png",
                    "content_b64": b64(PNG),
                    "inline": True,
                    "content_id": "logo@maildesk",
                },
            ],
        )
        self.assertFalse(message.body_loaded)
        self.clear_requests()

        body = message.read_body()

        self.assertIn("<b>world</b>", body)
        self.assertTrue(message.body_loaded)
        self.assertEqual(message.body, body)
        _total, endpoints = self.graph_requests()
        self.assertEqual(endpoints.get("GET /v1.0/me/messages/{id}"), 1, endpoints)
        self.assertEqual(endpoints.get("GET /v1.0/me/messages/{id}/attachments"), 1, endpoints)
        files = {a.name: a for a in message.attachment_ids}
        self.assertEqual(set(files), {"offer.pdf", "logo.png"})
        self.assertEqual(files["offer.pdf"].content_type, "application/pdf")
        self.assertEqual(files["offer.pdf"].size, len(PDF))
        self.assertFalse(files["offer.pdf"].is_inline)
        self.assertTrue(files["logo.png"].is_inline)
        self.assertEqual(files["logo.png"].content_id, "logo@maildesk")
        self.assertFalse(files["offer.pdf"].ir_attachment_id, "bytes come on demand only")
        self.assertIn(f'src="/maildesk/attachment/{files["logo.png"].id}"', body)

        self.clear_requests()
        self.assertEqual(message.read_body(), body)
        self.assertEqual(message.read_body(allow_remote_images=True), body)
        self.assertEqual(self.graph_requests()[0], 0, "a loaded body makes no Graph request")

    def test_mail_without_attachments_costs_one_request(self):
        message = self.deliver("Plain text\nsecond line", body_type="text")
        self.clear_requests()
        body = message.read_body()
        self.assertIn("Plain text", body)
        self.assertIn("second line", body)
        self.assertEqual(self.graph_requests()[0], 1)
        self.assertFalse(message.attachment_ids)

    def test_hostile_mail_comes_back_harmless(self):
        messages = {name: self.deliver(html, subject=name) for name, html in HOSTILE_BODIES.items()}
        for name, message in messages.items():
            with self.subTest(vector=name):
                self.assertHarmless(message.read_body())
                self.assertHarmless(
                    message.read_body(allow_remote_images=True), allow_remote_images=True
                )
        # The stored copy, readable over RPC like any field, is the blocked one.
        for name, message in messages.items():
            with self.subTest(vector=name, stored=True):
                self.assertHarmless(message.body)

    def test_normal_formatting_survives(self):
        message = self.deliver("""
            <html><head><style>p { margin: 0 }</style></head><body>
            <h2 style="color:#1f497d">Quarterly report</h2>
            <p style="font-family:Calibri,sans-serif; font-size:11pt">Dear <b>Ann</b>, <i>see</i>
               <u>below</u> and <a href="https://contoso.example/report?id=7">the report</a>.</p>
            <table border="1" cellpadding="4" style="border-collapse:collapse">
              <tr bgcolor="#dddddd"><th>Region</th><th style="text-align:right">Total</th></tr>
              <tr><td style="color:#ff0000; background-color:#ffeeee">North</td><td>12</td></tr>
            </table>
            <ul><li>one</li><li>two</li></ul><blockquote>quoted</blockquote>
            <a href="mailto:ann@contoso.example">mail Ann</a></body></html>
        """)
        body = message.read_body()
        doc = lxml_html.fragment_fromstring(str(body), create_parent="div")
        self.assertEqual(len(doc.xpath("//table//tr")), 2)
        self.assertEqual(len(doc.xpath("//li")), 2)
        self.assertTrue(doc.xpath("//blockquote[text()='quoted']"))
        self.assertIn("color:#1f497d", doc.xpath("//h2")[0].get("style"))
        self.assertIn("font-size:11pt", doc.xpath("//p")[0].get("style"))
        cell = doc.xpath("//td")[0].get("style")
        self.assertIn("color:#ff0000", cell)
        self.assertIn("background-color:#ffeeee", cell)
        self.assertIn("background-color:#dddddd", doc.xpath("//tr")[0].get("style"))
        self.assertEqual(doc.xpath("//table")[0].get("cellpadding"), "4")
        link = doc.xpath("//a[text()='the report']")[0]
        self.assertEqual(link.get("href"), "https://contoso.example/report?id=7")
        self.assertEqual(link.get("target"), "_blank")
        self.assertIn("noopener", link.get("rel"))
        self.assertTrue(doc.xpath("//a[@href='mailto:ann@contoso.example']"))
        self.assertTrue(doc.xpath("//b[text()='Ann']"))

    def test_remote_images_wait_for_the_user(self):
        message = self.deliver(
            '<p>News</p><img src="https://cdn.example/hero.png" alt="hero">'
            f'<img src="{TRACKER}" width="1" height="1" alt="">'
            '<div style="background-image:url(https://cdn.example/bg.png); color:#333">x</div>'
        )
        blocked = message.read_body()
        doc = lxml_html.fragment_fromstring(str(blocked), create_parent="div")
        [image] = doc.xpath("//img")
        self.assertIsNone(image.get("src"))
        self.assertEqual(image.get("alt"), "hero")
        self.assertNotIn("url(", doc.xpath(".//div")[0].get("style"))
        self.assertTrue(message.has_blocked_images)

        self.clear_requests()
        shown = message.read_body(allow_remote_images=True)
        doc = lxml_html.fragment_fromstring(str(shown), create_parent="div")
        self.assertEqual(
            [img.get("src") for img in doc.xpath("//img")],
            ["https://cdn.example/hero.png"],
            "the tracking pixel never loads",
        )
        self.assertIn("url(https://cdn.example/bg.png)", doc.xpath(".//div")[0].get("style"))
        self.assertEqual(self.graph_requests()[0], 0)
        self.assertEqual(message.read_body(), blocked, "showing images once changes nothing stored")

    def test_files_are_served_once_downloaded_with_safe_headers(self):
        message = self.deliver(
            '<p>Files</p><img src="cid:logo@maildesk">',
            attachments=[
                {"name": "offer.pdf", "content_type": "application/pdf", "content_b64": b64(PDF)},
                {
                    "name": "logo.png",
                    "content_type": "application/octet-stream",
                    "content_b64": b64(PNG),
                    "inline": True,
                    "content_id": "<logo@maildesk>",
                },
                {"name": "page.html", "content_type": "text/html", "content_b64": b64(HTML_FILE)},
                {"name": "fake.png", "content_type": "text/html", "content_b64": b64(HTML_FILE)},
            ],
        )
        message.read_body()
        files = {a.name: a for a in message.attachment_ids}
        self.authenticate("md_owner", "md_ownerx")
        self.clear_requests()

        logo = self.url_open(files["logo.png"].download_url)
        self.assertEqual(logo.status_code, 200)
        self.assertEqual(logo.content, PNG)
        self.assertEqual(logo.headers["Content-Type"], "image/png")
        self.assertTrue(logo.headers["Content-Disposition"].startswith("inline"))
        self.assertEqual(logo.headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(
            self.graph_requests()[1].get("GET /v1.0/me/messages/{id}/attachments/{id}/$value"), 1
        )
        self.assertTrue(files["logo.png"].ir_attachment_id)

        self.clear_requests()
        self.assertEqual(self.url_open(files["logo.png"].download_url).content, PNG)
        self.assertEqual(self.graph_requests()[0], 0, "kept after the first download")

        pdf = self.url_open(files["offer.pdf"].download_url)
        self.assertEqual(pdf.content, PDF)
        self.assertEqual(pdf.headers["Content-Type"], "application/pdf")
        self.assertTrue(pdf.headers["Content-Disposition"].startswith("inline"))
        saved = self.url_open(files["offer.pdf"].download_url + "?download=1")
        self.assertTrue(saved.headers["Content-Disposition"].startswith("attachment"))

        for name in ("page.html", "fake.png"):
            with self.subTest(file=name):
                page = self.url_open(files[name].download_url)
                self.assertEqual(page.content, HTML_FILE)
                self.assertTrue(page.headers["Content-Disposition"].startswith("attachment"))
                self.assertEqual(page.headers["X-Content-Type-Options"], "nosniff")
                self.assertIn("sandbox", page.headers["Content-Security-Policy"])
                self.assertIn("default-src 'none'", page.headers["Content-Security-Policy"])

    def test_another_user_reads_no_body_and_no_file(self):
        message = self.deliver(
            "<p>Confidential offer</p>",
            attachments=[
                {"name": "offer.pdf", "content_type": "application/pdf", "content_b64": b64(PDF)},
            ],
        )
        message.read_body()
        attachment = message.attachment_ids
        self.authenticate("md_owner", "md_ownerx")
        self.assertEqual(self.url_open(attachment.download_url).status_code, 200)
        stored = attachment.sudo().ir_attachment_id
        self.assertTrue(stored)

        for login, groups in (("md_bob", None), ("md_carol", "base.group_user")):
            if groups:
                new_test_user(self.env, login, groups=groups)
            with self.subTest(user=login):
                for method, args, kwargs in (
                    ("read_body", [[message.id]], {}),
                    ("read", [[message.id], ["body"]], {}),
                ):
                    with self.assertRaises(JsonRpcException) as caught:
                        self.call_kw(login, "maildesk.message", method, args, kwargs)
                    self.assertEqual(caught.exception.code, 200)
                    self.assertEqual(caught.exception.args[0], "odoo.exceptions.AccessError")
                if login == "md_bob":
                    found = self.call_kw(
                        login,
                        "maildesk.message.attachment",
                        "search_read",
                        [[]],
                        {"fields": ["name"]},
                    )
                    self.assertEqual(found, [])
                with self.assertRaises(JsonRpcException):
                    self.call_kw(login, "ir.attachment", "read", [[stored.id], ["raw"]])
                for url in (
                    attachment.download_url,
                    f"/web/content/{stored.id}",
                    f"/web/content/maildesk.message.attachment/{attachment.id}/content",
                    f"/web/content/ir.attachment/{stored.id}/datas",
                ):
                    response = self.url_open(url)
                    self.assertIn(response.status_code, (403, 404), url)
                    self.assertNotIn(PDF, response.content)

    def test_a_shared_mailbox_opens_for_the_users_it_is_shared_with(self):
        message = self.deliver(
            "<p>Team mail</p>",
            attachments=[
                {"name": "plan.pdf", "content_type": "application/pdf", "content_b64": b64(PDF)},
            ],
        )
        self.account.write({"is_shared": True, "access_user_ids": [(4, self.bob.id)]})

        body = self.call_kw("md_bob", "maildesk.message", "read_body", [[message.id]])
        self.assertIn("Team mail", body)
        [row] = self.call_kw(
            "md_bob",
            "maildesk.message.attachment",
            "search_read",
            [[("message_id", "=", message.id)]],
            {"fields": ["download_url"]},
        )
        download = self.url_open(row["download_url"])
        self.assertEqual(download.status_code, 200)
        self.assertEqual(download.content, PDF)

        # Reading is all a user does to a body: none may plant HTML for the others.
        with self.assertRaises(JsonRpcException) as caught:
            self.call_kw(
                "md_bob",
                "maildesk.message",
                "write",
                [[message.id], {"body": "<script>alert(1)</script>"}],
            )
        self.assertEqual(caught.exception.args[0], "odoo.exceptions.AccessError")
        self.assertNotIn("script", message.body)

        self.account.write({"access_user_ids": [(3, self.bob.id)]})
        self.assertEqual(self.url_open(row["download_url"]).status_code, 404)
        self.authenticate("md_owner", "md_ownerx")
        self.assertEqual(self.url_open(row["download_url"]).content, PDF)

    def test_downloaded_files_of_deleted_mail_are_cleaned_up(self):
        message = self.deliver(
            "<p>Bye</p>",
            attachments=[
                {"name": "old.pdf", "content_type": "application/pdf", "content_b64": b64(PDF)},
            ],
        )
        message.read_body()
        self.authenticate("md_owner", "md_ownerx")
        self.assertEqual(self.url_open(message.attachment_ids.download_url).content, PDF)
        stored = message.attachment_ids.sudo().ir_attachment_id
        # Deleting the folder or account cascades in the database, past the ORM.
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM maildesk_message WHERE id = %s", [message.id])
        self.env.invalidate_all()

        self.env["maildesk.message.attachment"]._gc_orphan_downloads()

        self.assertFalse(stored.exists())
