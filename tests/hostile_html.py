"""Hostile mail HTML: what a sender may put in a body to run script, phish, leak that the
mail was read, or break out of the pane that shows it. One file per vector in
data/hostile_html/; every body also carries the visible word SAFE, which must survive."""

from pathlib import Path

# The 1x1 pixel of remote_images_and_trackers.html: it must never load, even when the
# user asks for remote images.
TRACKER = "https://tracker.example/open.gif?u=42"

HOSTILE_BODIES = {
    path.stem: path.read_text(encoding="utf-8")
    for path in sorted((Path(__file__).parent / "data" / "hostile_html").glob("*.html"))
}
