"""tiktok-research: design, collect, analyse and responsibly report TikTok studies."""

import logging

__version__ = "0.1.0"

# a library logs to ``tiktok_research`` (retries, splits, merges at INFO/DEBUG) and leaves
# handlers to the application; it never logs a secret, a token or a request with credentials
logging.getLogger(__name__).addHandler(logging.NullHandler())
