import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { press, queryAllTexts } from "@odoo/hoot-dom";
import { advanceTime, animationFrame } from "@odoo/hoot-mock";
import { contains, mountWithCleanup } from "@web/../tests/web_test_helpers";
import { parseRecipients } from "@maildesk/mailbox/composer/addresses";
import { MailboxComposer } from "@maildesk/mailbox/composer/composer";
import { mockComposerServer } from "./composer_mock_server";

defineMailModels();
describe.current.tags("desktop");

const TO = ".o_maildesk_recipient_to";

async function mountComposer() {
    await mountWithCleanup(MailboxComposer, { props: { mode: "new", onClose: () => {} } });
}

test("typed text is split into addresses, valid or not", () => {
    expect(
        parseRecipients('ann@x.test, "Doe, Jane" <jane@y.test>; nonsense\nBob <bob@z.test>')
    ).toEqual([
        { name: "", address: "ann@x.test", valid: true },
        { name: "Doe, Jane", address: "jane@y.test", valid: true },
        { name: "", address: "nonsense", valid: false },
        { name: "Bob", address: "bob@z.test", valid: true },
    ]);
    expect(parseRecipients("a@b, c@d.e f")).toEqual([
        { name: "", address: "a@b", valid: false },
        { name: "", address: "c@d.e f", valid: false },
    ]);
});

test("Enter and comma turn typing into chips, invalid ones in red", async () => {
    mockComposerServer();
    await mountComposer();
    await contains(`${TO} input`).edit("ann@client.test");
    expect(`${TO} .o_maildesk_recipient_chip`).toHaveCount(1);
    expect(`${TO} .o_maildesk_recipient_chip`).not.toHaveClass("o_maildesk_recipient_invalid");
    expect(`${TO} input`).toHaveValue("");

    await contains(`${TO} input`).edit("not-an-address", { confirm: false });
    await press(",");
    await animationFrame();
    expect(queryAllTexts(`${TO} .o_maildesk_recipient_text`)).toEqual([
        "ann@client.test",
        "not-an-address",
    ]);
    expect(`${TO} .o_maildesk_recipient_chip:eq(1)`).toHaveClass("o_maildesk_recipient_invalid");

    // The same address twice stays one chip.
    await contains(`${TO} input`).edit("ANN@client.test");
    expect(`${TO} .o_maildesk_recipient_chip`).toHaveCount(2);

    // Leaving the field keeps what was typed.
    await contains(`${TO} input`).edit("carl@client.test", { confirm: "blur" });
    expect(`${TO} .o_maildesk_recipient_chip`).toHaveCount(3);
});

test("a pasted list becomes chips, an invalid chip goes back to the field", async () => {
    mockComposerServer();
    await mountComposer();
    await contains(`${TO} input`).edit("a@x.test, b@y, ", { confirm: false });
    expect(queryAllTexts(`${TO} .o_maildesk_recipient_text`)).toEqual(["a@x.test", "b@y"]);
    await contains(`${TO} .o_maildesk_recipient_invalid .o_maildesk_recipient_text`).click();
    expect(`${TO} .o_maildesk_recipient_chip`).toHaveCount(1);
    expect(`${TO} input`).toHaveValue("b@y");
    // Leaving the field for the remove button keeps the address being corrected.
    await contains(`${TO} .o_maildesk_recipient_remove`).click();
    expect(queryAllTexts(`${TO} .o_maildesk_recipient_text`)).toEqual(["b@y"]);
});

test("suggestions come from suggest_recipients and Enter picks the first", async () => {
    const calls = mockComposerServer({
        suggestions: [
            { name: "Ann Lee", address: "ann@client.test" },
            { name: "Annie Hall", address: "annie@film.test" },
        ],
    });
    await mountComposer();
    await contains(`${TO} input`).edit("ann", { confirm: false });
    await advanceTime(250);
    await animationFrame();
    expect(calls.filter((c) => c[0] === "suggest_recipients").map((c) => c[1])).toEqual([["ann"]]);
    expect(".o_maildesk_recipient_suggestions .dropdown-item").toHaveCount(2);
    await press("ArrowDown");
    await press("Enter");
    await animationFrame();
    expect(queryAllTexts(`${TO} .o_maildesk_recipient_text`)).toEqual(["Annie Hall"]);
    expect(".o_maildesk_recipient_suggestions").toHaveCount(0);

    await contains(`${TO} input`).edit("ann", { confirm: false });
    await advanceTime(250);
    await animationFrame();
    // Already chosen addresses are not suggested again.
    expect(".o_maildesk_recipient_suggestions .dropdown-item").toHaveCount(1);
    await contains(".o_maildesk_recipient_suggestions .dropdown-item").click();
    expect(queryAllTexts(`${TO} .o_maildesk_recipient_text`)).toEqual(["Annie Hall", "Ann Lee"]);
});
