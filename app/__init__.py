"""ShopSync: keeps a shop's sales App catalog in sync with its POS."""

__version__ = "0.1.0"
