"""What one delta page asks of the mirror, before any database is touched.

A page may repeat an item (replays are normal) and may mix whole messages with partial
updates of others. The plan folds every item by id in page order, so the last word on
each property wins, and sorts the result into rows to upsert, partial updates to merge
and ids to look up because Graph reported them removed.
"""

from dataclasses import dataclass, field

from .message_values import can_create, message_values


@dataclass
class PagePlan:
    """The page's work. ``upserts`` and ``updates`` map remote id → column values;
    ``categories`` remote id → category names (only for items that carried them);
    ``removed`` the ids Graph reported removed (to be looked up, never trusted)."""

    upserts: dict = field(default_factory=dict)
    updates: dict = field(default_factory=dict)
    categories: dict = field(default_factory=dict)
    folders: dict = field(default_factory=dict)
    removed: list = field(default_factory=list)
    problems: dict = field(default_factory=dict)


def plan_page(messages, removed):
    """Fold a page's items (``messages``: Graph dicts; ``removed``: ``[{"id"}]``)."""
    merged, order = {}, []
    for item in messages:
        remote_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(remote_id, str) or not remote_id:
            continue
        if remote_id not in merged:
            merged[remote_id] = {}
            order.append(remote_id)
        merged[remote_id].update(item)
    plan = PagePlan()
    for remote_id in order:
        item = merged[remote_id]
        values, categories, problems = message_values(item)
        target = plan.upserts if can_create(item) else plan.updates
        target[remote_id] = values
        if categories is not None:
            plan.categories[remote_id] = categories
        if isinstance(item.get("parentFolderId"), str):
            plan.folders[remote_id] = item["parentFolderId"]
        if problems:
            plan.problems[remote_id] = problems
    seen = set()
    for entry in removed:
        remote_id = entry.get("id") if isinstance(entry, dict) else None
        # Even an id that also came back in this page is looked up: the page does not say
        # which of the two happened last.
        if isinstance(remote_id, str) and remote_id and remote_id not in seen:
            seen.add(remote_id)
            plan.removed.append(remote_id)
    return plan
