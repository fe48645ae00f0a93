"""Feeds in: health codes, travel records and card status as CSV or NDJSON, validated per row,
hashed on arrival, written in batches where an older update never overwrites a newer one."""

from verifier.feeds.importer import KINDS, ImportReport, Rejected, import_feed
from verifier.feeds.lines import FeedUnusable

__all__ = ["KINDS", "FeedUnusable", "ImportReport", "Rejected", "import_feed"]
