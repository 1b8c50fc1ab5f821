"""POS connectors: one package per platform, all speaking the contract in base.py."""
