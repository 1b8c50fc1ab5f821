"""The contract both faces share: canonical records, the connector protocol, the error kinds.

It imports neither `app` nor `connectors`; both import it (no cycle between top-level packages).
"""
