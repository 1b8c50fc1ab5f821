"""The sample shops' credentials (B-01): what the sandbox accepts and what a sample-shop
profile connects with. Not secrets of any real store; kept apart from platform.py and
sandbox.py so that neither imports the other."""
from __future__ import annotations

# Sample-shop credentials the sandbox accepts (B-01); not secrets of any real store.
SANDBOX_CREDENTIALS = {
    "fnb": {"retailer": "caphemoc", "client_id": "sandbox-fnb-client-id",
            "client_secret": "sandbox-fnb-ma-bao-mat", "branch": "1"},
    "retail": {"retailer": "shopmaimai", "client_id": "sandbox-retail-client-id",
               "client_secret": "sandbox-retail-ma-bao-mat", "branch": "1"},
}
