import { Component, onMounted, onWillUnmount, onWillUpdateProps, useRef } from "@odoo/owl";

// No allow-scripts: the mail cannot run code. allow-same-origin only lets this page measure it.
export const SANDBOX = "allow-same-origin allow-popups allow-popups-to-escape-sandbox";

function buildDocument(body, allowRemoteImages) {
    const images = allowRemoteImages ? "img-src * data: blob:;" : "img-src data: blob: 'self';";
    return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; ${images} style-src 'unsafe-inline'; font-src data:;">
<base target="_blank">
<style>
html, body { margin: 0; padding: 0; }
body { font-family: -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 14px; color: #212529; overflow-wrap: anywhere; padding: 4px 2px; }
img { max-width: 100%; height: auto; }
blockquote { margin: 0 0 0 .8ex; border-left: 1px solid #ccc; padding-left: 1ex; }
pre { white-space: pre-wrap; }
</style></head><body>${body || ""}</body></html>`;
}

/** A message body, isolated in a sandboxed frame that grows to its content. */
export class MailboxMessageBody extends Component {
    static template = "maildesk.MailboxMessageBody";
    static props = {
        body: { type: String, optional: true },
        allowRemoteImages: { type: Boolean, optional: true },
    };

    setup() {
        this.frameRef = useRef("frame");
        onMounted(() => this.write(this.props));
        onWillUpdateProps((next) => {
            if (
                next.body !== this.props.body ||
                next.allowRemoteImages !== this.props.allowRemoteImages
            ) {
                this.write(next);
            }
        });
        onWillUnmount(() => this.resizeObserver?.disconnect());
    }

    write(props) {
        const frame = this.frameRef.el;
        frame.addEventListener("load", () => this.onLoad(), { once: true });
        frame.srcdoc = buildDocument(props.body, props.allowRemoteImages);
    }

    onLoad() {
        const frame = this.frameRef.el;
        const doc = frame?.contentDocument;
        if (!doc?.body) {
            return;
        }
        const fit = () => {
            frame.style.height = `${doc.documentElement.scrollHeight + 4}px`;
        };
        fit();
        this.resizeObserver?.disconnect();
        this.resizeObserver = new ResizeObserver(fit);
        this.resizeObserver.observe(doc.body);
    }

    get sandbox() {
        return SANDBOX;
    }
}
