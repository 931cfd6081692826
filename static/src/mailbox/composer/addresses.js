// Deliberately looser than RFC 5322: it refuses what Outlook would bounce at once (no "@",
// spaces, no dot in the domain) and accepts the odd but valid rest (plus signs, subdomains).
const ADDRESS_RE = /^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+\.[^\s@<>(),;:"[\]]+$/;
const NAMED_RE = /^\s*"?([^"<]*?)"?\s*<([^<>]*)>\s*$/;

/**
 * @param {string} address
 * @returns {boolean}
 */
export function isValidAddress(address) {
    return ADDRESS_RE.test(address || "");
}

/**
 * One typed entry ("Ann <ann@x.com>", "ann@x.com", "nonsense") as a chip.
 *
 * @param {string} text
 * @returns {{name: string, address: string, valid: boolean} | null}
 */
export function parseRecipient(text) {
    const trimmed = (text || "").trim();
    if (!trimmed) {
        return null;
    }
    const named = trimmed.match(NAMED_RE);
    const name = named ? named[1].trim() : "";
    const address = (named ? named[2] : trimmed).trim();
    return { name, address, valid: isValidAddress(address) };
}

/**
 * Typed or pasted text ("a@x.com, Bob <b@y.com>; c@z.com") as chips. Commas inside a
 * quoted display name ("Doe, Jane" <jane@x.com>) do not split it.
 *
 * @param {string} text
 * @returns {{name: string, address: string, valid: boolean}[]}
 */
export function parseRecipients(text) {
    const parts = [];
    let current = "";
    let quoted = false;
    let angled = false;
    for (const char of text || "") {
        if (char === '"') {
            quoted = !quoted;
        } else if (char === "<") {
            angled = true;
        } else if (char === ">") {
            angled = false;
        }
        if (!quoted && !angled && (char === "," || char === ";" || char === "\n")) {
            parts.push(current);
            current = "";
        } else {
            current += char;
        }
    }
    parts.push(current);
    return parts.map(parseRecipient).filter(Boolean);
}

/**
 * @param {{name?: string, address: string}} recipient
 * @returns {string}
 */
export function formatRecipient({ name, address }) {
    return name && name !== address ? `${name} <${address}>` : address;
}
